// Private to store/: a small pool of threads, each with its own connection,
// running queued reads and completing their callers through a callback on
// the pool thread. A lost connection fails the read in flight with
// UNAVAILABLE and is replaced with back-off; while no thread is connected,
// queued reads fail at once rather than wait. Serves the consumers' reader
// and the auditors' queries.
#pragma once

#include "config/server_config.hpp"
#include "core/error.hpp"

#include <pqxx/pqxx>

#include <functional>
#include <memory>
#include <string>

namespace liaison::store::detail {

struct query_pool_options {
  config::database_section database;
  std::string name;  // in log lines and as the connection's application_name
  std::size_t threads = 1;
  std::size_t queue_max = 256;         // queued reads beyond it get RESOURCE_EXHAUSTED
  bool read_only = false;              // every transaction of the connections read only
  core::duration statement_timeout{};  // zero: the server's default
  std::string timeout_message;         // RESOURCE_EXHAUSTED's message when a read hits it
  // Run on each new connection, e.g. to prepare statements.
  std::function<void(pqxx::connection&)> prepare;
};

class query_pool {
 public:
  explicit query_pool(query_pool_options options);
  ~query_pool();  // stop()
  query_pool(const query_pool&) = delete;
  query_pool& operator=(const query_pool&) = delete;

  void start();
  // Fails everything queued with UNAVAILABLE and joins the threads.
  void stop();

  // For /metrics: threads connected now, and reads waiting for one.
  std::size_t connected() const;
  std::size_t queued() const;

  // Runs `query` on a pool connection (read only; it may throw the database's
  // exceptions) and passes its result, or the translated failure, to `done`
  // on the pool thread. RESOURCE_EXHAUSTED at once when the queue is full.
  // Thread-safe; never blocks.
  template <class T>
  void submit(std::function<core::result<T>(pqxx::connection&)> query,
              std::function<void(core::result<T>)> done) {
    auto shared_done = std::make_shared<std::function<void(core::result<T>)>>(std::move(done));
    enqueue(
        [query = std::move(query), shared_done](pqxx::connection& c) -> std::function<void()> {
          auto value = std::make_shared<core::result<T>>(query(c));
          return [shared_done, value] { (*shared_done)(std::move(*value)); };
        },
        [shared_done](core::error e) { (*shared_done)(core::result<T>(std::move(e))); });
  }

 private:
  using run_fn = std::function<std::function<void()>(pqxx::connection&)>;
  using fail_fn = std::function<void(core::error)>;
  void enqueue(run_fn run, fail_fn fail);
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace liaison::store::detail
