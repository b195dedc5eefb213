#include "app/server.hpp"

#include "app/admin_api.hpp"
#include "app/node_metrics.hpp"
#include "app/reload.hpp"
#include "app/tls_expiry.hpp"
#include "auditors/audit_services.hpp"

#include "audit/event.hpp"
#include "broker/exchange.hpp"
#include "core/version.hpp"
#include "net/http_api.hpp"
#include "net/https_listener.hpp"
#include "net/native_listener.hpp"
#include "net/tls.hpp"
#include "net/tls_check.hpp"
#include "runtime/log.hpp"
#include "store/migrations.hpp"
#include "store/privileges.hpp"

#include <google/protobuf/stubs/logging.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <thread>

namespace liaison::app {
namespace {

namespace asio = boost::asio;

core::time_point system_now() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

std::string endpoint_text(const asio::ip::tcp::endpoint& ep) {
  auto address = ep.address().to_string();
  if (ep.address().is_v6()) address = "[" + address + "]";
  return address + ":" + std::to_string(ep.port());
}

void write_port_file(const std::string& path, const nlohmann::json& ports) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << ports.dump() << "\n";
    if (!out) throw std::runtime_error("cannot write the port file " + path);
  }
  // Readers poll for the file: rename makes it appear complete.
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    throw std::runtime_error("cannot write the port file " + path);
}

std::shared_ptr<const core::registry> load_registry(const config::server_config& config) {
  return std::make_shared<const core::registry>(config::load_registry(config.registry));
}

// Writes the failed-authentication summaries whose minute has passed, and
// logs each once; runs until `timer` is cancelled.
asio::awaitable<void> flush_failures(asio::steady_timer& timer, audit::failure_tally& failures,
                                     broker::exchange& exchange) {
  for (;;) {
    timer.expires_after(std::chrono::seconds(1));
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    for (auto& row : failures.take_due(exchange.now())) {
      auto detail = nlohmann::json::parse(row.detail, nullptr, false);
      const auto count = detail.value("count", std::uint64_t{0});
      const auto port = detail.value("port", std::string());
      const auto reasons = detail.value("reasons", nlohmann::json::object()).dump();
      runtime::log_event(runtime::log_level::warn, "auth.failures")
          .with("port", port)
          .with("address", row.subject)
          .with("error_code", row.outcome)
          .with("count", count)
          .with("reasons", reasons)
          .say(std::to_string(count) + " failed authentications on the " + port + " port from " +
               row.subject);
      exchange.audit_summary(std::move(row));
    }
  }
}

}  // namespace

void setup_logging(const config::log_section& log) {
  // Logs go to stderr (systemd's journal, a container's log); stdout stays free.
  runtime::setup_logging(
      log.level, log.format == "json" ? runtime::log_format::json : runtime::log_format::text);
  // Hostile input must not make protobuf write to stderr for every bad frame;
  // the session reports the error to the client and the audit log instead.
  google::protobuf::SetLogHandler(nullptr);
}

