-- Papers and the change sequence the search index follows.
CREATE TABLE papers (
    id          TEXT PRIMARY KEY NOT NULL CHECK (id <> ''),
    seq         INTEGER NOT NULL UNIQUE,
    title       TEXT NOT NULL CHECK (title <> ''),
    abstract    TEXT NOT NULL DEFAULT '',
    authors     TEXT NOT NULL DEFAULT '[]',
    categories  TEXT NOT NULL DEFAULT '[]',
    published   TEXT,
    updated     TEXT,
    comments    TEXT,
    journal_ref TEXT,
    doi         TEXT,
    license     TEXT
) STRICT;

CREATE INDEX papers_published ON papers (published);

-- One row: the last change sequence number handed out. Writers take it inside their
-- transaction, which serialises write batches so sequence numbers become visible in order.
CREATE TABLE change_seq (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
) STRICT;
INSERT INTO change_seq (id, value) VALUES (1, 0);

-- Identity of this database, so an index built from another database is noticed.
CREATE TABLE instance (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    database_id TEXT NOT NULL
) STRICT;
INSERT INTO instance (id, database_id) VALUES (1, lower(hex(randomblob(16))));
