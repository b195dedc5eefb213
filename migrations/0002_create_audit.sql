-- The hash-chained, append-only audit trail. Each row's row_hash is
-- SHA-256(prev_hash || canonical bytes of the row) (see server/audit/chain.hpp);
-- audit_head holds the chain's head and is locked by every writing
-- transaction, so ids are gapless and the chain has no forks.

CREATE TABLE audit_head (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  last_id bigint NOT NULL,
  last_hash bytea NOT NULL
);
INSERT INTO audit_head (singleton, last_id, last_hash)
  VALUES (true, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);

CREATE TABLE audit_log (
  id bigint PRIMARY KEY,
  -- Microsecond precision, exactly as hashed; verifiers read it back as
  -- (extract(epoch from at) * 1000000)::bigint.
  at timestamptz NOT NULL,
  actor text NOT NULL,
  actor_member text NOT NULL,
  action text NOT NULL,
  subject text NOT NULL,
  outcome text NOT NULL,
  -- JSON text kept byte for byte: not jsonb, which would re-encode it and
  -- break the hash.
  detail text NOT NULL,
  prev_hash bytea NOT NULL,
  row_hash bytea NOT NULL
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_actor_idx ON audit_log (actor);
CREATE INDEX audit_log_action_idx ON audit_log (action);
CREATE INDEX audit_log_subject_idx ON audit_log (subject);

CREATE FUNCTION audit_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% on audit_log is not allowed: the audit trail is append-only', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_log_append_only
  BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_reject_change();
CREATE TRIGGER audit_log_no_truncate
  BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();

-- The server's own role owns the schema; take the privileges away from it
-- too, so that a bug or an injected statement cannot rewrite history. (A
-- superuser still can, which the hash chain and signed tree heads detect.)
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC, CURRENT_USER;
