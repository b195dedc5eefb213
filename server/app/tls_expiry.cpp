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

std::string tls_expiry::render(std::chrono::system_clock::time_point now) const {
  const auto at = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  std::string out =
      "# HELP liaison_certificate_expiry_seconds Seconds until the server certificate or the CA "
      "certificate expires, or the CRL is due (after which every handshake fails); negative "
      "once passed.\n# TYPE liaison_certificate_expiry_seconds gauge\n";
  auto line = [&](const char* which, std::int64_t when) {
    if (when != 0)
      out += std::string("liaison_certificate_expiry_seconds{certificate=\"") + which + "\"} " +
             std::to_string(when - at) + "\n";
  };
  line("server", server_.load());
  line("ca", ca_.load());
  line("crl", crl_.load());
  return out;
}

}  // namespace liaison::app
