#include "client/web_client.hpp"

#include "client/detail.hpp"
#include "core/host_port.hpp"

#include <google/protobuf/util/json_util.h>
#include <openssl/ssl.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <deque>

namespace liaison::client {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::ip::tcp;
using ms = std::chrono::milliseconds;
using clock = std::chrono::steady_clock;

ms remaining(clock::time_point deadline) {
  auto left = std::chrono::duration_cast<ms>(deadline - clock::now());
  return left.count() > 0 ? left : ms(0);
}

}  // namespace

namespace detail {

void open_tls(asio::io_context& io, asio::ssl::stream<tcp::socket>& stream,
              const std::string& server, ms timeout) {
  auto target = core::parse_host_port(server);
  if (!target)
    throw client_error(
        "server address '" + server + "' is not HOST:PORT (e.g. 127.0.0.1:8443); nothing was sent",
        client_error::kind::local);
  stream.set_verify_callback(asio::ssl::host_name_verification(target->host));
  SSL_set_tlsext_host_name(stream.native_handle(), target->host.c_str());
  boost::system::error_code ec;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(target->host, std::to_string(target->port), ec);
  if (ec)
    throw client_error(
        "cannot resolve " + target->host + ": " + ec.message() + "; nothing was sent",
        client_error::kind::unreachable);
  auto cancel = [&stream] {
    boost::system::error_code ignored;
    stream.next_layer().cancel(ignored);
  };
  auto [cec, n1] = detail::run_for(
      io, cancel,
      [&](auto handler) {
        asio::async_connect(
            stream.next_layer(), endpoints,
            [handler](boost::system::error_code e, const tcp::endpoint&) { handler(e, 0); });
      },
      timeout);
  if (cec)
    throw client_error("cannot connect to " + server + ": " + cec.message() +
                           " (is liaisond running there?); nothing was sent",
                       client_error::kind::unreachable);
  auto [hec, n2] = detail::run_for(
      io, cancel,
      [&](auto handler) {
        stream.async_handshake(asio::ssl::stream_base::client,
                               [handler](boost::system::error_code e) { handler(e, 0); });
      },
      timeout);
  if (hec)
    throw client_error(
        "TLS handshake with " + server + " failed: " + hec.message() + "; nothing was sent",
        client_error::kind::unreachable);
}

client_error native_port(const std::string& server) {
  return client_error(server +
                          " answered in liaisond's native protocol, not HTTP: it is the native "
                          "port; use the HTTPS port (8443 by default) with --http or --ws, or "
                          "drop them; nothing was sent",
                      client_error::kind::wrong_port);
}

}  // namespace detail

using detail::open_tls;

http_response https_request(const pki::identity& id, const std::string& server,
                            const std::string& method, const std::string& target,
                            const std::string& body, const std::string& content_type, ms timeout) {
  asio::io_context io;
  asio::ssl::context tls(asio::ssl::context::tls_client);
  check_identity(id);
  detail::configure_tls(tls, id);
  asio::ssl::stream<tcp::socket> stream(io, tls);
  open_tls(io, stream, server, timeout);
  auto cancel = [&stream] {
    boost::system::error_code ignored;
    stream.next_layer().cancel(ignored);
  };
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, server);
  req.set(http::field::user_agent, "liaison-cli");
  if (!content_type.empty()) req.set(http::field::content_type, content_type);
  req.body() = body;
  req.prepare_payload();
  auto [wec, n1] = detail::run_for(
      io, cancel, [&](auto handler) { http::async_write(stream, req, handler); }, timeout);
  if (wec) throw client_error("cannot send the request: " + wec.message());
  // The native listener answers an HTTP request with a length-prefixed
  // Error frame: its first byte is never the 'H' of "HTTP/".
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  auto [rec, n2] = detail::run_for(
      io, cancel, [&](auto handler) { http::async_read(stream, buffer, res, handler); }, timeout);
  if (rec == http::error::bad_version || rec == http::error::bad_line_ending ||
      rec == http::error::bad_method || rec == http::error::bad_reason ||
      rec == http::error::bad_status) {
    auto seen = beast::buffers_to_string(buffer.data());
    if (seen.empty() || seen[0] != 'H') throw detail::native_port(server);
  }
  if (rec) throw client_error("no answer from " + server + ": " + rec.message());
  http_response out;
  out.status = res.result_int();
  for (const auto& field : res)
    out.headers.emplace(std::string(field.name_string()), std::string(field.value()));
  out.body = std::move(res.body());
  boost::system::error_code ignored;
  stream.next_layer().close(ignored);
  return out;
}

