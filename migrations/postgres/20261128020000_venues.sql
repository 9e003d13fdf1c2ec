-- Where a paper was published: venue name (ICLR), edition year, track (Oral, Poster).
ALTER TABLE papers ADD COLUMN venue TEXT;
ALTER TABLE papers ADD COLUMN venue_year BIGINT;
ALTER TABLE papers ADD COLUMN track TEXT;
