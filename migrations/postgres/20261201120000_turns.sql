-- Turns shared by every process on one database: the schedule's leadership (held while
-- renewed, taken over once it expires) and the arXiv request turn (one request at a time for
-- the whole deployment, the next not before next_at). Times in milliseconds since 1970.
CREATE TABLE turns (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    held_until BIGINT NOT NULL,
    next_at    BIGINT NOT NULL DEFAULT 0
);
