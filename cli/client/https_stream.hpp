// A GET on the HTTPS listener whose answer is passed on piece by piece, for
// exports of any size (the CLI's `history --format csv`): the body is never
// held in memory. Mutual TLS 1.3 with an identity folder.
#pragma once

#include "client/web_client.hpp"

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace liaison::client {

// Sends GET `target` to `server` (HOST:PORT). For a 2xx answer each piece of
// the body goes to `on_data` as it arrives and the returned body is empty;
// otherwise the body (up to 1 MiB) is returned. `idle` bounds each wait.
// Throws client_error on connection, TLS or timeout failures, and when a
// chunked body ends before its last chunk (a cut export).
http_response https_get_streamed(const pki::identity& id, const std::string& server,
                                 const std::string& target,
                                 const std::function<void(std::string_view)>& on_data,
                                 std::chrono::milliseconds idle);

}  // namespace liaison::client
