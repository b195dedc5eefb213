// A gentle close after a final error answer: stop sending, then read and
// discard what the client still sends for a moment. Closing with unread
// input would make the kernel answer with a reset, which can destroy the
// error answer before the client reads it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>

namespace liaison::net {

// Reads at most `max_bytes` or for at most `limit`, whichever ends first.
boost::asio::awaitable<void> linger_close(boost::asio::ip::tcp::socket& socket,
                                          std::size_t max_bytes,
                                          std::chrono::steady_clock::duration limit);

}  // namespace liaison::net
