-- The append-only operation log. `id` is this store's own commit order (the replication cursor).
CREATE TABLE ops (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    origin      TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    hlc         INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    hash        BLOB    NOT NULL,
    received_at INTEGER NOT NULL,
    UNIQUE (origin, seq)
);
CREATE INDEX ops_kind ON ops (kind);
