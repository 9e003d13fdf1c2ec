-- The hash of each paper's title key (domain::title_hash), so that a venue record finds the
-- arXiv paper of the same title in the database itself, not through the derived index.
-- Rows written before this column are hashed by the first venue linking that needs them.
ALTER TABLE papers ADD COLUMN title_hash BIGINT;
CREATE INDEX papers_title_hash ON papers (title_hash);
