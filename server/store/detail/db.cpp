#include "store/detail/db.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <string_view>

namespace liaison::store::detail {

// libpqxx prints server notices and its own warnings to stderr by default;
// route them to the log instead.
class session::notice_logger : public pqxx::errorhandler {
 public:
  explicit notice_logger(pqxx::connection_base& c) : pqxx::errorhandler(c) {}

  bool operator()(const char msg[]) noexcept override {
    std::string_view text(msg);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
    if (text.starts_with("WARNING") || text.starts_with("ERROR"))
      spdlog::warn("database: {}", text);
    else
      spdlog::debug("database: {}", text);
    return false;  // handled: do not pass on to the default stderr handler
  }
};

session::session(const std::string& url, const std::string& application_name)
    : conn_(std::make_unique<pqxx::connection>(url_with_defaults(url))) {
  // libpqxx 6 silently reconnects a broken connection on the next
  // statement outside a transaction. The store wants to notice every lost
  // connection (to report UNAVAILABLE and start afresh), so it is turned off.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  conn_->inhibit_reactivation(true);
#pragma GCC diagnostic pop
  notices_ = std::make_unique<notice_logger>(*conn_);
  conn_->set_client_encoding("UTF8");
  pqxx::nontransaction tx(*conn_);
  // synchronous_commit is set explicitly: an acknowledgement promises that the
  // commit is on disk, whatever the server's or role's default says.
  tx.exec_params(
      "SELECT set_config('application_name', $1, false), "
      "set_config('synchronous_commit', 'on', false), set_config('TimeZone', 'UTC', false), "
      "set_config('bytea_output', 'hex', false)",
      application_name);
}

session::~session() {
  notices_.reset();
  conn_.reset();
}

bool session::probe() noexcept {
  try {
    conn_->get_notifs();
  } catch (...) {
    // A broken connection shows in is_open() below.
  }
  return conn_->is_open();
}

std::string url_with_defaults(const std::string& url) {
  // Without these a dead network would block a database thread for many
  // minutes (TCP retransmission) instead of failing over to reconnection.
  static constexpr std::pair<std::string_view, std::string_view> defaults[] = {
      {"connect_timeout", "5"},     {"keepalives", "1"},       {"keepalives_idle", "10"},
      {"keepalives_interval", "5"}, {"keepalives_count", "3"}, {"tcp_user_timeout", "30000"},
  };
  const bool is_uri = url.starts_with("postgresql://") || url.starts_with("postgres://");
  std::string out = url;
  bool has_query = url.find('?') != std::string::npos;
  for (const auto& [key, value] : defaults) {
    if (url.find(std::string(key) + "=") != std::string::npos) continue;
    if (is_uri) {
      out += has_query ? '&' : '?';
      has_query = true;
    } else {
      out += ' ';
    }
    out.append(key).append("=").append(value);
  }
  return out;
}

failure classify_current_exception(bool still_open) {
  try {
    throw;
  } catch (const pqxx::in_doubt_error& e) {
    return {failure_kind::in_doubt, e.what()};
  } catch (const pqxx::statement_completion_unknown& e) {
    return {failure_kind::in_doubt, e.what()};
  } catch (const pqxx::broken_connection& e) {
    return {failure_kind::connection, e.what()};
  } catch (const pqxx::sql_error& e) {
    // Class 08 is a connection exception; 57P01..57P03 mean the server is
    // shutting down or terminated this backend (pg_terminate_backend).
    const std::string& state = e.sqlstate();
    const bool lost = !still_open || state.starts_with("08") || state == "57P01" ||
                      state == "57P02" || state == "57P03";
    return {lost ? failure_kind::connection : failure_kind::other, e.what()};
  } catch (const std::exception& e) {
    return {still_open ? failure_kind::other : failure_kind::connection, e.what()};
  } catch (...) {
    return {still_open ? failure_kind::other : failure_kind::connection, "unknown exception"};
  }
}

core::error to_error(const failure& f) {
  switch (f.kind) {
    case failure_kind::connection:
      return core::make_error(core::errc::unavailable,
                              "database unavailable; nothing was stored, retry");
    case failure_kind::in_doubt:
      return core::make_error(core::errc::unavailable,
                              "database connection lost during commit; retry (it is idempotent)");
    case failure_kind::other:
      break;
  }
  return core::make_error(core::errc::internal, "database error");
}

core::duration backoff::next() {
  auto now = next_;
  next_ = std::min(next_ * 2, max_);
  return now;
}

}  // namespace liaison::store::detail
