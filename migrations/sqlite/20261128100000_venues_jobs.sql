-- A venue record that is also on arXiv: `id` (openreview:…, pmlr:…) is a version of the
-- arXiv paper `arxiv_id`. The index leaves the venue record out; the arXiv paper carries
-- its venue and track, so search shows the work once.
CREATE TABLE paper_links (
    id        TEXT PRIMARY KEY NOT NULL REFERENCES papers (id),
    arxiv_id  TEXT NOT NULL REFERENCES papers (id),
    method    TEXT NOT NULL
) STRICT;
CREATE INDEX paper_links_arxiv ON paper_links (arxiv_id);
CREATE INDEX papers_venue ON papers (venue, venue_year);

-- Imports run in the background: one row per job, its counters, checkpoint and heartbeat.
CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    params      TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    fetched     INTEGER NOT NULL DEFAULT 0,
    stored      INTEGER NOT NULL DEFAULT 0,
    skipped     INTEGER NOT NULL DEFAULT 0,
    error       TEXT,
    message     TEXT NOT NULL DEFAULT '',
    checkpoint  TEXT,
    -- Unix seconds.
    created     INTEGER NOT NULL,
    started     INTEGER,
    heartbeat   INTEGER,
    finished    INTEGER
) STRICT;
CREATE INDEX jobs_status ON jobs (status, id);
