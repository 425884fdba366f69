-- The audit trail is read by person only (`GET /audit?person=`, served by audit_person_seq);
-- its primary key index on seq answered no query but cost every appended row a second b-tree
-- insert. seq stays unique (one sequence) and ordered; the index is dropped.
ALTER TABLE audit DROP CONSTRAINT IF EXISTS audit_pkey;
