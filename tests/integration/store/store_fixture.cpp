#include "integration/store/store_fixture.hpp"

#include <algorithm>
#include <thread>

namespace liaison::testing {

void wait_until(const std::function<bool()>& condition, const char* what) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > end)
      throw std::runtime_error(std::string("timed out waiting until ") + what);
    std::this_thread::sleep_for(5ms);  // polling interval, not synchronisation
  }
}

std::unique_ptr<store::writer> store_test::start_writer(store::writer::commit_listener on_commit) {
  return start_writer(db_->section(), std::move(on_commit));
}

std::unique_ptr<store::writer> store_test::start_writer(config::database_section section,
                                                        store::writer::commit_listener on_commit) {
  auto w = std::make_unique<store::writer>(std::move(section), clock_.fn(), std::move(on_commit));
  w->start();
  wait_until([&] { return w->connected(); }, "the writer is connected");
  return w;
}

std::future<core::result<core::publish_outcome>> store_test::publish_async(
    store::writer& w, core::publish_request r) {
  auto promise = std::make_shared<std::promise<core::result<core::publish_outcome>>>();
  auto future = promise->get_future();
  w.publish(std::move(r), [promise](core::result<core::publish_outcome> outcome) {
    promise->set_value(std::move(outcome));
  });
  return future;
}

core::result<core::publish_outcome> store_test::publish(store::writer& w, core::publish_request r) {
  auto f = publish_async(w, std::move(r));
  return get_within(f, "a publish outcome");
}

core::result<void> store_test::ack(store::writer& w, const core::consumer_key& key,
                                   std::uint64_t up_to) {
  auto promise = std::make_shared<std::promise<core::result<void>>>();
  auto future = promise->get_future();
  core::audit_event e;
  e.actor = key.principal;
  e.actor_member = key.principal.substr(0, 2);
  e.action = std::string(core::audit_action::ack);
  e.subject = key.name;
  e.outcome = "ok";
  e.detail = "{\"up_to\":" + std::to_string(up_to) + "}";
  w.ack(key, std::nullopt, up_to, std::move(e),
        [promise](core::result<void> outcome) { promise->set_value(std::move(outcome)); });
  return get_within(future, "an ack outcome");
}

std::string store_test::admin_value(const std::string& sql) {
  pqxx::connection c(db_->admin_url());
  pqxx::nontransaction tx(c);
  auto r = tx.exec1(sql);
  return r[0].is_null() ? std::string() : r[0].c_str();
}

std::vector<int> store_test::backends(const std::string& application_name) {
  pqxx::connection c(db_->admin_url());
  pqxx::nontransaction tx(c);
  std::vector<int> pids;
  for (const auto& row :
       tx.exec_params("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                      "AND application_name = $1",
                      application_name))
    pids.push_back(row[0].as<int>());
  return pids;
}

void store_test::terminate_backends(const std::string& application_name) {
  auto pids = backends(application_name);
  ASSERT_FALSE(pids.empty()) << "no backend named " << application_name;
  {
    pqxx::connection c(db_->admin_url());
    pqxx::nontransaction tx(c);
    for (int pid : pids) tx.exec_params("SELECT pg_terminate_backend($1)", pid);
  }
  wait_until(
      [&] {
        auto now = backends(application_name);
        for (int pid : pids)
          if (std::find(now.begin(), now.end(), pid) != now.end()) return false;
        return true;
      },
      "the terminated backends are gone");
}

}  // namespace liaison::testing
