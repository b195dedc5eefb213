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
  if (!target) throw client_error("server address '" + server + "' is not HOST:PORT");
  stream.set_verify_callback(asio::ssl::host_name_verification(target->host));
  SSL_set_tlsext_host_name(stream.native_handle(), target->host.c_str());
  boost::system::error_code ec;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(target->host, std::to_string(target->port), ec);
  if (ec) throw client_error("cannot resolve " + target->host + ": " + ec.message());
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
  if (cec) throw client_error("cannot connect to " + server + ": " + cec.message());
  auto [hec, n2] = detail::run_for(
      io, cancel,
      [&](auto handler) {
        stream.async_handshake(asio::ssl::stream_base::client,
                               [handler](boost::system::error_code e) { handler(e, 0); });
      },
      timeout);
  if (hec) throw client_error("TLS handshake with " + server + " failed: " + hec.message());
}

}  // namespace detail

using detail::open_tls;

http_response https_request(const pki::identity& id, const std::string& server,
                            const std::string& method, const std::string& target,
                            const std::string& body, const std::string& content_type, ms timeout) {
  asio::io_context io;
  asio::ssl::context tls(asio::ssl::context::tls_client);
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
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  auto [rec, n2] = detail::run_for(
      io, cancel, [&](auto handler) { http::async_read(stream, buffer, res, handler); }, timeout);
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

  std::optional<liaison::v1::Frame> read(ms limit) {
    buffer.clear();
    auto [ec, n] = detail::run_for(
        io, cancel(), [&](auto handler) { ws->async_read(buffer, handler); }, limit);
    if (ec == asio::error::timed_out) return std::nullopt;
    if (ec == websocket::error::closed)
      throw client_error("the server closed the stream (" + std::to_string(ws->reason().code) +
                         " " + std::string(ws->reason().reason.c_str()) + ")");
    if (ec) throw client_error("stream lost: " + ec.message());
    liaison::v1::Frame frame;
    auto text = beast::buffers_to_string(buffer.data());
    bool ok = format == stream_format::json
                  ? google::protobuf::util::JsonStringToMessage(text, &frame).ok()
                  : frame.ParseFromString(text);
    if (!ok) throw client_error("the server sent a malformed frame");
    return frame;
  }
};

stream_client::stream_client(const pki::identity& id, const std::string& server,
                             stream_format format, ms timeout, const std::string& client_name)
    : impl_(std::make_unique<impl>()) {
  auto& s = *impl_;
  s.format = format;
  s.timeout = timeout;
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
  auto bytes = s.encode(frame);
  auto [ec, n] = detail::run_for(
      s.io, s.cancel(), [&](auto handler) { s.ws->async_write(asio::buffer(bytes), handler); },
      s.timeout);
  if (ec) throw client_error("cannot send on the stream: " + ec.message());
  return frame.correlation_id();
}

std::optional<liaison::v1::Frame> stream_client::receive(ms timeout) {
  if (!impl_->pending.empty()) {
    auto frame = std::move(impl_->pending.front());
    impl_->pending.pop_front();
    return frame;
  }
  return impl_->read(timeout);
}

liaison::v1::Frame stream_client::call(liaison::v1::Frame request, ms timeout) {
  auto id = send(std::move(request));
  auto deadline = clock::now() + timeout;
  for (;;) {
    auto frame = impl_->read(remaining(deadline));
    if (!frame)
      throw client_error("no answer on the stream within " + std::to_string(timeout.count()) +
                         " ms");
    if (frame->correlation_id() == id || (frame->has_error() && frame->correlation_id() == 0))
      return std::move(*frame);
    impl_->pending.push_back(std::move(*frame));
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