struct stream_client::impl {
  asio::io_context io;
  asio::ssl::context tls{asio::ssl::context::tls_client};
  std::unique_ptr<websocket::stream<asio::ssl::stream<tcp::socket>>> ws;
  stream_format format = stream_format::proto;
  beast::flat_buffer buffer;
  std::deque<liaison::v1::Frame> pending;
  std::uint64_t next_id = 1;
  ms timeout{10000};
  // One read stays outstanding between calls: cancelling a WebSocket read
  // breaks the stream, so a receive() that times out leaves it running and
  // the next call picks up its result. Pings are answered meanwhile.
  bool reading = false;
  std::optional<boost::system::error_code> read_failed;

  void fail_if_broken() {
    if (!read_failed) return;
    const auto ec = *read_failed;
    if (ec == websocket::error::closed)
      throw client_error("the server closed the stream (" + std::to_string(ws->reason().code) +
                         " " + std::string(ws->reason().reason.c_str()) + ")");
    throw client_error("stream lost: " + ec.message());
  }

  void start_read() {
    if (reading || read_failed) return;
    reading = true;
    ws->async_read(buffer, [this](boost::system::error_code ec, std::size_t) {
      reading = false;
      if (ec) {
        read_failed = ec;
        return;
      }
      liaison::v1::Frame frame;
      auto text = beast::buffers_to_string(buffer.data());
      buffer.clear();
      bool ok = format == stream_format::json
                    ? google::protobuf::util::JsonStringToMessage(text, &frame).ok()
                    : frame.ParseFromString(text);
      if (!ok) {
        read_failed = websocket::error::bad_frame_payload;
        return;
      }
      pending.push_back(std::move(frame));
    });
  }

  // Runs the io_context until `done` or `limit` passes; false on time out.
  template <class Done>
  bool run_until(Done done, ms limit) {
    const auto deadline = clock::now() + limit;
    io.restart();
    while (!done()) {
      auto left = remaining(deadline);
      if (left.count() == 0 || io.stopped()) return done();
      io.run_one_for(left);
      if (io.stopped()) io.restart();
    }
    return true;
  }

  std::optional<liaison::v1::Frame> read(ms limit) {
    if (pending.empty()) {
      start_read();
      run_until([this] { return !pending.empty() || read_failed.has_value(); }, limit);
    }
    if (!pending.empty()) {
      auto frame = std::move(pending.front());
      pending.pop_front();
      if (!reading) start_read();
      return frame;
    }
    fail_if_broken();
    return std::nullopt;
  }

  void write(const std::string& bytes) {
    std::optional<boost::system::error_code> written;
    ws->async_write(asio::buffer(bytes),
                    [&written](boost::system::error_code ec, std::size_t) { written = ec; });
    if (!run_until([&] { return written.has_value(); }, timeout)) {
      boost::system::error_code ignored;
      beast::get_lowest_layer(*ws).cancel(ignored);
      run_until([&] { return written.has_value(); }, ms(1000));
      throw client_error("cannot send on the stream: no progress within " +
                         std::to_string(timeout.count()) + " ms");
    }
    if (*written) throw client_error("cannot send on the stream: " + written->message());
  }

  std::function<void()> cancel() {
    return [this] {
      boost::system::error_code ignored;
      beast::get_lowest_layer(*ws).cancel(ignored);
    };
  }

