// Shared fixture of the store's integration tests: a fresh migrated database
// per test, an injectable clock, and waits with deadlines (never sleeps as
// synchronisation).
#pragma once

#include "store/reader.hpp"
#include "store/writer.hpp"
#include "support/manual_clock.hpp"
#include "support/publish_requests.hpp"
#include "support/test_database.hpp"

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>

namespace liaison::testing {

using namespace std::chrono_literals;

// How long any single expected event may take before the test fails.
inline constexpr auto deadline = std::chrono::seconds(15);

// Waits for the future or throws (failing the test) after `deadline`.
template <class T>
T get_within(std::future<T>& f, const char* what) {
  if (f.wait_for(deadline) != std::future_status::ready)
    throw std::runtime_error(std::string("timed out waiting for ") + what);
  return f.get();
}

// Calls `start(handler)` and waits for the handler's value; throws after
// `deadline`. The handler stays valid if it runs late.
template <class T, class Start>
T call_within(Start start, const char* what) {
  auto promise = std::make_shared<std::promise<T>>();
  auto future = promise->get_future();
  start([promise](T value) { promise->set_value(std::move(value)); });
  return get_within(future, what);
}

// Polls `condition` until it holds; throws after `deadline`.
void wait_until(const std::function<bool()>& condition, const char* what);

class store_test : public ::testing::Test {
 protected:
  void SetUp() override { db_ = std::make_unique<test_database>(); }
  void TearDown() override { db_.reset(); }

  // A started writer on the test database, connected.
  std::unique_ptr<store::writer> start_writer(store::writer::commit_listener on_commit = {});
  std::unique_ptr<store::writer> start_writer(config::database_section section,
                                              store::writer::commit_listener on_commit);

  // Publishes and waits for the outcome.
  static core::result<core::publish_outcome> publish(store::writer& w, core::publish_request r);
  // Queues a publish; the future completes with its outcome.
  static std::future<core::result<core::publish_outcome>> publish_async(store::writer& w,
                                                                        core::publish_request r);
  static core::result<void> ack(store::writer& w, const core::consumer_key& key,
                                std::uint64_t up_to);

  // One value from a query, as the superuser on the test database.
  std::string admin_value(const std::string& sql);
  // pids of this database's backends with the given application_name.
  std::vector<int> backends(const std::string& application_name);
  // Terminates them and waits until they are gone.
  void terminate_backends(const std::string& application_name);

  std::unique_ptr<test_database> db_;
  manual_clock clock_;
};

}  // namespace liaison::testing
