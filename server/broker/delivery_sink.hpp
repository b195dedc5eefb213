// Where a durable consumer's deliveries go: the outbound queue of the
// connection (native or WebSocket) that subscribed it. The transport
// implements it; the broker never sees sockets.
//
// Deliveries wait in one queue per priority lane, and the connection writes
// FLASH before URGENT before ROUTINE. A consumer without lanes puts every
// delivery in the ROUTINE queue, so its alerts stay in seq order.
#pragma once

#include "core/error.hpp"
#include "core/rapid.hpp"
#include "core/types.hpp"

#include <string>

namespace liaison::broker {

class delivery_sink {
 public:
  virtual ~delivery_sink() = default;

  // Queues `alert` for delivery to `consumer` in the queue of `lane`, or
  // returns false without taking it when that queue is full. Thread-safe;
  // never blocks.
  virtual bool offer(const std::string& consumer, const core::stored_alert_ptr& alert,
                     core::priority lane) = 0;

  // True while the queue of `lane` is below its low-water mark, i.e. a
  // backlog page is welcome. After a false answer the transport calls
  // subscription_handle::on_room() once queues have drained. Thread-safe.
  virtual bool wants_more(core::priority lane) const = 0;

  // The consumer cannot go on (taken over by a newer connection, database
  // unavailable): tell the client and stop delivering. Thread-safe.
  virtual void consumer_failed(const std::string& consumer, const core::error& why) = 0;
};

// Where the notices for a connection go (its outbound queue). Thread-safe;
// never blocks: a notice that does not fit is dropped (the client reads it
// back with FetchNotices) and counted.
class notice_sink {
 public:
  virtual ~notice_sink() = default;
  virtual void offer_notice(const core::notice_ptr& notice) = 0;
};

}  // namespace liaison::broker
