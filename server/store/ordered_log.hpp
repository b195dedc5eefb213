// The ordered log as the broker uses it: the group-committing writer, the
// reader pool (backlogs, consumer state) and the live feed. The writer feeds
// the follower here, inside store; the broker supplies one sink, which sees
// every commit of every node once, in seq order (log_follower.hpp states
// what happens when that sink is slow).
#pragma once

#include "config/server_config.hpp"
#include "store/log_follower.hpp"
#include "store/reader.hpp"
#include "store/writer.hpp"

#include <memory>

namespace liaison::store {

class ordered_log {
 public:
  ordered_log(config::database_section options, writer::clock_fn now, log_follower::sink live_feed);
  ~ordered_log();  // stop()
  ordered_log(const ordered_log&) = delete;
  ordered_log& operator=(const ordered_log&) = delete;

  // Reads the log head (throws std::runtime_error when the database cannot
  // be reached) and returns it: the live feed begins after it.
  std::uint64_t open();
  // Starts every thread. After open().
  void start();
  // The writer first, so that nothing new is committed while the rest stops.
  void stop();

  // After open().
  store::writer& writer() { return *writer_; }
  const store::writer& writer() const { return *writer_; }
  store::reader& reader() { return *reader_; }
  log_follower::stats live_feed() const;

 private:
  const config::database_section options_;
  const writer::clock_fn now_;
  const log_follower::sink live_feed_;
  std::unique_ptr<store::reader> reader_;
  std::unique_ptr<log_follower> follower_;
  std::unique_ptr<store::writer> writer_;
};

}  // namespace liaison::store
