-- The ordered log of alerts and the durable consumers that read it.
--
-- Seqs are not drawn from a sequence: the writer assigns them inside the
-- committing transaction while it holds the log_head row lock, so seqs are
-- gapless and become visible in order, even with several liaisond nodes.

CREATE TABLE log_head (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  last_seq bigint NOT NULL
);
INSERT INTO log_head (singleton, last_seq) VALUES (true, 0);

CREATE TABLE alerts (
  seq bigint PRIMARY KEY,
  origin text NOT NULL,
  alert_id uuid NOT NULL,
  payload bytea NOT NULL,          -- the signed bytes, verbatim
  signature bytea NOT NULL,
  key_id text NOT NULL,
  payload_sha256 bytea NOT NULL,
  kind text NOT NULL,              -- core::to_string names, e.g. 'WARNING'
  category text NOT NULL,
  priority text NOT NULL,          -- 'FLASH', 'URGENT', 'ROUTINE'
  tlp text NOT NULL,               -- 'RED', 'AMBER_STRICT', ...
  restriction text NOT NULL,       -- 'H0' .. 'H3'
  subject text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz,
  in_reply_to uuid,
  case_reference text,
  recipients text[] NOT NULL,      -- member codes after group expansion
  named_recipients text[] NOT NULL,
  received_at timestamptz NOT NULL,
  published_by text NOT NULL,      -- principal id
  -- The idempotency key is permanent, not a time window.
  CONSTRAINT alerts_origin_alert_id_key UNIQUE (origin, alert_id)
);

-- One row per (recipient member, alert) so that a member's backlog is an
-- index range scan.
CREATE TABLE alert_recipients (
  member text NOT NULL,
  seq bigint NOT NULL REFERENCES alerts (seq),
  PRIMARY KEY (member, seq)
);

CREATE TABLE consumers (
  principal text NOT NULL,
  name text NOT NULL,
  member text NOT NULL,
  cursor bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (principal, name)
);

-- A sent alert is never edited or removed: corrections are new alerts.
CREATE FUNCTION log_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% on % is not allowed: the alert log is append-only', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER alerts_append_only
  BEFORE UPDATE OR DELETE ON alerts
  FOR EACH ROW EXECUTE FUNCTION log_reject_change();
CREATE TRIGGER alerts_no_truncate
  BEFORE TRUNCATE ON alerts
  FOR EACH STATEMENT EXECUTE FUNCTION log_reject_change();
CREATE TRIGGER alert_recipients_append_only
  BEFORE UPDATE OR DELETE ON alert_recipients
  FOR EACH ROW EXECUTE FUNCTION log_reject_change();
CREATE TRIGGER alert_recipients_no_truncate
  BEFORE TRUNCATE ON alert_recipients
  FOR EACH STATEMENT EXECUTE FUNCTION log_reject_change();
