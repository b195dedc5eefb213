#include "config/config_template.hpp"

#include "config/server_config.hpp"
#include "config/toml_reader.hpp"

#include <sstream>

namespace liaison::config {

std::string render_server_config(const config_template_values& v) {
  // Values come from a default-constructed server_config so that the
  // documented defaults cannot drift from the code.
  const server_config d;
  const auto q = [](const std::string& s) { return detail::toml_quote(s); };
  const auto t = [](duration x) { return detail::toml_quote(format_duration(x)); };
  const auto opt = [&t](const std::optional<duration>& x) {
    return x ? t(*x) : detail::toml_quote("none");
  };
  std::ostringstream o;
  o << v.header << R"(# liaison.toml: the configuration of one liaisond node.
#
# Every key is listed with its meaning and set to its built-in default (except
# the paths, the database URL and where noted); delete a line to get the
# default. An unknown section or key is an error, never ignored, so that a typo
# cannot silently fall back to a default. Relative paths are resolved against
# the directory of this file. Durations are strings with a unit: "250ms",
# "30s", "5m", "2h", "7d". Sizes are integers in bytes.

[server]
# Names this process in logs and audit rows; give every node that shares one
# PostgreSQL its own. 1 to 64 letters, digits, '.', '-' or '_'.
node_id = )"
    << q(v.node_id) << R"(

[native]
# Length-prefixed protobuf frames over mutual TLS 1.3 (duty desks, the CLI).
# HOST:PORT to listen on, "[::]:7443" for IPv6; port 0 picks a free port.
# Default )"
    << q(d.native.listen) << R"(.
listen = )"
    << q(v.native_listen) << R"(
# Largest accepted frame, 1 KiB to 64 MiB; a larger one gets TOO_LARGE and the
# connection is closed.
max_frame_bytes = )"
    << d.native.max_frame_bytes << R"(
# Time allowed for the TLS handshake, and then again for the Hello frame.
# A connection that has not authenticated holds a slot this long at most.
handshake_timeout = )"
    << t(d.native.handshake_timeout) << R"(
# A connection that sends no frame for this long is closed.
idle_timeout = )"
    << t(d.native.idle_timeout) << R"(
# Time allowed for one write to the socket; a peer that stops reading is dropped.
write_timeout = )"
    << t(d.native.write_timeout) << R"(
# Authenticated connections of all principals together; further ones are
# refused after the handshake.
max_connections = )"
    << d.native.max_connections << R"(
# Authenticated connections of one principal (one client certificate).
max_connections_per_principal = )"
    << d.native.max_connections_per_principal << R"(
# Connections still in their TLS handshake, counted apart from the
# authenticated ones so that strangers can never lock a desk out: at most
# max_pending_connections together and max_pending_per_address from one
# source address. When full, a newcomer replaces the oldest one that has
# waited a second or more; otherwise it is closed at once. Failed
# authentications are written to the audit log as one summary row per
# address, outcome and minute ("auth.failures").
max_pending_connections = )"
    << d.native.max_pending_connections << R"(
max_pending_per_address = )"
    << d.native.max_pending_per_address << R"(
# Publishes of one connection waiting for their commit; reading pauses beyond.
max_in_flight_publishes = )"
    << d.native.max_in_flight_publishes << R"(
# Bytes queued for one connection, at least max_frame_bytes. A subscriber
# beyond it leaves the live path and catches up from the database; nothing is
# lost and no publisher waits for it.
outbox_max_bytes = )"
    << d.native.outbox_max_bytes << R"(
# Durable consumers one connection may subscribe at a time (1 to 4096).
max_consumers_per_connection = )"
    << d.native.max_consumers_per_connection << R"(

[https]
# HTTPS JSON API (auditors, /healthz, /metrics) and the WebSocket stream
# (partner systems); the same client certificates and identity rules.
# Default )"
    << q(d.https.listen) << R"(.
listen = )"
    << q(v.https_listen) << R"(
# Largest request header block, 1 KiB to 1 MiB.
max_header_bytes = )"
    << d.https.max_header_bytes << R"(
# Largest request body or WebSocket message, 1 KiB to 64 MiB.
max_body_bytes = )"
    << d.https.max_body_bytes << R"(
# Time allowed for the TLS handshake.
handshake_timeout = )"
    << t(d.https.handshake_timeout) << R"(
# Time allowed for the request line and headers of each request (also the
# longest a kept-alive connection waits for its next request): a client
# trickling its headers gets 408 and the close.
header_timeout = )"
    << t(d.https.header_timeout) << R"(
# Time allowed to receive a request's body and to send its response.
request_timeout = )"
    << t(d.https.request_timeout) << R"(
# Header fields of one request, and the bytes of one field (name and
# value); beyond either: 431.
max_header_fields = )"
    << d.https.max_header_fields << R"(
max_header_line_bytes = )"
    << d.https.max_header_line_bytes << R"(
