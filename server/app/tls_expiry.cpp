#include "app/tls_expiry.hpp"

#include "net/tls_check.hpp"

namespace liaison::app {
namespace {

std::int64_t seconds_of(const std::optional<std::chrono::system_clock::time_point>& t) {
  if (!t) return 0;
  return std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count();
}

}  // namespace

void tls_expiry::refresh(const config::tls_section& tls) {
  server_ = seconds_of(net::certificate_not_after(tls.cert_file));
  ca_ = seconds_of(net::certificate_not_after(tls.ca_file));
  crl_ = tls.crl_file.empty() ? 0 : seconds_of(net::crl_next_update(tls.crl_file));
}

std::vector<std::pair<std::string, std::int64_t>> tls_expiry::seconds_left(
    std::chrono::system_clock::time_point now) const {
  const auto at = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (const auto& [which, when] : {std::pair<const char*, std::int64_t>{"server", server_.load()},
                                    {"ca", ca_.load()},
                                    {"crl", crl_.load()}})
    if (when != 0) out.emplace_back(which, when - at);
  return out;
}

std::string tls_expiry::handshake_problem(std::chrono::system_clock::time_point now) const {
  for (const auto& [which, left] : seconds_left(now)) {
    if (left >= 0) continue;
    if (which == "crl")
      return "the CRL is past its nextUpdate: every client handshake fails until a current CRL "
             "is installed and liaisond reloaded";
    if (which == "server") return "the server certificate has expired";
    if (which == "ca") return "the CA certificate has expired";
  }
  return {};
}

}  // namespace liaison::app
