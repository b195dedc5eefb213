#include "net/linger.hpp"

#include "net/with_timeout.hpp"

#include <array>

namespace liaison::net {

boost::asio::awaitable<void> linger_close(boost::asio::ip::tcp::socket& socket,
                                          std::size_t max_bytes,
                                          std::chrono::steady_clock::duration limit) {
  boost::system::error_code ec;
  socket.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
  std::array<char, 16 * 1024> sink;
  auto until = std::chrono::steady_clock::now() + limit;
  for (std::size_t drained = 0; drained < max_bytes && std::chrono::steady_clock::now() < until;) {
    auto r = co_await with_timeout(socket.async_read_some(boost::asio::buffer(sink), use_nothrow),
                                   until - std::chrono::steady_clock::now());
    if (!r || std::get<0>(*r)) break;
    drained += std::get<1>(*r);
  }
}

}  // namespace liaison::net
