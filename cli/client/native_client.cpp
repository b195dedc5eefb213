#include "client/native_client.hpp"

#include "client/detail.hpp"

#include "core/host_port.hpp"
#include "protocol/frame_reader.hpp"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <ctime>

namespace liaison::client {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using clock = std::chrono::steady_clock;
using ms = std::chrono::milliseconds;

// Frames from the server may carry a delivered alert near the server's own
// frame limit; the client accepts generously more.
constexpr std::uint32_t max_incoming_frame = 64u << 20;

ms remaining(clock::time_point deadline) {
  auto left = std::chrono::duration_cast<ms>(deadline - clock::now());
  return left.count() > 0 ? left : ms(0);
}

}  // namespace

void check_identity(const pki::identity& id) {
  auto local = [](const std::string& what) {
    return client_error(what + "; nothing was sent", client_error::kind::local);
  };
  std::unique_ptr<FILE, decltype(&std::fclose)> cert_file(std::fopen(id.cert_file.c_str(), "r"),
                                                          &std::fclose);
  if (!cert_file) throw local("cannot read your certificate " + id.cert_file);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_X509(cert_file.get(), nullptr, nullptr, nullptr), &X509_free);
  if (!cert) throw local(id.cert_file + " is not a PEM certificate");
  std::unique_ptr<FILE, decltype(&std::fclose)> key_file(std::fopen(id.key_file.c_str(), "r"),
                                                         &std::fclose);
  if (!key_file) throw local("cannot read your private key " + id.key_file);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_PrivateKey(key_file.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  if (!key) throw local(id.key_file + " is not a PEM private key");
  auto when = [](const ASN1_TIME* t) {
    std::tm tm{};
    ASN1_TIME_to_tm(t, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &tm);
    return std::string(text);
  };
  if (X509_cmp_current_time(X509_get0_notAfter(cert.get())) <= 0)
    throw local("your certificate " + id.cert_file + " expired on " +
                when(X509_get0_notAfter(cert.get())) +
                ": ask the task force's certificate authority (your PKI officer) for a new one");
  if (X509_cmp_current_time(X509_get0_notBefore(cert.get())) >= 0)
    throw local("your certificate " + id.cert_file + " is valid only from " +
                when(X509_get0_notBefore(cert.get())) +
                ": check this computer's clock, or ask your PKI officer");
  if (X509_check_private_key(cert.get(), key.get()) != 1)
    throw local("the key " + id.key_file + " does not belong to the certificate " + id.cert_file +
                ": the identity folder mixes two identities; ask your PKI officer");
}

void detail::configure_tls(asio::ssl::context& tls, const pki::identity& id,
                           bool present_certificate) {
  SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_3_VERSION);
  boost::system::error_code ec;
  if (present_certificate) {
    tls.use_certificate_chain_file(id.cert_file, ec);
    if (ec)
      throw client_error("cannot load the client certificate " + id.cert_file + ": " +
                         ec.message());
    tls.use_private_key_file(id.key_file, asio::ssl::context::pem, ec);
    if (ec) throw client_error("cannot load the client key " + id.key_file + ": " + ec.message());
  }
  tls.load_verify_file(id.ca_file, ec);
  if (ec) throw client_error("cannot load the CA certificate " + id.ca_file + ": " + ec.message());
  tls.set_verify_mode(asio::ssl::verify_peer);
}

struct native_client::impl {
  asio::io_context io;
  asio::ssl::context tls{asio::ssl::context::tls_client};
  std::unique_ptr<asio::ssl::stream<tcp::socket>> stream;
  std::string server;  // HOST:PORT, for messages
  protocol::frame_reader reader{max_incoming_frame};
  std::deque<liaison::v1::Frame> pending;
  liaison::v1::Welcome welcome;
  std::uint64_t next_id = 1;
  ms timeout{10000};

  template <class Start>
  std::pair<boost::system::error_code, std::size_t> run(Start start, ms limit) {
    return detail::run_for(
        io,
        [this] {
          boost::system::error_code ignored;
          stream->next_layer().cancel(ignored);
        },
        std::move(start), limit);
  }

  void write(std::string_view bytes) {
    auto [ec, n] = run(
        [&](auto handler) {
          asio::async_write(*stream, asio::buffer(bytes.data(), bytes.size()), handler);
        },
        timeout);
    if (ec) throw client_error("cannot send to the server: " + ec.message());
  }

  std::optional<liaison::v1::Frame> read_frame(ms limit) {
    auto deadline = clock::now() + limit;
    for (;;) {
      auto item = reader.next();
      if (item.state == protocol::frame_reader::status::too_large) {
        // "HTTP" read as a length: an HTTP answer, so this is the HTTPS port.
        if (item.declared_size == 0x48545450)
          throw client_error(server +
                                 " is liaisond's HTTPS port, not the native protocol's: use "
                                 "--http (publish) or --ws (subscribe), or the native port "
                                 "(7443 by default); nothing was sent",
                             client_error::kind::wrong_port);
        throw client_error("the server sent a frame of " + std::to_string(item.declared_size) +
                           " bytes");
      }
      if (item.state == protocol::frame_reader::status::frame) {
        liaison::v1::Frame frame;
        if (!frame.ParseFromArray(item.body.data(), static_cast<int>(item.body.size())))
          throw client_error("the server sent a malformed frame");
        return frame;
      }
      auto area = reader.prepare(64 * 1024);
      auto [ec, n] = run(
          [&](auto handler) {
            stream->async_read_some(asio::buffer(area.data(), area.size()), handler);
          },
          remaining(deadline));
      reader.commit(ec ? 0 : n);
      if (ec == asio::error::timed_out) return std::nullopt;
      if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated)
        throw client_error("the server closed the connection");
      if (ec) throw client_error("connection lost: " + ec.message());
    }
  }
};

