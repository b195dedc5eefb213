#include "app/reload.hpp"

#include "net/tls_check.hpp"
#include "runtime/log.hpp"

#include "audit/event.hpp"
#include "net/tls.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace liaison::app {
namespace {

void audit_reload(broker::exchange& exchange, const config::server_config& config,
                  std::string outcome, const nlohmann::json& detail) {
  exchange.audit(audit::event(exchange.now(), core::audit_action::config_reload)
                     .subject(config.node_id)
                     .outcome(outcome)
                     .with_all(detail)
                     .build());
}

}  // namespace

bool reload(const config::server_config& config, broker::exchange& exchange,
            net::native_listener& native, net::https_listener& https) {
  std::shared_ptr<const core::registry> next;
  std::shared_ptr<boost::asio::ssl::context> native_tls, https_tls;
  std::set<std::string> revoked;
  try {
    next = std::make_shared<const core::registry>(config::load_registry(config.registry));
    native_tls = net::make_server_tls(config.tls);
    https_tls = net::make_server_tls(config.tls, /*require_client_certificate=*/false);
    if (!config.tls.crl_file.empty()) revoked = net::revoked_serials(config.tls.crl_file);
    net::require_current_crl(config.tls, std::chrono::system_clock::now());
  } catch (const std::exception& e) {
    runtime::log_event(runtime::log_level::error, "config.reload")
        .with("error_code", "INVALID_ARGUMENT")
        .with("error", e.what())
        .say(std::string("reload refused, keeping the current configuration: ") + e.what());
    audit_reload(exchange, config, "INVALID_ARGUMENT", {{"reason", e.what()}});
    return false;
  }

  // Principals that disappeared or whose member, role or clearance changed.
  auto previous = exchange.registry();
  std::vector<std::string> changed;
  for (const auto& p : previous->data().principals) {
    const auto* now = next->find_principal(p.id);
    if (!now || now->member != p.member || now->role != p.role || now->clearance != p.clearance)
      changed.push_back(p.id);
  }
  exchange.replace_registry(next);
  native.replace_tls(native_tls);
  https.replace_tls(https_tls);
  for (const auto& id : changed) {
    native.sessions().stop_principal(id);
    https.connections().stop_principal(id);
  }
  // Revocation takes effect for open connections too, not only new ones.
  auto closed = native.sessions().stop_serials(revoked);
  auto closed_https = https.connections().stop_serials(revoked);
  closed.insert(closed.end(), closed_https.begin(), closed_https.end());
  std::sort(closed.begin(), closed.end());
  closed.erase(std::unique(closed.begin(), closed.end()), closed.end());

  nlohmann::json detail{
      {"members", next->data().members.size()}, {"principals", next->data().principals.size()},
      {"keys", next->data().keys.size()},       {"revoked_certificates", revoked.size()},
      {"disconnected_changed", changed},        {"disconnected_revoked", closed}};
  audit_reload(exchange, config, "ok", detail);
  runtime::log_event(runtime::log_level::info, "config.reload")
      .with("members", std::uint64_t{next->data().members.size()})
      .with("principals", std::uint64_t{next->data().principals.size()})
      .with("keys", std::uint64_t{next->data().keys.size()})
      .with("revoked_certificates", std::uint64_t{revoked.size()})
      .with("disconnected_changed", std::uint64_t{changed.size()})
      .with("disconnected_revoked", std::uint64_t{closed.size()})
      .say("reloaded members.toml and the TLS files");
  return true;
}

}  // namespace liaison::app
