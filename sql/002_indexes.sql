-- A person's book is read in page_date order; documents by owner and page.
CREATE INDEX IF NOT EXISTS pols_book_date_idx ON pols (book, (COALESCE(data ->> 'page_date', '')), id);
CREATE INDEX IF NOT EXISTS personal_docs_owner_idx ON personal_docs (fedacct, pol, id);
CREATE INDEX IF NOT EXISTS personal_docs_pol_idx ON personal_docs (pol);
