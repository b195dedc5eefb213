// Internal to net/: the Asio side of a session::machine, the same for both
// transports. It owns the machine, the strand_port, and three timers: the
// writer's "outbox not empty" wake-up, the reader's "you may read again"
// signal, and the watchdog that calls on_tick at next_deadline(). A
// transport adds only what is its own: reading frames or messages, and
// writing them.
#pragma once

#include "broker/exchange_port.hpp"
#include "net/strand_port.hpp"
#include "session/machine.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <vector>

namespace liaison::net {

struct session_setup {
  core::principal who;
  std::string peer;
  session::limits limits;
  session::transport_profile profile;
  std::string server_name;
  std::size_t outbox_max_bytes = 8 << 20;
  protocol::wire_format format = protocol::wire_format::native;
};

class session_driver : public std::enable_shared_from_this<session_driver> {
 public:
  // Creates the machine; its deadlines count from now.
  static std::shared_ptr<session_driver> make(boost::asio::any_io_executor strand,
                                              broker::exchange_port& exchange, session_setup setup);

  session::machine& machine() { return *machine_; }
  static session::steady_time now();

  // Runs `read` and `write` with the watchdog until one of the three ends,
  // then stops the others (`stop_io` cancels the transport's socket), ends
  // the machine and returns. Exceptions of a loop are logged.
  boost::asio::awaitable<void> run(boost::asio::awaitable<void> read,
                                   boost::asio::awaitable<void> write,
                                   std::function<void()> stop_io);
  // For the reader: waits while the machine is not reading (a publish waits
  // for a slot, or the connection is closing and the writer has the last
  // word); false once the connection is over.
  boost::asio::awaitable<bool> may_read();
  // For the writer: the next items to write (at most max_bytes, at least
  // one), waiting for them; empty when the connection is over.
  boost::asio::awaitable<std::vector<session::outgoing>> next_batch(std::size_t max_bytes);
  // Asks every loop to end (shutdown, revocation). On the strand.
  void stop();

 private:
  session_driver(boost::asio::any_io_executor strand, broker::exchange_port& exchange);
  boost::asio::awaitable<void> watchdog();
  boost::asio::awaitable<void> guarded(boost::asio::awaitable<void> loop);
  void notify();

  boost::asio::any_io_executor strand_;
  strand_port port_;
  std::shared_ptr<session::machine> machine_;
  boost::asio::steady_timer wake_;      // the writer's "outbox not empty"
  boost::asio::steady_timer signal_;    // the reader's "may read again"
  boost::asio::steady_timer watchdog_;  // expires at the machine's deadline
  std::function<void()> stop_io_;
  bool ended_ = false;
  std::string transport_;  // "native" or "websocket", for the log
  session::steady_time opened_{};
};

}  // namespace liaison::net
