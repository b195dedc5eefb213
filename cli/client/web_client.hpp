// Blocking clients of the HTTPS listener for the CLI and tests: one HTTPS
// request (e.g. POST /v1/alerts), and the WebSocket stream with either
// subprotocol. Mutual TLS 1.3 with an identity folder, deadlines on every
// step. Not thread-safe: one thread per client.
#pragma once

#include "client/native_client.hpp"
#include "liaison/v1/frame.pb.h"
#include "pki/identity.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace liaison::client {

struct http_response {
  unsigned status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
};

// Sends one request to `server` (HOST:PORT) and returns the answer. Throws
// client_error on connection, TLS or timeout failures.
http_response https_request(const pki::identity& id, const std::string& server,
                            const std::string& method, const std::string& target,
                            const std::string& body, const std::string& content_type,
                            std::chrono::milliseconds timeout);

enum class stream_format { proto, json };

class stream_client {
 public:
  // Opens wss://server/v1/stream with the subprotocol of `format`, then
  // Hello/Welcome. Throws client_error (with the HTTP status when the
  // upgrade is refused).
  stream_client(const pki::identity& id, const std::string& server, stream_format format,
                std::chrono::milliseconds timeout, const std::string& client_name = "liaison-cli");
  ~stream_client();
  stream_client(stream_client&&) noexcept;
  stream_client& operator=(stream_client&&) noexcept;

  std::uint64_t send(liaison::v1::Frame frame);
  // The next frame, nullopt on timeout; throws client_error when the stream
  // ends (the message names the close code and reason).
  std::optional<liaison::v1::Frame> receive(std::chrono::milliseconds timeout);
  // Request and its answer (by correlation id); other frames are kept.
  liaison::v1::Frame call(liaison::v1::Frame request, std::chrono::milliseconds timeout);
  void close();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace liaison::client
