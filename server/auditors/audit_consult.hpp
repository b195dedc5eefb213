// Internal to net/: what every auditor route shares. A request states its
// justification or is refused; each request leaves one audit row (who, which
// endpoint, which filters, why, how many rows, whether an export completed),
// written when the request's last reference goes, even if the client leaves
// in the middle of an export; exports stream page by page in bounded memory.
#pragma once

#include "audit/history_query.hpp"
#include "auditors/http.hpp"
#include "store/audit_store.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>

namespace liaison::auditors {

struct audit_api_state {
  store::audit_store& store;
  audit::query_limits limits;
  std::string signing_public_key;  // raw 32 bytes; empty when heads are not signed
};
using audit_api = std::shared_ptr<const audit_api_state>;

// The header that may carry the justification instead of the parameter.
inline constexpr std::string_view justification_header = "Liaison-Justification";

// The stated reason for a request: the `justification` parameter, else the
// header. INVALID_ARGUMENT when absent, blank, over 1000 bytes, not UTF-8.
core::result<std::string> justification_of(const http_request& request);

// One consultation, audited as core::audit_action::audit_query by the destructor.
class consultation {
 public:
  consultation(broker::exchange& exchange, const core::principal* who, const std::string& peer,
               const http_request& request);
  ~consultation();
  consultation(const consultation&) = delete;
  consultation& operator=(const consultation&) = delete;

  void justification(std::string text) { justification_ = std::move(text); }
  // The audit row's subject (default: the endpoint's path).
  void subject(std::string s) { subject_ = std::move(s); }
  void add_rows(std::uint64_t n) { rows_ += n; }
  void set(const std::string& key, nlohmann::json value) { extra_[key] = std::move(value); }
  void complete() { complete_ = true; }
  // Records the refusal and returns its reply.
  http_reply refuse(const core::error& e);

 private:
  broker::exchange& exchange_;
  std::string actor_, actor_member_, endpoint_, subject_, justification_, outcome_ = "ok";
  nlohmann::json filters_ = nlohmann::json::object();
  nlohmann::json extra_ = nlohmann::json::object();
  std::uint64_t rows_ = 0;
  bool complete_ = false;
};
using consultation_ptr = std::shared_ptr<consultation>;

// Wraps an auditor route: refuses (400, audited) a request without a
// justification, else runs `fn` with the request's consultation record.
using audited_fn =
    std::function<boost::asio::awaitable<http_reply>(request_context&, consultation_ptr)>;
http_handler audited(audited_fn fn);

// One page of an export, already rendered.
struct rendered_page {
  std::string text;
  std::size_t rows = 0;
  std::uint64_t last = 0;  // seq or id of the last row
  std::uint64_t head = 0;  // the log's head when read: the export stops there
  bool full = false;       // as many rows as asked: there may be more
};
using page_fetch = std::function<boost::asio::awaitable<core::result<rendered_page>>(
    std::uint64_t after, std::optional<std::uint64_t> up_to)>;

// Streams every row after `after` up to the head seen by the first page,
// with chunked encoding, one page in memory at a time. The first page is
// read before answering, so that a failure still gets a status code; a
// later failure cuts the connection (the client sees a truncated body).
boost::asio::awaitable<http_reply> export_reply(audit::export_format format, std::string first_line,
                                                page_fetch fetch, std::uint64_t after,
                                                consultation_ptr record);

// The history half of the auditors' routes (history_api.cpp), registered by
// add_audit_routes.
void add_history_routes(http_router& router, const audit_api& api);

// The reply of a failed store call, recorded in the consultation.
http_reply refused(const consultation_ptr& record, const core::error& e);

}  // namespace liaison::auditors
