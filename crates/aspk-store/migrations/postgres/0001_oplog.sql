-- The append-only operation log. `id` is this store's own commit order (the replication cursor).
CREATE TABLE ops (
    id          BIGSERIAL PRIMARY KEY,
    origin      TEXT    NOT NULL,
    seq         BIGINT  NOT NULL,
    hlc         BIGINT  NOT NULL,
    actor       TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    hash        BYTEA   NOT NULL,
    received_at BIGINT  NOT NULL,
    UNIQUE (origin, seq)
);
CREATE INDEX ops_kind ON ops (kind);
