#include "app/server.hpp"

#include "broker/exchange.hpp"
#include "net/native_listener.hpp"
#include "net/tls.hpp"
#include "store/migrations.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <google/protobuf/stubs/logging.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

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
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error("cannot write the port file " + path);
}

std::shared_ptr<const core::registry> load_registry(const config::server_config& config) {
  return std::make_shared<const core::registry>(config::load_registry(config.registry));
}

// SIGHUP: reload members.toml; principals that disappeared lose their connections.
void reload(const config::server_config& config, broker::exchange& exchange, net::native_listener& native) {
  std::shared_ptr<const core::registry> next;
  try {
    next = load_registry(config);
  } catch (const std::exception& e) {
    spdlog::error("reload refused, keeping the current registry: {}", e.what());
    exchange.audit(core::audit_event{exchange.now(), "server", "", std::string(core::audit_action::config_reload),
                                     config.node_id, "INVALID_ARGUMENT",
                                     nlohmann::json{{"reason", e.what()}}.dump(-1, ' ', false,
                                                                               nlohmann::json::error_handler_t::replace)});
    return;
  }
  auto previous = exchange.registry();
  std::vector<std::string> removed;
  for (const auto& p : previous->data().principals) {
    const auto* now = next->find_principal(p.id);
    if (!now || now->member != p.member || now->role != p.role || now->clearance != p.clearance)
      removed.push_back(p.id);
  }
  nlohmann::json detail{{"members", next->data().members.size()},
                        {"principals", next->data().principals.size()},
                        {"keys", next->data().keys.size()},
                        {"disconnected", removed}};
  exchange.replace_registry(next, detail.dump());
  for (const auto& id : removed) native.sessions().stop_principal(id);
  spdlog::info("registry reloaded: {} members, {} principals, {} keys; {} principals disconnected",
               next->data().members.size(), next->data().principals.size(), next->data().keys.size(), removed.size());
}

}  // namespace

void setup_logging(const config::log_section& log) {
  spdlog::set_level(spdlog::level::from_str(log.level));
  if (log.format == "json")
    spdlog::set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%f%z","level":"%l","thread":%t,"message":"%v"})");
  else
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%f%z %^%-5l%$ %v");
  // Hostile input must not make protobuf write to stderr for every bad frame;
  // the session reports the error to the client and the audit log instead.
  google::protobuf::SetLogHandler(nullptr);
}

void migrate(const config::server_config& config, std::chrono::seconds wait) {
  auto until = std::chrono::steady_clock::now() + wait;
  for (int attempt = 1;; ++attempt) {
    try {
      if (store::apply_migrations(config.database.url).empty()) spdlog::info("database schema is current");
      return;
    } catch (const std::exception& e) {
      if (std::chrono::steady_clock::now() >= until) throw;
      spdlog::warn("database not ready (attempt {}): {}; retrying", attempt, e.what());
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
}

int run_server(const config::server_config& config, const run_options& options) {
  auto registry = load_registry(config);
  spdlog::info("registry: {} members, {} groups, {} principals, {} signing keys", registry->data().members.size(),
               registry->data().groups.size(), registry->data().principals.size(), registry->data().keys.size());
  if (config.database.apply_migrations) migrate(config, std::chrono::seconds(60));

  broker::exchange exchange(config, registry, system_now);
  exchange.start();

  asio::io_context io;
  auto tls = net::make_server_tls(config.tls);
  net::native_listener native(io, exchange, tls, config.native, "liaisond/" LIAISON_VERSION " " + config.node_id);
  native.listen(config.native.listen);
  native.start();
  auto native_at = endpoint_text(native.local_endpoint());
  spdlog::info("native protocol listening on {} (TLS 1.3, client certificate required)", native_at);
  if (!options.port_file.empty()) write_port_file(options.port_file, {{"native", native_at}});
  exchange.audit(core::audit_event{exchange.now(), "server", "", std::string(core::audit_action::server_start),
                                   config.node_id, "ok", nlohmann::json{{"native", native_at}}.dump()});

  asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_signal = [&](const boost::system::error_code& ec,
                                                                             int signo) {
    if (ec) return;
    if (signo == SIGHUP) {
      reload(config, exchange, native);
      signals.async_wait(on_signal);
      return;
    }
    spdlog::info("signal {}: stopping", signo);
    native.stop();
    signals.cancel();
  };
  signals.async_wait(on_signal);

  // The io threads only run coroutines and never block: the database work
  // happens on the exchange's own threads.
  unsigned count = std::max(2u, std::thread::hardware_concurrency());
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < count; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  exchange.stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace liaison::app
