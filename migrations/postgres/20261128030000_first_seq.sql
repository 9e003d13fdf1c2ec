-- The change sequence number at which each paper was first written: the index needs to
-- replace a document only when the paper may already be in it (first_seq <= its watermark).
ALTER TABLE papers ADD COLUMN first_seq BIGINT;
UPDATE papers SET first_seq = seq;
