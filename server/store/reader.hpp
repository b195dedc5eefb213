// Reads from the ordered log for consumers: backlog pages, seq ranges, and the
// durable consumer's stored state. A small pool of threads, each with its own
// connection; callers get their answer through a callback on a pool thread.
#pragma once

#include "config/server_config.hpp"
#include "core/records.hpp"

#include <functional>
#include <memory>
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
  // order, at most `limit` of them (see backlog_page for scanned_to).
  void fetch_backlog(std::string member, std::uint64_t after_seq, std::size_t limit,
                     std::function<void(core::result<core::backlog_page>)> done);

  // Creates the consumer (cursor 0) if it does not exist, for `member`, and
  // returns its cursor and the current log head. A consumer name is bound to
  // its principal; FAILED_PRECONDITION if it exists for another member.
  void open_consumer(core::consumer_key consumer, std::string member,
                     std::function<void(core::result<core::consumer_state>)> done);

  // Highest committed seq (0 when the log is empty), read synchronously on
  // the caller's thread with its own short-lived connection. For start-up only.
  std::uint64_t log_head_blocking();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace liaison::store