void migrate(const config::server_config& config, std::chrono::seconds wait) {
  const auto& db = config.database;
  const auto& owner = db.owner_url.empty() ? db.url : db.owner_url;
  auto until = std::chrono::steady_clock::now() + wait;
  for (int attempt = 1;; ++attempt) {
    try {
      if (store::apply_migrations(owner).empty()) spdlog::info("database schema is current");
      break;
    } catch (const std::exception& e) {
      if (std::chrono::steady_clock::now() >= until) throw;
      spdlog::warn("database not ready (attempt {}): {}; retrying", attempt, e.what());
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
  if (db.owner_url.empty()) return;
  // The owner grants the runtime role exactly what it needs, no more.
  const auto runtime = store::role_of(db.url);
  if (runtime == store::role_of(db.owner_url)) {
    spdlog::warn("database.url and database.owner_url log in as the same role '{}'", runtime);
    return;
  }
  store::grant_runtime_privileges(db.owner_url, runtime);
  spdlog::info("database: the runtime role '{}' holds the privileges it needs, and no more",
               runtime);
}

void check_runtime_role(const config::server_config& config) {
  auto problems = store::runtime_role_problems(config.database.url);
  if (problems.empty()) return;
  std::string list;
  for (const auto& p : problems) list += "\n  - " + p;
  const std::string what =
      "the database role of database.url could change or remove what the server has written:" +
      list +
      "\nServe with a role that owns nothing: set database.owner_url to the owner role and run "
      "`liaisond migrate --config FILE` (README, \"Database roles\")";
  if (!config.database.allow_privileged_role)
    throw std::runtime_error(what +
                             ", or set database.allow_privileged_role = true for "
                             "development only.");
  spdlog::warn("{} (serving anyway: database.allow_privileged_role = true)", what);
}

int run_server(const config::server_config& config, const run_options& options) {
  // A CRL past its nextUpdate fails every handshake: say so instead of serving.
  net::require_current_crl(config.tls, std::chrono::system_clock::now());
  auto registry = load_registry(config);
  spdlog::info("registry: {} members, {} groups, {} principals, {} signing keys",
               registry->data().members.size(), registry->data().groups.size(),
               registry->data().principals.size(), registry->data().keys.size());
  if (config.database.apply_migrations) migrate(config, std::chrono::seconds(60));
  check_runtime_role(config);

  // Before the exchange: its writer thread reports into it until it stops.
  node_metrics metrics(config.node_id);
  broker::exchange exchange(config, registry, system_now);
  exchange.observe_publish_commits(
      [&metrics](std::chrono::steady_clock::duration took) { metrics.publish_committed(took); });
  exchange.observe_deliveries(
      [&metrics](std::chrono::microseconds took) { metrics.delivery_written(took); });
  exchange.start();
  // Open the listeners only once publishes can be acknowledged, so that the
  // first client is not told UNAVAILABLE by a server that just started.
  for (int waited = 0; !exchange.ready(); ++waited) {
    if (waited == 300) throw std::runtime_error("the database writer did not connect within 30 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  auditors::audit_services auditors(config, system_now);
  auditors.start();

  asio::io_context io;
  const std::string server_name = "liaisond/" + std::string(core::version()) + " " + config.node_id;
  // Strangers' failed authentications: counted, and written as one summary
  // row per address, outcome and minute.
  audit::failure_tally failures(config.audit.failure_summary_interval);
  net::native_listener native(
      io, exchange, net::make_server_tls(config.tls), config.native,
      net::native_session_limits(config.native, config.audit, config.presence), failures,
      server_name);
  native.listen(config.native.listen);
  net::http_router router;
  net::https_listener https(
      io, exchange, net::make_server_tls(config.tls, /*require_client_certificate=*/false),
      config.https, net::stream_session_limits(config.https, config.audit, config.presence), router,
      failures, server_name);
  tls_expiry expiry;
  expiry.refresh(config.tls);
  net::add_core_routes(
      router, [&] { return metrics.render(exchange, native, https, failures, expiry); },
      [&expiry] { return expiry.handshake_problem(std::chrono::system_clock::now()); });
  add_admin_routes(router, native, https, config.node_id);
  auditors.add_routes(router);
  https.listen(config.https.listen);
  native.start();
  https.start();
  auto native_at = endpoint_text(native.local_endpoint());
  auto https_at = endpoint_text(https.local_endpoint());
  runtime::log_event(runtime::log_level::info, "server.listening")
      .with("port", "native")
      .with("address", native_at)
      .with("node", config.node_id)
      .say("native protocol listening on " + native_at + " (TLS 1.3, client certificate required)");
  runtime::log_event(runtime::log_level::info, "server.listening")
      .with("port", "https")
      .with("address", https_at)
      .with("node", config.node_id)
      .say("HTTPS API and WebSocket stream listening on " + https_at + " (TLS 1.3)");
  asio::steady_timer failure_timer(io);
  asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  std::thread reloader;
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        if (signo == SIGHUP) {
          // File reads do not belong on an io thread: reload on a thread of its own.
          if (reloader.joinable()) reloader.join();
          reloader = std::thread([&] {
            metrics.reloaded(reload(config, exchange, native, https), system_now());
            expiry.refresh(config.tls);
          });
          signals.async_wait(on_signal);
          return;
        }
        runtime::log_event(runtime::log_level::info, "server.stopping")
            .with("signal", signo)
            .say("signal " + std::to_string(signo) + ": stopping");
        native.stop();
        https.stop();
        signals.cancel();
        failure_timer.cancel();
      };
  signals.async_wait(on_signal);
  asio::co_spawn(io, flush_failures(failure_timer, failures, exchange), asio::detached);
  // Only now that signals are handled: whoever waits for the port file may
  // send SIGHUP or SIGTERM at once (before, SIGHUP's default action would
  // end the process).
  if (!options.port_file.empty())
    write_port_file(options.port_file, {{"native", native_at}, {"https", https_at}});
  exchange.audit(audit::event(exchange.now(), core::audit_action::server_start)
                     .subject(config.node_id)
                     .with("native", native_at)
                     .with("https", https_at)
                     .build());

  // The io threads only run coroutines and never block: the database work
  // happens on the exchange's own threads.
  unsigned count = std::max(2u, std::thread::hardware_concurrency());
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < count; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  if (reloader.joinable()) reloader.join();
  for (auto& row : failures.take_due(exchange.now(), /*flush_all=*/true))
    exchange.audit_summary(std::move(row));
  auditors.stop();
  exchange.stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace liaison::app