# HTTPS and WebSocket connections with a registered client certificate, all
# principals together.
max_connections = )"
    << d.https.max_connections << R"(
# Connections in their TLS handshake or without a registered certificate
# (health checks), counted apart: at most max_pending_connections together
# and max_pending_per_address from one source address (see [native]).
max_pending_connections = )"
    << d.https.max_pending_connections << R"(
max_pending_per_address = )"
    << d.https.max_pending_per_address << R"(
# Concurrent WebSocket streams (wss://HOST:PORT/v1/stream) of one principal;
# one more is accepted and closed with code 1013 (try again later).
max_streams_per_principal = )"
    << d.https.max_streams_per_principal << R"(
# A stream with no traffic at all (not even a pong) for this long is closed
# with code 1001; the server pings a quiet stream every stream_ping_interval.
stream_idle_timeout = )"
    << t(d.https.stream_idle_timeout) << R"(
stream_ping_interval = )"
    << t(d.https.stream_ping_interval) << R"(
# Bytes queued for one stream, at least max_body_bytes; a subscriber beyond it
# catches up from the database.
stream_outbox_max_bytes = )"
    << d.https.stream_outbox_max_bytes << R"(
# Publishes of one stream waiting for their commit; reading pauses beyond.
stream_max_in_flight_publishes = )"
    << d.https.stream_max_in_flight_publishes << R"(
# Durable consumers one stream may subscribe at a time (1 to 4096).
max_consumers_per_stream = )"
    << d.https.max_consumers_per_stream << R"(

[tls]
# Files of the task force PKI, in PEM. Required, except crl_file.
# The CA that issues the client and server certificates; a client must present
# a certificate from it whose common name is a principal in members.toml.
ca_file = )"
    << q(v.ca_file) << R"(
# This server's certificate (chain).
cert_file = )"
    << q(v.cert_file) << R"(
# This server's private key; readable by the server's user only.
key_file = )"
    << q(v.key_file) << R"(
# Optional certificate revocation list of the same CA; a revoked client
# certificate is refused. Default: none.
# crl_file = "crl.pem"

[database]
# libpq connection URI. Required. Keep the password out of this file (use
# ~/.pgpass or PGPASSFILE).
url = )"
    << q(v.database_url) << R"(
# The database has two roles. The one of `url` (above) is the runtime role
# liaisond serves with: it owns nothing and may only add to the record. The
# owner role owns the schema: `liaisond migrate`, and the migrations at
# start-up, run as owner_url, which then grants the runtime role exactly what
# it needs. Without owner_url, migrations run with `url`.
)"
    << (v.database_owner_url.empty()
            ? std::string("# owner_url = \"postgresql://liaison_owner@127.0.0.1:5432/liaison\"")
            : "owner_url = " + q(v.database_owner_url))
    << R"(
# liaisond refuses to serve when the role of `url` could rewrite the record
# (it owns a table, or holds UPDATE, DELETE or TRUNCATE on an append-only
# one). true serves anyway, with a warning: for development only.
allow_privileged_role = )"
    << (d.database.allow_privileged_role ? "true" : "false") << R"(
# Publishes written in one group-commit transaction, 1 or more.
batch_max = )"
    << d.database.batch_max << R"(
# Requests waiting for the database; beyond it new ones get RESOURCE_EXHAUSTED.
queue_max = )"
    << d.database.queue_max << R"(
# Database connections serving backlog reads of subscribers that catch up.
reader_threads = )"
    << d.database.reader_threads << R"(
# Alerts per backlog read.
backlog_page = )"
    << d.database.backlog_page << R"(
# Back-off after a lost database connection: starts at reconnect_min and
# doubles up to reconnect_max.
reconnect_min = )"
    << t(d.database.reconnect_min) << R"(
reconnect_max = )"
    << t(d.database.reconnect_max) << R"(
# Apply pending migrations (migrations/NNNN_verb_noun.sql) at start-up.
apply_migrations = )"
    << (d.database.apply_migrations ? "true" : "false") << R"(
# Committed alerts waiting in memory for live delivery. The database writer
# never waits for live delivery: beyond this, the newest commits are read
# back from the database once delivery catches up (late, never lost).
live_queue_max = )"
    << d.database.live_queue_max << R"(

[registry]
# Who takes part; reloaded on SIGHUP. Both keys are required.
# members.toml: members, groups, principals (certificate name to member, role
# and clearance) and the members' signing keys.
members_file = )"
    << q(v.members_file) << R"(
# Directory of the public key files (PEM) that members.toml names.
keys_dir = )"
    << q(v.keys_dir) << R"(

[alerts]
# Limits on one alert; a publish beyond them is refused (INVALID_ARGUMENT or
# TOO_LARGE) before anything is stored.
# Recipients as written (member codes and group names), before expansion.
max_recipients = )"
    << d.alerts.max_recipients << R"(
# Structured entities (persons, plates, phones, IBANs, routes, ...).
max_entities = )"
    << d.alerts.max_entities << R"(
