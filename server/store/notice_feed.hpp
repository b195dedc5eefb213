// The live feed of notices: hands every notice committed by any node to one
// sink, once, in id order, on a thread of its own. It LISTENs on the
// liaison_notice channel (sent by the committing transaction) and reads
// what is new, with a read at least every second as a safety net. Starts
// after the notices that exist when it first connects; after a lost
// connection it resumes where it was, so nothing is skipped.
#pragma once

#include "config/server_config.hpp"
#include "core/rapid.hpp"

#include <functional>
#include <memory>
#include <vector>

namespace liaison::store {

class notice_feed {
 public:
  // Runs on the feed's thread, one call at a time; must not block for long
  // (connections' outboxes take notices without waiting).
  using sink = std::function<void(const std::vector<core::notice_ptr>&)>;

  notice_feed(config::database_section options, sink on_notices);
  ~notice_feed();  // stop()
  notice_feed(const notice_feed&) = delete;
  notice_feed& operator=(const notice_feed&) = delete;

  void start();
  void stop();
  // The highest notice id handed to the sink.
  std::uint64_t last_delivered() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace liaison::store