  std::string encode(const liaison::v1::Frame& frame) const {
    std::string out;
    if (format == stream_format::json)
      (void)google::protobuf::util::MessageToJsonString(frame, &out);
    else
      frame.SerializeToString(&out);
    return out;
  }
};

stream_client::stream_client(const pki::identity& id, const std::string& server,
                             stream_format format, ms timeout, const std::string& client_name)
    : impl_(std::make_unique<impl>()) {
  auto& s = *impl_;
  s.format = format;
  s.timeout = timeout;
  check_identity(id);
  detail::configure_tls(s.tls, id);
  s.ws = std::make_unique<websocket::stream<asio::ssl::stream<tcp::socket>>>(s.io, s.tls);
  open_tls(s.io, s.ws->next_layer(), server, timeout);
  const char* subprotocol = format == stream_format::json ? "liaison.v1.json" : "liaison.v1.proto";
  s.ws->set_option(websocket::stream_base::decorator([subprotocol](websocket::request_type& req) {
    req.set(http::field::sec_websocket_protocol, subprotocol);
  }));
  if (format == stream_format::json)
    s.ws->text(true);
  else
    s.ws->binary(true);
  websocket::response_type upgrade;
  auto [ec, n] = detail::run_for(
      s.io, s.cancel(),
      [&](auto handler) {
        s.ws->async_handshake(upgrade, server, "/v1/stream",
                              [handler](boost::system::error_code e) { handler(e, 0); });
      },
      timeout);
  if (ec) {
    std::string detail = upgrade.result_int() ? " (HTTP " + std::to_string(upgrade.result_int()) +
                                                    ": " + upgrade.body() + ")"
                                              : "";
    throw client_error("the stream was refused: " + ec.message() + detail);
  }
  liaison::v1::Frame hello;
  hello.mutable_hello()->set_client(client_name);
  hello.mutable_hello()->set_protocol_version(1);
  auto answer = call(std::move(hello), timeout);
  if (answer.has_error())
    throw client_error(
        "the server refused the stream: " + liaison::v1::ErrorCode_Name(answer.error().code()) +
        ": " + answer.error().message());
}

stream_client::~stream_client() = default;
stream_client::stream_client(stream_client&&) noexcept = default;
stream_client& stream_client::operator=(stream_client&&) noexcept = default;

std::uint64_t stream_client::send(liaison::v1::Frame frame) {
  auto& s = *impl_;
  if (frame.correlation_id() == 0) frame.set_correlation_id(s.next_id++);
  s.write(s.encode(frame));
  return frame.correlation_id();
}

std::optional<liaison::v1::Frame> stream_client::receive(ms timeout) {
  return impl_->read(timeout);
}

liaison::v1::Frame stream_client::call(liaison::v1::Frame request, ms timeout) {
  auto id = send(std::move(request));
  auto& s = *impl_;
  auto deadline = clock::now() + timeout;
  for (;;) {
    // The answer, wherever it is in the queue; other frames stay for receive().
    for (auto it = s.pending.begin(); it != s.pending.end(); ++it) {
      if (it->correlation_id() == id || (it->has_error() && it->correlation_id() == 0)) {
        auto answer = std::move(*it);
        s.pending.erase(it);
        return answer;
      }
    }
    s.fail_if_broken();
    s.start_read();
    const auto seen = s.pending.size();
    if (!s.run_until([&] { return s.pending.size() > seen || s.read_failed.has_value(); },
                     remaining(deadline))) {
      s.fail_if_broken();
      throw client_error("no answer on the stream within " + std::to_string(timeout.count()) +
                         " ms");
    }
  }
}

void stream_client::close() {
  if (!impl_ || !impl_->ws) return;
  auto& s = *impl_;
  detail::run_for(
      s.io, s.cancel(),
      [&](auto handler) {
        s.ws->async_close(websocket::close_code::normal,
                          [handler](boost::system::error_code e) { handler(e, 0); });
      },
      ms(2000));
}

}  // namespace liaison::client
