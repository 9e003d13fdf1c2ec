-- Paper FAQs written by a language model: one per paper, language, model and prompt
-- version (a new prompt version regenerates lazily; older answers stay).
CREATE TABLE faqs (
    paper_id       TEXT NOT NULL,
    lang           TEXT NOT NULL,
    model          TEXT NOT NULL,
    prompt_version TEXT NOT NULL,
    markdown       TEXT NOT NULL,
    created        TEXT NOT NULL,
    PRIMARY KEY (paper_id, lang, model, prompt_version)
);