max_subject_bytes = )"
    << d.alerts.max_subject_bytes << R"(
max_body_bytes = )"
    << d.alerts.max_body_bytes << R"(
max_entity_value_bytes = )"
    << d.alerts.max_entity_value_bytes << R"(
# Free text of usage restriction H3.
max_restriction_text_bytes = )"
    << d.alerts.max_restriction_text_bytes << R"(
max_case_reference_bytes = )"
    << d.alerts.max_case_reference_bytes << R"(
# created_at may lie this far in the future (clock skew between desks)...
max_clock_skew = )"
    << t(d.alerts.max_clock_skew) << R"(
# ...and be this old (a desk that was offline sends its queue on return).
max_age = )"
    << t(d.alerts.max_age) << R"(
# Publishes of one member, all its desks and connections together: a bucket of
# publish_burst_per_member alerts, refilled at publish_rate_per_member alerts
# per second (0 turns the limit off; the burst is 1 or more). A publish beyond
# it gets RESOURCE_EXHAUSTED (HTTP 429 with Retry-After) before its signature
# is checked; it stores nothing but an audit row, and other members are not
# slowed.
publish_rate_per_member = )"
    << d.publish_rate.per_member << R"(
publish_burst_per_member = )"
    << d.publish_rate.burst_per_member << R"(

[audit]
# The auditors' HTTPS API (history, audit log, proofs; see docs/AUDIT.md) and
# the Merkle tree over the audit log, whose heads the server signs.
# Ed25519 private key (PEM) that signs tree heads; auditors check heads with
# its public key. Readable by the server's user only. Without it the tree is
# kept but no head is signed.
)"
    << (v.audit_signing_key_file.empty()
            ? std::string("# signing_key_file = \"audit-signing-key.pem\"")
            : "signing_key_file = " + q(v.audit_signing_key_file))
    << R"(
# A head is signed at least every tree_head_every_entries audit rows, and
# tree_head_interval after the last head when rows arrived since.
tree_head_every_entries = )"
    << d.audit.tree_head_every_entries << R"(
tree_head_interval = )"
    << t(d.audit.tree_head_interval) << R"(
# Database connections serving auditors' queries and exports, and the time
# one query may take (PostgreSQL's statement_timeout).
query_threads = )"
    << d.audit.query_threads << R"(
query_timeout = )"
    << t(d.audit.query_timeout) << R"(
# Rows of one JSON page, the largest `limit` accepted (10 to 100000). Exports
# (format=ndjson or csv) stream every matching row, this many at a time.
max_page_rows = )"
    << d.audit.max_page_rows << R"(
# Deliveries (disclosures) are audited per consumer, one row for the seqs a
# connection wrote within delivery_row_interval (and at its end), or sooner
# once it wrote delivery_row_max_seqs of them.
delivery_row_interval = )"
    << t(d.audit.delivery_row_interval) << R"(
delivery_row_max_seqs = )"
    << d.audit.delivery_row_max_seqs << R"(
# Connections that fail to authenticate (a failed or timed-out handshake, an
# unregistered certificate, no free slot) are counted, not written one by
# one: one "auth.failures" row per port, source address and outcome, with
# the count and the reasons, per interval.
failure_summary_interval = )"
    << t(d.audit.failure_summary_interval) << R"(

[deadlines]
# Rapid response: how long each recipient member has to send a READ receipt
# for an alert of each priority ("none": no deadline). A sender may ask for
# less in the alert (read_within_seconds), never for more; for a priority
# without a deadline the alert's own sets one. When a deadline passes
# without READ, the member's desks get a reminder, the sender's desks learn
# who is overdue, and the member's fallback contacts (members.toml) are told.
flash = )"
    << opt(d.deadlines.flash) << R"(
urgent = )"
    << opt(d.deadlines.urgent) << R"(
routine = )"
    << opt(d.deadlines.routine) << R"(
# Deadlines per recipient, one window apart: the second escalates again.
max_escalations = )"
    << d.deadlines.max_escalations << R"(
# How often passed deadlines are looked for (an escalation is at most this
# late, plus any time the server was down).
check_interval = )"
    << t(d.deadlines.check_interval) << R"(

[presence]
# A desk connection that declared itself on duty and answers nothing, not
# even the server's Ping, for this long stops counting as on duty until it
# answers again. A FLASH or URGENT to a member with no desk on duty goes to
# its fallback contacts at once.
stall_after = )"
    << t(d.presence.stall_after) << R"(
# How often this node refreshes its desks' presence in the database; the
# rows of a node not refreshed for three times this count for nothing.
heartbeat = )"
    << t(d.presence.heartbeat) << R"(

[log]
# trace, debug, info, warn or error.
level = )"
    << q(d.log.level) << R"(
# text (for people) or json (one object per line, for log collectors).
format = )"
    << q(d.log.format) << "\n";
  return o.str();
}

}  // namespace liaison::config
