// A blocking client of the native protocol for the CLI, the tests and the
// benchmark: mutual TLS 1.3 with an identity folder, Hello/Welcome, then
// frames sent and received with deadlines. Not thread-safe: one thread per
// client.
#pragma once

#include "liaison/v1/frame.pb.h"
#include "pki/identity.hpp"

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace liaison::client {

// Connection, TLS or protocol failure (not an Error frame from the server).
// `nothing_sent` tells a caller whether a request can have reached the
// server: false only once the client has started to send one.
class client_error : public std::runtime_error {
 public:
  enum class kind {
    local,        // this side: files, certificate dates, key, address (nothing sent)
    unreachable,  // no connection or no TLS session (nothing sent)
    wrong_port,   // the address is another listener of liaisond (nothing sent)
    lost,         // the connection broke, or no answer in time
  };
  explicit client_error(const std::string& what, kind k = kind::lost)
      : std::runtime_error(what), kind_(k) {}
  kind what_kind() const { return kind_; }
  bool nothing_sent() const { return kind_ != kind::lost; }

 private:
  kind kind_;
};

// Checks the identity's own files before any connection: the certificate
// can be read and is valid now (not expired, not yet to come), and the key
// belongs to it. Throws client_error (kind local) saying what to do and whom
// to ask.
void check_identity(const pki::identity& id);

struct connect_options {
  std::string server;  // HOST:PORT
  std::chrono::milliseconds timeout{10000};
  std::string client_name = "liaison-cli";
  bool send_hello = true;           // tests turn it off to probe the server
  bool present_certificate = true;  // tests turn it off to probe the server
};

class native_client {
 public:
  // Connects and authenticates with `id`'s certificate, verifying the server
  // against the identity's CA and the host name; then Hello/Welcome.
  // Throws client_error, e.g. when the server answers with an Error frame.
  native_client(const pki::identity& id, const connect_options& options);
  ~native_client();
  native_client(native_client&&) noexcept;
  native_client& operator=(native_client&&) noexcept;

  const liaison::v1::Welcome& welcome() const;

  // Sends one frame; assigns a fresh correlation id when it has none and
  // returns it.
  std::uint64_t send(liaison::v1::Frame frame);
  // Raw bytes on the TLS stream, for tests of malformed input.
  void send_raw(std::string_view bytes);

  // The next frame, or nullopt when `timeout` passes first. Throws
  // client_error when the connection ends or the frame is malformed.
  std::optional<liaison::v1::Frame> receive(std::chrono::milliseconds timeout);

  // Sends a request and waits for the answer with its correlation id (a
  // PublishResult, Subscribed, Pong or Error); frames that arrive meanwhile
  // (deliveries) are kept for receive(). Throws client_error on timeout.
  liaison::v1::Frame call(liaison::v1::Frame request, std::chrono::milliseconds timeout);

  // Convenience wrappers around call().
  liaison::v1::Frame publish(const liaison::v1::Envelope& envelope,
                             std::chrono::milliseconds timeout);
  liaison::v1::Frame subscribe(const liaison::v1::Subscribe& request,
                               std::chrono::milliseconds timeout);
  void ack(const std::string& consumer, std::uint64_t up_to_seq);

  void close();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace liaison::client