native_client::native_client(const pki::identity& id, const connect_options& options)
    : impl_(std::make_unique<impl>()) {
  auto& s = *impl_;
  s.timeout = options.timeout;
  s.server = options.server;
  auto target = core::parse_host_port(options.server);
  if (!target)
    throw client_error("server address '" + options.server +
                           "' is not HOST:PORT (e.g. 127.0.0.1:7443); nothing was sent",
                       client_error::kind::local);
  if (options.present_certificate) check_identity(id);

  detail::configure_tls(s.tls, id, options.present_certificate);
  boost::system::error_code ec;
  s.stream = std::make_unique<asio::ssl::stream<tcp::socket>>(s.io, s.tls);
  s.stream->set_verify_callback(asio::ssl::host_name_verification(target->host));
  SSL_set_tlsext_host_name(s.stream->native_handle(), target->host.c_str());

  tcp::resolver resolver(s.io);
  auto endpoints = resolver.resolve(target->host, std::to_string(target->port), ec);
  if (ec)
    throw client_error(
        "cannot resolve " + target->host + ": " + ec.message() + "; nothing was sent",
        client_error::kind::unreachable);
  auto [cec, unused] = s.run(
      [&](auto handler) {
        asio::async_connect(
            s.stream->next_layer(), endpoints,
            [handler](boost::system::error_code e, const tcp::endpoint&) { handler(e, 0); });
      },
      s.timeout);
  if (cec)
    throw client_error("cannot connect to " + options.server + ": " + cec.message() +
                           " (is liaisond running there?); nothing was sent",
                       client_error::kind::unreachable);
  s.stream->next_layer().set_option(tcp::no_delay(true), ec);
  auto [hec, unused2] = s.run(
      [&](auto handler) {
        s.stream->async_handshake(asio::ssl::stream_base::client,
                                  [handler](boost::system::error_code e) { handler(e, 0); });
      },
      s.timeout);
  if (hec)
    throw client_error(
        "TLS handshake with " + options.server + " failed: " + hec.message() + "; nothing was sent",
        client_error::kind::unreachable);
  if (!options.send_hello) return;

  liaison::v1::Frame hello;
  hello.mutable_hello()->set_client(options.client_name);
  hello.mutable_hello()->set_protocol_version(1);
  auto answer = call(std::move(hello), s.timeout);
  if (answer.has_error())
    throw client_error(
        "the server refused the connection: " + liaison::v1::ErrorCode_Name(answer.error().code()) +
        ": " + answer.error().message());
  if (!answer.has_welcome()) throw client_error("the server did not answer Hello with Welcome");
  s.welcome = answer.welcome();
}

native_client::~native_client() = default;
native_client::native_client(native_client&&) noexcept = default;
native_client& native_client::operator=(native_client&&) noexcept = default;

const liaison::v1::Welcome& native_client::welcome() const {
  return impl_->welcome;
}

std::uint64_t native_client::send(liaison::v1::Frame frame) {
  if (frame.correlation_id() == 0) frame.set_correlation_id(impl_->next_id++);
  std::string bytes;
  protocol::put_frame_header(bytes, static_cast<std::uint32_t>(frame.ByteSizeLong()));
  frame.AppendToString(&bytes);
  impl_->write(bytes);
  return frame.correlation_id();
}

void native_client::send_raw(std::string_view bytes) {
  impl_->write(bytes);
}

std::optional<liaison::v1::Frame> native_client::receive(std::chrono::milliseconds timeout) {
  if (!impl_->pending.empty()) {
    auto frame = std::move(impl_->pending.front());
    impl_->pending.pop_front();
    return frame;
  }
  return impl_->read_frame(timeout);
}

liaison::v1::Frame native_client::call(liaison::v1::Frame request,
                                       std::chrono::milliseconds timeout) {
  auto id = send(std::move(request));
  auto deadline = clock::now() + timeout;
  for (;;) {
    auto frame = impl_->read_frame(remaining(deadline));
    if (!frame)
      throw client_error("no answer from the server within " + std::to_string(timeout.count()) +
                         " ms");
    // An Error without correlation id concerns the whole connection (e.g. a
    // frame over the limit): it answers whatever was asked.
    if (frame->correlation_id() == id || (frame->has_error() && frame->correlation_id() == 0))
      return std::move(*frame);
    impl_->pending.push_back(std::move(*frame));
  }
}

liaison::v1::Frame native_client::publish(const liaison::v1::Envelope& envelope,
                                          std::chrono::milliseconds timeout) {
  liaison::v1::Frame frame;
  *frame.mutable_publish()->mutable_envelope() = envelope;
  return call(std::move(frame), timeout);
}

liaison::v1::Frame native_client::subscribe(const liaison::v1::Subscribe& request,
                                            std::chrono::milliseconds timeout) {
  liaison::v1::Frame frame;
  *frame.mutable_subscribe() = request;
  return call(std::move(frame), timeout);
}

void native_client::ack(const std::string& consumer, std::uint64_t up_to_seq) {
  liaison::v1::Frame frame;
  frame.mutable_ack()->set_consumer(consumer);
  frame.mutable_ack()->set_up_to_seq(up_to_seq);
  send(std::move(frame));
}

void native_client::close() {
  if (!impl_ || !impl_->stream) return;
  boost::system::error_code ignored;
  impl_->stream->next_layer().shutdown(tcp::socket::shutdown_both, ignored);
  impl_->stream->next_layer().close(ignored);
}

}  // namespace liaison::client
