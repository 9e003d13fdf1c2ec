-- arXiv's daily announcements: which papers each category's list showed on a day, and how
-- (new, cross, replace, replace-cross), as its RSS feed says.
CREATE TABLE announcements (
    paper_id TEXT NOT NULL,
    category TEXT NOT NULL,
    day      TEXT NOT NULL,
    kind     TEXT NOT NULL,
    PRIMARY KEY (category, day, paper_id)
);

CREATE INDEX announcements_day ON announcements (day);

-- Resumable state of long-running ingest (OAI-PMH resumption tokens and windows, the
-- scheduler's last run), written in the same transaction as the records it covers.
CREATE TABLE checkpoints (
    name       TEXT PRIMARY KEY,
    state      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
