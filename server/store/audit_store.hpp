// The auditors' reads: the alert history, the audit log, stretches of the
// hash chain to verify, the signed tree heads and Merkle proofs. A small pool
// of threads with read-only connections of their own (audit.query_threads)
// serves them, so that no auditor query ever runs on an io thread or waits
// behind the writer. Callers get their answer through a callback on a pool
// thread. Every method is thread-safe and never blocks; a full queue answers
// RESOURCE_EXHAUSTED, a lost database UNAVAILABLE, a query beyond
// audit.query_timeout RESOURCE_EXHAUSTED.
#pragma once

#include "audit/history_query.hpp"
#include "config/server_config.hpp"
#include "store/audit_records.hpp"

#include <functional>
#include <memory>
#include <optional>

namespace liaison::store {

template <class T>
using answer = std::function<void(core::result<T>)>;

class audit_store {
 public:
  audit_store(config::database_section database, config::audit_section audit);
  ~audit_store();  // stop()
  audit_store(const audit_store&) = delete;
  audit_store& operator=(const audit_store&) = delete;

  void start();
  // Completes everything queued with UNAVAILABLE and joins the threads.
  void stop();

  // Alerts matching `filter` with after < seq (<= up_to when given), in seq
  // order, at most `limit` (callers bound it).
  void list_alerts(audit::alert_filter filter, std::uint64_t after, std::size_t limit,
                   std::optional<std::uint64_t> up_to, answer<alert_page> done);
  // One alert with its envelope, timeline and replies; `origin` may be empty.
  void alert(std::string alert_id, std::string origin, answer<alert_detail> done);
  // Audit rows matching `filter` with after < id (<= up_to when given).
  void list_audit(audit::audit_filter filter, std::uint64_t after, std::size_t limit,
                  std::optional<std::uint64_t> up_to, answer<audit_page> done);
  // Recomputes the hash chain over audit rows from..to (to: the recorded
  // head when nullopt), 1000 rows at a time in one snapshot, comparing each
  // row with its Merkle tree leaf too. Occupies one pool thread throughout.
  void verify_chain(std::uint64_t from, std::optional<std::uint64_t> to, answer<chain_report> done);
  void tree_heads(std::uint64_t after_id, std::size_t limit, answer<tree_heads_page> done);
  // RFC 9162 proofs over the stored tree; INVALID_ARGUMENT for a size beyond it.
  void inclusion(std::uint64_t index, std::uint64_t tree_size, answer<inclusion_answer> done);
  void consistency(std::uint64_t first, std::uint64_t second, answer<consistency_answer> done);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace liaison::store
