-- How many papers the database holds, kept by each write batch in the transaction that adds
-- them (papers are never deleted): COUNT(*) walked all 2.7M rows of a full-arXiv database,
-- about a second on every home page, metrics scrape and start.
ALTER TABLE change_seq ADD COLUMN papers INTEGER NOT NULL DEFAULT 0;
UPDATE change_seq SET papers = (SELECT COUNT(*) FROM papers) WHERE id = 1;
