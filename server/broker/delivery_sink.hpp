// Where a durable consumer's deliveries go: the outbound queue of the
// connection (native or WebSocket) that subscribed it. The transport
// implements it; the broker never sees sockets.
#pragma once

#include "core/error.hpp"
#include "core/types.hpp"

#include <string>

namespace liaison::broker {

class delivery_sink {
 public:
  virtual ~delivery_sink() = default;

  // Queues `alert` for delivery to `consumer`, or returns false without taking
  // it when the outbound queue is full. Thread-safe; never blocks.
  virtual bool offer(const std::string& consumer, const core::stored_alert_ptr& alert) = 0;

  // True while the outbound queue is below its low-water mark, i.e. a backlog
  // page is welcome. After a false answer the transport calls
  // consumer::on_room() once the queue has drained. Thread-safe.
  virtual bool wants_more() const = 0;

  // The consumer cannot go on (taken over by a newer connection, database
  // unavailable): tell the client and stop delivering. Thread-safe.
  virtual void consumer_failed(const std::string& consumer, const core::error& why) = 0;
};

}  // namespace liaison::broker
