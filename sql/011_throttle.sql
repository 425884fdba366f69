-- Failed-login counters shared by every worker of every instance. One row per account
-- ('a:' || federation ID) and per client address ('c:' || address). A row is written only
-- when a login fails, and read only when a login is not answered from the credential cache.
CREATE TABLE IF NOT EXISTS auth_throttle (
    key VARCHAR PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    max_failures INTEGER NOT NULL,
    blocked_until TIMESTAMPTZ
);
