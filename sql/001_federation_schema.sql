-- The tables of Thalamus 0.9 (federation_schema.sql), kept in shape so an existing database
-- is served in place. IF NOT EXISTS everywhere: this runs against old databases too.
CREATE TABLE IF NOT EXISTS people (
    id VARCHAR PRIMARY KEY,
    data JSONB
);

CREATE TABLE IF NOT EXISTS pols (
    id VARCHAR PRIMARY KEY,
    book VARCHAR REFERENCES people (id),
    data JSONB
);

CREATE TABLE IF NOT EXISTS personal_docs (
    id VARCHAR PRIMARY KEY,
    fedacct VARCHAR REFERENCES people (id),
    pol VARCHAR REFERENCES pols (id),
    document BYTEA,
    data JSONB
);

CREATE TABLE IF NOT EXISTS dus (
    id VARCHAR PRIMARY KEY,
    data JSONB
);

CREATE TABLE IF NOT EXISTS institutions (
    id VARCHAR PRIMARY KEY,
    data JSONB
);
