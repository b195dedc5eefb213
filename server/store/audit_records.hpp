// What the auditors' store gives: the alert history, audit rows with their
// hashes, the Merkle tree's heads and proofs. Domain types only.
#pragma once

#include "audit/chain_check.hpp"
#include "audit/tree_head.hpp"
#include "core/error.hpp"
#include "core/rapid.hpp"
#include "core/types.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace liaison::store {

// One alert as the history lists it: the summary stored at commit.
struct history_alert {
  std::uint64_t seq = 0;
  std::string alert_id;
  std::string origin;
  std::vector<std::string> recipients;                     // after group expansion
  std::vector<std::string> named_recipients;               // named by the sender
  std::string kind, category, priority, tlp, restriction;  // names as in core/names.hpp
  std::string subject;
  core::time_point created_at{};
  std::optional<core::time_point> expires_at;
  std::string in_reply_to;
  std::string case_reference;
  core::time_point received_at{};  // committed at
  std::string published_by;        // principal id
  std::string key_id;
  std::string payload_sha256;  // raw 32 bytes
};

struct alert_page {
  std::vector<history_alert> alerts;         // in seq order
  std::uint64_t log_head = 0;                // highest committed seq when read
  std::uint64_t search_indexed_through = 0;  // q and entity see alerts up to this seq
};

// One alert with its signed bytes and what happened to it. `events` are the
// audit rows that concern it, in id order: its publish rows and every
// consultation (subject = the alert id), the deliveries and withholdings of
// its seq, the acknowledgements by a recipient member that cover its seq.
// A recipient's receipt as stored (the signed bytes verbatim).
struct receipt_record {
  std::uint64_t id = 0;
  std::string member;
  std::string state;
  core::time_point at{};           // as signed by the desk
  core::time_point recorded_at{};  // when the exchange committed it
  std::string principal;           // the desk that sent it
  core::signed_receipt signed_bytes;
};

struct alert_detail {
  history_alert alert;
  core::envelope envelope;
  std::vector<audit::stored_row> events;
  bool events_truncated = false;  // more than the store returns at once
  std::uint64_t events_indexed_through =
      0;                               // deliveries and acks after this audit id are not shown yet
  std::vector<history_alert> replies;  // alerts whose in_reply_to is this alert
  std::vector<receipt_record> receipts;        // oldest first
  std::vector<core::read_deadline> deadlines;  // one per recipient member with a deadline
};

struct audit_page {
  std::vector<audit::stored_row> rows;  // in id order; tree_leaf unset
  std::uint64_t head_id = 0;            // the chain's head when read
};

// The outcome of recomputing the hash chain over audit rows from..to.
struct chain_report {
  std::uint64_t from = 1;
  std::uint64_t to = 0;                       // the recorded head unless the caller gave one
  std::optional<audit::chain_break> failure;  // the first break, if any
  std::uint64_t rows_checked = 0;
  std::uint64_t leaves_checked = 0;  // rows compared with their Merkle tree leaf
  audit::digest last_hash{};         // hash of the last row checked
  std::uint64_t head_id = 0;         // audit_head: the chain's recorded head
  audit::digest head_hash{};
  std::uint64_t tree_size = 0;
};

struct stored_tree_head {
  std::uint64_t id = 0;  // 1, 2, ... in signing order
  audit::signed_tree_head head;
};

struct tree_heads_page {
  std::optional<stored_tree_head> latest;
  std::vector<stored_tree_head> heads;  // after the cursor, in signing order
  std::uint64_t tree_size = 0;  // leaves in the tree now (possibly more than the latest head)
};

struct inclusion_answer {
  std::uint64_t index = 0;
  std::uint64_t tree_size = 0;
  audit::digest leaf_hash{};               // as the tree holds it
  std::vector<audit::digest> path;         // RFC 9162 inclusion path
  std::optional<audit::stored_row> entry;  // the audit row today (nullopt if it is gone)
};

struct consistency_answer {
  std::uint64_t first = 0;
  std::uint64_t second = 0;
  std::vector<audit::digest> path;  // RFC 9162 consistency path
};

// What the history indexer takes from a signed payload.
struct search_text {
  std::string body;
  std::vector<std::pair<std::string, std::string>> entities;  // type name, value
};

}  // namespace liaison::store
