// Private to store/: opening a connection with the settings every store
// connection needs, the back-off between attempts, and the one place where
// database exceptions are classified and translated into core errors.
#pragma once

#include "core/error.hpp"
#include "core/types.hpp"

#include <pqxx/pqxx>

#include <memory>
#include <string>

namespace liaison::store::detail {

// A connection plus the handler that routes its server notices to the log.
// Never reactivates by itself: a broken connection stays broken, so that the
// owner notices, reports UNAVAILABLE and reconnects explicitly.
class session {
 public:
  // Connects to `url` (libpq URI or key=value string; short connect and
  // keepalive timeouts are added unless the url sets them), sets
  // application_name, client_encoding UTF8, TimeZone UTC, bytea_output
  // hex and synchronous_commit on. Throws pqxx exceptions.
  session(const std::string& url, const std::string& application_name);
  ~session();
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  pqxx::connection& conn() { return *conn_; }
  bool is_open() const { return conn_->is_open(); }

  // For an idle connection: reads whatever the server sent without blocking
  // and returns false if the connection turns out to be closed (the server
  // terminated it, or the network reported it gone). Never throws.
  bool probe() noexcept;

 private:
  class notice_logger;
  std::unique_ptr<pqxx::connection> conn_;
  std::unique_ptr<notice_logger> notices_;  // destroyed before conn_
};

// Adds connect_timeout and TCP keepalive settings to a libpq url unless present.
std::string url_with_defaults(const std::string& url);

enum class failure_kind {
  connection,  // the connection is gone; nothing in flight was committed
  in_doubt,    // the connection broke during COMMIT: outcome unknown
  other,       // the statement failed; the connection is usable
};

struct failure {
  failure_kind kind;
  std::string what;  // for the log only, never for clients
};

// Call inside a catch block: classifies the exception being handled.
// `still_open` is the connection's state after the failure (a server-side
// termination may surface as an SQL error on a connection that is now closed).
failure classify_current_exception(bool still_open);

// The client-facing error for a failure: UNAVAILABLE for connection and
// in-doubt failures, INTERNAL otherwise. Never carries SQL text.
core::error to_error(const failure& f);

// Exponential back-off between reconnection attempts.
class backoff {
 public:
  backoff(core::duration min, core::duration max) : min_(min), max_(max), next_(min) {}
  // The delay to wait now; doubles the next one up to max.
  core::duration next();
  void reset() { next_ = min_; }

 private:
  core::duration min_;
  core::duration max_;
  core::duration next_;
};

}  // namespace liaison::store::detail
