-- Rapid response: priority lanes, receipts signed by recipients, read
-- deadlines that escalate, notices, and the members' desks on duty.

-- Priority lanes. A member's backlog in one lane is an index range scan, so
-- a FLASH is found at once however many ROUTINE alerts wait before it.
-- lane: 1 FLASH, 2 URGENT, 3 ROUTINE (the liaison.v1 Priority values).
ALTER TABLE alert_recipients ADD COLUMN lane smallint;
ALTER TABLE alert_recipients DISABLE TRIGGER alert_recipients_append_only;
UPDATE alert_recipients r
   SET lane = CASE a.priority WHEN 'FLASH' THEN 1 WHEN 'URGENT' THEN 2 ELSE 3 END
  FROM alerts a WHERE a.seq = r.seq;
ALTER TABLE alert_recipients ENABLE TRIGGER alert_recipients_append_only;
ALTER TABLE alert_recipients ALTER COLUMN lane SET NOT NULL;
ALTER TABLE alert_recipients ADD CONSTRAINT alert_recipients_lane_check CHECK (lane BETWEEN 1 AND 3);
CREATE INDEX alert_recipients_lane_idx ON alert_recipients (member, lane, seq);

-- One durable cursor per lane. `cursor` stays the lowest of the three: what
-- a consumer without lanes resumes after, and what lag is measured from.
ALTER TABLE consumers
  ADD COLUMN flash_cursor bigint NOT NULL DEFAULT 0,
  ADD COLUMN urgent_cursor bigint NOT NULL DEFAULT 0,
  ADD COLUMN routine_cursor bigint NOT NULL DEFAULT 0;
UPDATE consumers SET flash_cursor = cursor, urgent_cursor = cursor, routine_cursor = cursor;

-- Receipts, verbatim as the recipient signed them. Ids are assigned by the
-- writer under the log_head lock: increasing in commit order on every node.
CREATE TABLE receipts (
  id bigint PRIMARY KEY,
  alert_seq bigint NOT NULL REFERENCES alerts (seq),
  member text NOT NULL,             -- the recipient member that signed
  state text NOT NULL CHECK (state IN ('DELIVERED', 'READ', 'ACTIONED')),
  at timestamptz NOT NULL,          -- as signed by the desk
  recorded_at timestamptz NOT NULL, -- when the exchange committed it
  principal text NOT NULL,          -- the desk that sent it
  payload bytea NOT NULL,
  signature bytea NOT NULL,
  key_id text NOT NULL,
  payload_sha256 bytea NOT NULL,
  CONSTRAINT receipts_payload_sha256_key UNIQUE (payload_sha256)
);
CREATE INDEX receipts_alert_idx ON receipts (alert_seq, member, id);

-- One row per recipient member of an alert with a read deadline. Mutable:
-- the escalation advances `level` and `due_at` with a compare-and-set on
-- `level`, in the same transaction as its notices and audit row, so that a
-- deadline escalates exactly once whichever node sees it first.
CREATE TABLE read_deadlines (
  alert_seq bigint NOT NULL REFERENCES alerts (seq),
  member text NOT NULL,
  due_at timestamptz,               -- the next deadline; NULL once closed or exhausted
  window_us bigint NOT NULL CHECK (window_us > 0),
  level integer NOT NULL DEFAULT 0, -- deadlines passed without READ
  closed_at timestamptz,
  closed_by text,                   -- 'read', 'withdrawn'
  PRIMARY KEY (alert_seq, member)
);
CREATE INDEX read_deadlines_due_idx ON read_deadlines (due_at) WHERE due_at IS NOT NULL;

-- What the exchange told whom. Ids as for receipts. A notice names an alert,
-- never its content.
CREATE TABLE notices (
  id bigint PRIMARY KEY,
  at timestamptz NOT NULL,
  kind text NOT NULL,
  alert_seq bigint REFERENCES alerts (seq),
  alert_id uuid,
  origin text,
  priority text,
  members text[] NOT NULL,          -- the members concerned
  level integer NOT NULL DEFAULT 0,
  deadline timestamptz,
  receipt_id bigint REFERENCES receipts (id),
  duty text,
  text text NOT NULL,
  to_members text[] NOT NULL,       -- the desks of these members ...
  to_principals text[] NOT NULL     -- ... and these principals
);
CREATE INDEX notices_to_members_idx ON notices USING gin (to_members);
CREATE INDEX notices_to_principals_idx ON notices USING gin (to_principals);
CREATE INDEX notices_alert_idx ON notices (alert_seq) WHERE alert_seq IS NOT NULL;

-- Desks connected and on duty, per node and member; a node refreshes
-- seen_at while it runs, and rows not refreshed for 30 seconds count for
-- nothing (a node that died). member_presence is the combined state and
-- since when, moved only by the writer (under the log_head lock).
CREATE TABLE presence (
  node text NOT NULL,
  member text NOT NULL,
  desks_connected integer NOT NULL CHECK (desks_connected >= 0),
  desks_on_duty integer NOT NULL CHECK (desks_on_duty >= 0),
  seen_at timestamptz NOT NULL,
  PRIMARY KEY (node, member)
);
CREATE TABLE member_presence (
  member text PRIMARY KEY,
  state text NOT NULL CHECK (state IN ('ON_DUTY', 'OFF_DUTY', 'UNREACHABLE')),
  since timestamptz NOT NULL,
  desks_connected integer NOT NULL,
  desks_on_duty integer NOT NULL
);

CREATE TRIGGER receipts_append_only
  BEFORE UPDATE OR DELETE ON receipts
  FOR EACH ROW EXECUTE FUNCTION log_reject_change();
CREATE TRIGGER receipts_no_truncate
  BEFORE TRUNCATE ON receipts
  FOR EACH STATEMENT EXECUTE FUNCTION log_reject_change();
CREATE TRIGGER notices_append_only
  BEFORE UPDATE OR DELETE ON notices
  FOR EACH ROW EXECUTE FUNCTION log_reject_change();
CREATE TRIGGER notices_no_truncate
  BEFORE TRUNCATE ON notices
  FOR EACH STATEMENT EXECUTE FUNCTION log_reject_change();
