#include "liaison/frame_link.hpp"

#include <openssl/ssl.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <cstring>
#include <stdexcept>

namespace liaison::bench {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

constexpr std::size_t read_chunk = 256 * 1024;
constexpr std::uint32_t max_frame = 64u << 20;

void put_header(std::string& out, std::uint32_t n) {
  const char h[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                     static_cast<char>(n >> 8), static_cast<char>(n)};
  out.append(h, 4);
}

std::uint32_t get_header(const char* p) {
  auto b = [&](int i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(p[i])); };
  return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
}

asio::ssl::context make_context(const pki::identity& id) {
  asio::ssl::context tls(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_3_VERSION);
  tls.use_certificate_chain_file(id.cert_file);
  tls.use_private_key_file(id.key_file, asio::ssl::context::pem);
  tls.load_verify_file(id.ca_file);
  return tls;
}

}  // namespace

frame_link::frame_link(asio::io_context& io, const pki::identity& id, const std::string& server)
    : tls_(make_context(id)), stream_(io, tls_) {
  auto colon = server.rfind(':');
  if (colon == std::string::npos)
    throw std::runtime_error("server '" + server + "' is not HOST:PORT");
  const std::string host = server.substr(0, colon);
  stream_.set_verify_mode(asio::ssl::verify_peer);
  stream_.set_verify_callback(asio::ssl::host_name_verification(host));
  SSL_set_tlsext_host_name(stream_.native_handle(), host.c_str());

  tcp::resolver resolver(io);
  asio::connect(stream_.next_layer(), resolver.resolve(host, server.substr(colon + 1)));
  stream_.next_layer().set_option(tcp::no_delay(true));
  stream_.handshake(asio::ssl::stream_base::client);

  liaison::v1::Frame hello;
  hello.mutable_hello()->set_client("liaison_bench");
  hello.mutable_hello()->set_protocol_version(1);
  auto answer = call_blocking(std::move(hello));
  if (!answer.has_welcome())
    throw std::runtime_error("the server did not welcome " + id.principal + ": " +
                             answer.error().message());
}

frame_link::~frame_link() {
  close();
}

liaison::v1::Frame frame_link::call_blocking(liaison::v1::Frame request) {
  const auto id = send(request);
  asio::write(stream_, asio::buffer(queued_));
  queued_.clear();
  for (;;) {
    while (in_len_ < 4 || in_len_ < 4 + get_header(in_.data())) {
      if (in_.size() < in_len_ + read_chunk) in_.resize(in_len_ + read_chunk);
      in_len_ += stream_.read_some(asio::buffer(in_.data() + in_len_, in_.size() - in_len_));
    }
    const std::uint32_t n = get_header(in_.data());
    liaison::v1::Frame f;
    if (!f.ParseFromArray(in_.data() + 4, static_cast<int>(n)))
      throw std::runtime_error("malformed frame");
    std::memmove(in_.data(), in_.data() + 4 + n, in_len_ - 4 - n);
    in_len_ -= 4 + n;
    if (f.correlation_id() == id || (f.has_error() && f.correlation_id() == 0)) return f;
  }
}

void frame_link::start(frame_handler on_frame, error_handler on_error) {
  on_frame_ = std::move(on_frame);
  on_error_ = std::move(on_error);
  // Frames that arrived with the last blocking answer come first.
  asio::post(stream_.get_executor(), [this] {
    parse_frames();
    read_more();
  });
}

std::uint64_t frame_link::send(liaison::v1::Frame& frame) {
  if (frame.correlation_id() == 0) frame.set_correlation_id(next_id_++);
  const auto size = frame.ByteSizeLong();
  put_header(queued_, static_cast<std::uint32_t>(size));
  const auto at = queued_.size();
  queued_.resize(at + size);
  frame.SerializeWithCachedSizesToArray(reinterpret_cast<std::uint8_t*>(queued_.data() + at));
  if (on_frame_ && !dispatching_ && !write_in_flight_) flush();
  return frame.correlation_id();
}

void frame_link::flush() {
  if (queued_.empty() || failed_ || closed_) return;
  writing_.swap(queued_);
  queued_.clear();
  write_in_flight_ = true;
  asio::async_write(stream_, asio::buffer(writing_),
                    [this](boost::system::error_code ec, std::size_t) {
                      write_in_flight_ = false;
                      writing_.clear();
                      if (ec) {
                        if (!failed_ && !closed_ && on_error_) on_error_("write: " + ec.message());
                        failed_ = true;
                        return;
                      }
                      flush();
                    });
}

void frame_link::parse_frames() {
  std::size_t at = 0;
  liaison::v1::Frame f;
  while (in_len_ - at >= 4) {
    const std::uint32_t n = get_header(in_.data() + at);
    if (n > max_frame) {
      failed_ = true;
      if (on_error_) on_error_("frame too large");
      return;
    }
    if (in_len_ - at < 4 + n) break;
    if (!f.ParseFromArray(in_.data() + at + 4, static_cast<int>(n))) {
      failed_ = true;
      if (on_error_) on_error_("malformed frame");
      return;
    }
    at += 4 + n;
    on_frame_(f);
  }
  if (at > 0) {
    std::memmove(in_.data(), in_.data() + at, in_len_ - at);
    in_len_ -= at;
  }
}

void frame_link::read_more() {
  if (failed_ || closed_) return;
  if (in_.size() < in_len_ + read_chunk) in_.resize(in_len_ + read_chunk);
  stream_.async_read_some(asio::buffer(in_.data() + in_len_, in_.size() - in_len_),
                          [this](boost::system::error_code ec, std::size_t n) {
                            if (ec) {
                              if (!failed_ && !closed_ && on_error_)
                                on_error_("read: " + ec.message());
                              failed_ = true;
                              return;
                            }
                            in_len_ += n;
                            dispatching_ = true;
                            parse_frames();
                            dispatching_ = false;
                            // Replies to what was just parsed go out in one write.
                            if (!write_in_flight_) flush();
                            read_more();
                          });
}

void frame_link::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  stream_.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.next_layer().close(ignored);
}

}  // namespace liaison::bench
