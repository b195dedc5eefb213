// Deadlines for single awaitable operations (Boost 1.81 has no cancel_after):
// races the operation against a timer with awaitable_operators::operator||;
// whichever finishes first cancels the other.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <optional>
#include <utility>

namespace liaison::net {

inline constexpr auto use_nothrow = boost::asio::as_tuple(boost::asio::use_awaitable);

// The operation's result, or nullopt when `limit` passed first. `op` must not
// throw (complete it with use_nothrow): operator|| waits for a *successful*
// operation, so a throwing one would leave the timer running to its end.
template <class T>
boost::asio::awaitable<std::optional<T>> with_timeout(boost::asio::awaitable<T> op,
                                                      std::chrono::steady_clock::duration limit) {
  using namespace boost::asio::experimental::awaitable_operators;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, limit);
  auto result = co_await (std::move(op) || timer.async_wait(use_nothrow));
  if (result.index() == 0) co_return std::move(std::get<0>(result));
  co_return std::nullopt;
}

}  // namespace liaison::net
