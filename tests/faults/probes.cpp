#include "faults/probes.hpp"

#include "client/native_client.hpp"
#include "core/host_port.hpp"
#include "e2e/server_fixture.hpp"

#include <openssl/ssl.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

namespace liaison::faults {

namespace asio = boost::asio;
namespace v1 = liaison::v1;
using namespace std::chrono_literals;

int https_get_status(const std::string& address, const std::string& ca_file,
                     const std::string& path, std::chrono::milliseconds timeout) {
  auto target = core::parse_host_port(address);
  if (!target) return 0;
  asio::io_context io;
  asio::ssl::context tls(asio::ssl::context::tls_client);
  boost::system::error_code ec;
  tls.load_verify_file(ca_file, ec);
  if (ec) return 0;
  tls.set_verify_mode(asio::ssl::verify_peer);
  asio::ssl::stream<asio::ip::tcp::socket> stream(io, tls);
  stream.set_verify_callback(asio::ssl::host_name_verification(target->host));
  SSL_set_tlsext_host_name(stream.native_handle(), target->host.c_str());
  auto ip = asio::ip::make_address(target->host, ec);
  if (ec) return 0;
  std::string request =
      "GET " + path + " HTTP/1.1\r\nHost: " + address + "\r\nConnection: close\r\n\r\n";
  std::string response;
  bool done = false;
  stream.next_layer().async_connect({ip, target->port}, [&](boost::system::error_code e) {
    if (e) return;
    stream.async_handshake(asio::ssl::stream_base::client, [&](boost::system::error_code e2) {
      if (e2) return;
      asio::async_write(
          stream, asio::buffer(request), [&](boost::system::error_code e3, std::size_t) {
            if (e3) return;
            asio::async_read_until(stream, asio::dynamic_buffer(response), "\r\n",
                                   [&](boost::system::error_code e4, std::size_t) { done = !e4; });
          });
    });
  });
  io.run_for(timeout);
  // "HTTP/1.1 503 Service Unavailable"
  if (!done || response.size() < 12 || !response.starts_with("HTTP/1.")) return 0;
  try {
    return std::stoi(response.substr(9, 3));
  } catch (const std::exception&) {
    return 0;
  }
}

struct prober::connection {
  std::unique_ptr<client::native_client> client;
};

prober::prober(address_fn native, https_fn https, std::string principal_folder,
               std::chrono::milliseconds interval)
    : native_(std::move(native)),
      https_(std::move(https)),
      folder_(std::move(principal_folder)),
      interval_(interval),
      conn_(std::make_unique<connection>()) {}

prober::~prober() {
  stop();
}

void prober::start() {
  conn_->client = std::make_unique<client::native_client>(
      testing::identity(folder_), client::connect_options{native_(), 5s, "faults-prober"});
  thread_ = std::thread([this] { run(); });
}

void prober::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::vector<ping_sample> prober::pings() const {
  std::lock_guard lock(mutex_);
  return pings_;
}

std::vector<ready_sample> prober::readiness() const {
  std::lock_guard lock(mutex_);
  return ready_;
}

void prober::run() {
  const auto ca = testing::identity(folder_).ca_file;
  std::uint64_t nonce = 0;
  auto next = steady::now();
  while (!stop_) {
    // Paced sampling, not synchronisation: one probe per interval.
    std::this_thread::sleep_until(next);
    next += interval_;
    ping_sample p{steady::now(), std::nullopt};
    if (conn_->client) {
      try {
        v1::Frame ping;
        ping.mutable_ping()->set_nonce(++nonce);
        auto answer = conn_->client->call(ping, 5s);
        if (answer.has_pong())
          p.rtt = std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - p.sent);
      } catch (const client::client_error&) {
        // The connection opened before the fault is gone: that is the finding.
        conn_->client.reset();
      }
    }
    std::optional<ready_sample> r;
    if (auto https = https_())
      r = ready_sample{steady::now(), https_get_status(*https, ca, "/readyz", 2s)};
    std::lock_guard lock(mutex_);
    pings_.push_back(p);
    if (r) ready_.push_back(*r);
  }
}

}  // namespace liaison::faults
