// A durable consumer attached to one connection: delivers, in seq order,
// every alert addressed to its member after its position — first the backlog
// from the database, then live from the hub, with no gap or duplicate at the
// switch. When its connection's outbound queue is full it leaves the live
// path and reads from the database at its own pace: nothing is dropped and no
// one else waits for it.
#pragma once

#include "broker/backlog_source.hpp"
#include "broker/delivery_sink.hpp"
#include "core/audit_event.hpp"
#include "core/records.hpp"
#include "core/types.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace liaison::broker {

class hub;

struct consumer_identity {
  core::consumer_key key;
  std::string member;
  core::tlp clearance = core::tlp::red;
  std::string client_instance;  // of the holding connection's client process (claim_rule)
};

class consumer : public std::enable_shared_from_this<consumer> {
 public:
  using audit_fn = std::function<void(core::audit_event)>;
  using clock_fn = std::function<core::time_point()>;

  // Delivers alerts with seq > position. `cursor` is the stored last
  // acknowledged seq.
  consumer(consumer_identity who, std::uint64_t position, std::uint64_t cursor,
           std::shared_ptr<delivery_sink> sink, hub& live, backlog_source& backlog,
           std::size_t page_size, audit_fn audit, clock_fn now);

  // Begins catching up from the database. Call once.
  void start();
  // No more deliveries; detaches from the hub. Idempotent; thread-safe.
  void stop();
  // stop(), then tells the sink why (e.g. taken over by a newer connection).
  void fail(const core::error& why);

  // From the hub: the next committed alert for this member.
  void on_live(const core::stored_alert_ptr& alert);
  // From the transport: the outbound queue drained below its low-water mark.
  void on_room();

  const consumer_identity& identity() const { return who_; }
  // Highest seq handed to the sink or skipped (withheld by disclosure rules).
  std::uint64_t position() const;
  std::uint64_t cursor() const;
  // The acknowledgement rule: INVALID_ARGUMENT beyond position(); false at
  // or below the cursor (nothing to store); true when the cursor moves.
  core::result<bool> check_ack(std::uint64_t up_to_seq) const;
  // Records a committed acknowledgement (cursor only moves forward).
  void acknowledged(std::uint64_t up_to_seq);
  bool is_live() const;

 private:
  enum class mode { idle, catching_up, live, stopped };
  void fetch_locked();
  void on_page(core::result<core::backlog_page> page);
  // Offers one alert; false when the sink is full. Advances position_.
  bool deliver_locked(const core::stored_alert_ptr& alert);

  consumer_identity who_;
  std::shared_ptr<delivery_sink> sink_;
  hub& hub_;
  backlog_source& backlog_;
  std::size_t page_size_;
  audit_fn audit_;
  clock_fn now_;

  mutable std::mutex mutex_;
  mode mode_ = mode::idle;
  bool fetching_ = false;
  bool waiting_for_room_ = false;
  std::uint64_t position_;
  std::uint64_t cursor_;
};

}  // namespace liaison::broker
