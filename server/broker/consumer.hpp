// A durable consumer attached to one connection: delivers, in seq order,
// every alert addressed to its member after its position — first the backlog
// from the database, then live from the hub, with no gap or duplicate at the
// switch. When its connection's outbound queue is full it leaves the live
// path and reads from the database at its own pace: nothing is dropped and no
// one else waits for it.
//
// With lanes, it is three such streams, one per priority, each with its own
// position and cursor: a FLASH goes live (and out) while a ROUTINE backlog
// is still being read. Without, one stream over all priorities.
#pragma once

#include "broker/backlog_source.hpp"
#include "broker/delivery_sink.hpp"
#include "core/audit_event.hpp"
#include "core/records.hpp"
#include "core/types.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace liaison::broker {

class hub;

struct consumer_identity {
  core::consumer_key key;
  std::string member;
  core::tlp clearance = core::tlp::red;
  std::string client_instance;  // of the holding connection's client process (claim_rule)
  bool lanes = false;           // one stream per priority
};

class consumer : public std::enable_shared_from_this<consumer> {
 public:
  using audit_fn = std::function<void(core::audit_event)>;
  using clock_fn = std::function<core::time_point()>;
  // Per stream (one without lanes, lane_count with): deliveries start after
  // position, the stored cursor is cursor.
  struct start {
    std::vector<std::uint64_t> positions;
    std::vector<std::uint64_t> cursors;
  };

  consumer(consumer_identity who, start from, std::shared_ptr<delivery_sink> sink, hub& live,
           backlog_source& backlog, std::size_t page_size, audit_fn audit, clock_fn now);

  // Begins catching up from the database. Call once.
  void start_delivery();
  // No more deliveries; detaches from the hub. Idempotent; thread-safe.
  void stop();
  // stop(), then tells the sink why (e.g. taken over by a newer connection).
  void fail(const core::error& why);

  // From the hub: the next committed alert of this stream for this member.
  void on_live(const core::stored_alert_ptr& alert, std::optional<core::priority> stream);
  // From the transport: outbound queues drained.
  void on_room();

  const consumer_identity& identity() const { return who_; }
  // The stream an acknowledgement names: its lane, or none without lanes.
  // INVALID_ARGUMENT when it does not fit the consumer.
  core::result<std::size_t> stream_of(std::optional<core::priority> lane) const;
  // Highest seq of the stream handed to the sink or skipped (withheld).
  std::uint64_t position(std::size_t stream) const;
  std::uint64_t cursor(std::size_t stream) const;
  // The acknowledgement rule: INVALID_ARGUMENT beyond position(); false at
  // or below the cursor (nothing to store); true when the cursor moves.
  core::result<bool> check_ack(std::size_t stream, std::uint64_t up_to_seq) const;
  // Records a committed acknowledgement (cursor only moves forward).
  void acknowledged(std::size_t stream, std::uint64_t up_to_seq);
  bool is_live(std::size_t stream = 0) const;
  // How far behind the log's head this consumer is, for /metrics: over the
  // streams not on the live path (reading the backlog, or let go by a full
  // outbox), the most seqs between its position and `head`, and the most
  // time since the commit of the last alert it delivered. Zero when live.
  struct lag_figures {
    std::uint64_t seqs = 0;
    double seconds = 0;
  };
  lag_figures lag(std::uint64_t head, core::time_point now) const;
  const core::consumer_key& key() const { return who_.key; }
  std::size_t streams() const { return streams_.size(); }

 private:
  enum class mode { idle, catching_up, live, stopped };
  struct stream {
    std::optional<core::priority> lane;  // nullopt: every priority
    mode m = mode::idle;
    bool fetching = false;
    bool waiting_for_room = false;
    std::uint64_t position = 0;
    std::uint64_t cursor = 0;
    std::optional<core::time_point> delivered_commit;  // of the last alert handed to the sink
  };
  core::priority queue_of(const stream& s) const {
    return s.lane.value_or(core::priority::routine);
  }
  std::string stream_name(const stream& s) const;
  void fetch_locked(std::size_t i);
  void on_page(std::size_t i, core::result<core::backlog_page> page);
  // Offers one alert; false when the sink is full. Advances the position.
  bool deliver_locked(stream& s, const core::stored_alert_ptr& alert);

  consumer_identity who_;
  std::shared_ptr<delivery_sink> sink_;
  hub& hub_;
  backlog_source& backlog_;
  std::size_t page_size_;
  audit_fn audit_;
  clock_fn now_;

  mutable std::mutex mutex_;
  std::vector<stream> streams_;
};

}  // namespace liaison::broker
