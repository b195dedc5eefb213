-- Auditors' evidence and search (see docs/AUDIT.md).
--
-- 1. The Merkle tree over audit_log (RFC 9162). Leaf i (from 0) is
--    SHA-256(0x00 || canonical bytes of audit row i + 1). The tree signer
--    appends leaves in id order, checking the hash chain as it goes, keeps
--    the hash of every perfect subtree (so any proof needs O(log^2 n) node
--    reads), and signs tree heads.
-- 2. A history index filled after commit from the stored rows: the
--    searchable text of each alert (decoded from its signed payload) and,
--    for each alert, the audit rows that delivered, withheld or
--    acknowledged it.

CREATE TABLE audit_tree_state (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  tree_size bigint NOT NULL,     -- leaves in audit_tree_nodes: audit rows 1 .. tree_size
  last_row_hash bytea NOT NULL   -- row_hash of audit row tree_size (the chain goes on from it)
);
INSERT INTO audit_tree_state (singleton, tree_size, last_row_hash)
  VALUES (true, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);

-- The perfect subtree of 2^level leaves starting at leaf idx * 2^level.
CREATE TABLE audit_tree_nodes (
  level smallint NOT NULL CHECK (level BETWEEN 0 AND 62),
  idx bigint NOT NULL CHECK (idx >= 0),
  hash bytea NOT NULL,
  PRIMARY KEY (level, idx)
);

CREATE TABLE tree_heads (
  id bigint PRIMARY KEY,          -- 1, 2, 3, ... in signing order
  tree_size bigint NOT NULL,
  timestamp_ms bigint NOT NULL,   -- as signed
  root_hash bytea NOT NULL,
  signature bytea NOT NULL,       -- Ed25519 over audit::tree_head_signing_bytes
  key_id text NOT NULL            -- hex SHA-256 of the signing public key
);
CREATE INDEX tree_heads_tree_size_idx ON tree_heads (tree_size);

CREATE TRIGGER audit_tree_nodes_append_only
  BEFORE UPDATE OR DELETE ON audit_tree_nodes
  FOR EACH ROW EXECUTE FUNCTION audit_reject_change();
CREATE TRIGGER audit_tree_nodes_no_truncate
  BEFORE TRUNCATE ON audit_tree_nodes
  FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();
CREATE TRIGGER tree_heads_append_only
  BEFORE UPDATE OR DELETE ON tree_heads
  FOR EACH ROW EXECUTE FUNCTION audit_reject_change();
CREATE TRIGGER tree_heads_no_truncate
  BEFORE TRUNCATE ON tree_heads
  FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_tree_nodes, tree_heads FROM PUBLIC, CURRENT_USER;

-- The history index. Derived data: it could be rebuilt from alerts and
-- audit_log by resetting history_index_state.
CREATE TABLE history_index_state (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  alerts_seq bigint NOT NULL,   -- alerts with seq <= this are in alert_search
  audit_id bigint NOT NULL      -- audit rows with id <= this are in alert_events and ack_ranges
);
INSERT INTO history_index_state (singleton, alerts_seq, audit_id) VALUES (true, 0, 0);

CREATE TABLE alert_search (
  seq bigint PRIMARY KEY REFERENCES alerts (seq),
  body text NOT NULL,
  entities text[] NOT NULL,     -- 'TYPE:VALUE', e.g. 'VEHICLE_PLATE:W-12345X'
  -- The 'simple' configuration: no stemming or stop words, the same for
  -- every language of the task force.
  document tsvector NOT NULL
);
CREATE INDEX alert_search_document_idx ON alert_search USING gin (document);
CREATE INDEX alert_search_entities_idx ON alert_search USING gin (entities);

-- consumer.deliver (one row per seq in its detail's "seqs") and
-- consumer.withhold rows, by the alert they concern.
CREATE TABLE alert_events (
  seq bigint NOT NULL,
  audit_id bigint NOT NULL,
  PRIMARY KEY (seq, audit_id)
);

-- consumer.ack rows: the member's consumer acknowledged every seq in
-- from_seq .. up_to_seq.
CREATE TABLE ack_ranges (
  audit_id bigint PRIMARY KEY,
  member text NOT NULL,
  from_seq bigint NOT NULL,
  up_to_seq bigint NOT NULL,
  CHECK (from_seq <= up_to_seq)
);
-- "Which acknowledgements cover seq S" without scanning every later one.
CREATE INDEX ack_ranges_range_idx ON ack_ranges USING gist (int8range(from_seq, up_to_seq, '[]'));

-- History filters and the replies of an alert.
CREATE INDEX alerts_received_at_idx ON alerts (received_at);
CREATE INDEX alerts_origin_idx ON alerts (origin, seq);
CREATE INDEX alerts_alert_id_idx ON alerts (alert_id);
CREATE INDEX alerts_in_reply_to_idx ON alerts (in_reply_to) WHERE in_reply_to IS NOT NULL;
