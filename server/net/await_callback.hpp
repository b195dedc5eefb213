// Bridges a callback-style asynchronous call (completed on a database thread)
// into a coroutine: the coroutine resumes on its own executor with the result.
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <functional>
#include <memory>

namespace liaison::net {

// `start` receives a completion function and must call it exactly once, from
// any thread. Usage:
//   auto r = co_await await_callback<core::result<X>>([&](auto done) { api.call(args, done); });
template <class Result, class Start>
boost::asio::awaitable<Result> await_callback(Start start) {
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(Result)>(
      [start = std::move(start)](auto handler) mutable {
        auto executor = boost::asio::get_associated_executor(handler);
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        start(std::function<void(Result)>([shared, executor](Result r) {
          boost::asio::post(executor,
                            [shared, r = std::move(r)]() mutable { (*shared)(std::move(r)); });
        }));
      },
      boost::asio::use_awaitable);
}

}  // namespace liaison::net
