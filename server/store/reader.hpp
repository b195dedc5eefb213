// Reads from the ordered log for consumers: backlog pages, seq ranges, and the
// durable consumer's stored state. A small pool of threads, each with its own
// connection; callers get their answer through a callback on a pool thread.
#pragma once

#include "config/server_config.hpp"
#include "core/rapid.hpp"
#include "core/records.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace liaison::store {

class reader {
 public:
  explicit reader(config::database_section options);
  ~reader();  // stop()
  reader(const reader&) = delete;
  reader& operator=(const reader&) = delete;

  void start();
  // Completes everything queued with UNAVAILABLE and joins the threads.
  void stop();

  // Alerts whose recipients include `member`, with seq > after_seq, in seq
  // order, at most `limit` of them, of one lane (priority) or of all (see
  // backlog_page for scanned_to).
  void fetch_backlog(std::string member, std::uint64_t after_seq, std::size_t limit,
                     std::optional<core::priority> lane,
                     std::function<void(core::result<core::backlog_page>)> done);

  // Creates the consumer (cursor 0) if it does not exist, for `member`, and
  // returns its cursor and the current log head. A consumer name is bound to
  // its principal; FAILED_PRECONDITION if it exists for another member.
  void open_consumer(core::consumer_key consumer, std::string member,
                     std::function<void(core::result<core::consumer_state>)> done);

  // Rapid response: an alert's receipts, deadlines and escalations per
  // recipient, by (id, origin) or, without origin, the alert with that id
  // `member` sent or received (NOT_FOUND when not committed); every member's combined
  // presence as stored; the notices addressed to a principal or to its
  // member's desks after an id (at most `limit`).
  void fetch_status(std::string alert_id, std::string origin, std::string member,
                    std::function<void(core::result<core::alert_status>)> done);
  void fetch_presence(std::function<void(core::result<std::vector<core::member_presence>>)> done);
  void fetch_notices(std::string principal, std::string member, std::uint64_t after_id,
                     std::size_t limit,
                     std::function<void(core::result<std::vector<core::notice>>)> done);

  // The committed alerts with `alert_id` (one per origin), for the rules
  // of withdrawals and corrections.
  void fetch_amendment_targets(
      std::string alert_id,
      std::function<void(core::result<std::vector<core::amendment_target>>)> done);

  // Operators' view: every durable consumer (at most `limit`) with its
  // cursors and pending alerts (counted up to `pending_cap`).
  void fetch_consumers(
      std::size_t limit, std::uint64_t pending_cap,
      std::function<void(core::result<std::vector<core::consumer_overview>>)> done);

  // For /metrics: connections up now, reads waiting for one.
  std::size_t connected() const;
  std::size_t queued() const;

  // Highest committed seq (0 when the log is empty), read synchronously on
  // the caller's thread with its own short-lived connection. For start-up only.
  std::uint64_t log_head_blocking();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace liaison::store
