#include "auditors/audit_services.hpp"

#include "audit/tree_head.hpp"
#include "auditors/audit_api.hpp"
#include "core/names.hpp"
#include "protocol/codec.hpp"
#include "store/audit_store.hpp"
#include "store/history_indexer.hpp"
#include "store/tree_signer.hpp"

#include <spdlog/spdlog.h>

namespace liaison::auditors {
namespace {

// The searchable text of a signed payload, for the history index.
std::optional<store::search_text> search_text_of(std::string_view payload) {
  auto alert = protocol::decode_alert(payload);
  if (!alert) return std::nullopt;
  store::search_text out;
  out.body = alert->body;
  for (const auto& e : alert->entities)
    out.entities.emplace_back(std::string(core::to_string(e.type)), e.value);
  return out;
}

}  // namespace

audit_services::audit_services(const config::server_config& config,
                               std::function<core::time_point()> now)
    : options_(config.audit) {
  std::optional<crypto::ed25519_private_key> key;
  if (!options_.signing_key_file.empty()) {
    key = crypto::ed25519_private_key::load_pem_file(options_.signing_key_file);
    public_key_ = key->public_key();
    spdlog::info("audit: tree heads are signed with key {} ({})", audit::key_id_of(public_key_),
                 options_.signing_key_file);
  } else {
    spdlog::warn(
        "audit: audit.signing_key_file is not set; the Merkle tree is kept but no tree head is "
        "signed");
  }
  store_ = std::make_unique<store::audit_store>(config.database, options_);
  signer_ = std::make_unique<store::tree_signer>(config.database, options_, std::move(key),
                                                 std::move(now));
  indexer_ = std::make_unique<store::history_indexer>(config.database, search_text_of);
}

audit_services::~audit_services() {
  stop();
}

void audit_services::start() {
  store_->start();
  signer_->start();
  indexer_->start();
}

void audit_services::stop() {
  indexer_->stop();
  signer_->stop();
  store_->stop();
}

void audit_services::add_routes(net::http_router& router) {
  audit::query_limits limits;
  limits.max_limit = options_.max_page_rows;
  limits.default_limit = std::min<std::size_t>(100, options_.max_page_rows);
  add_audit_routes(router, *store_, limits, public_key_);
}

}  // namespace liaison::auditors
