// The exchange: the transport-independent heart of Liaison. Admits publishes
// and hands them to the group-committing writer, opens durable consumers,
// records acknowledgements and audit events, and follows the log for live
// fan-out. Native and WebSocket sessions are thin adapters over it.
#pragma once

#include "broker/consumer.hpp"
#include "broker/delivery_sink.hpp"
#include "broker/fanout_worker.hpp"
#include "broker/hub.hpp"
#include "broker/rate_limit.hpp"
#include "config/server_config.hpp"
#include "core/audit_event.hpp"
#include "core/registry.hpp"
#include "core/types.hpp"
#include "store/log_follower.hpp"
#include "store/reader.hpp"
#include "store/writer.hpp"

#include <atomic>
#include <functional>
#include <memory>

namespace liaison::broker {

struct start_position {
  enum class kind { stored_cursor, from_seq, only_new } from = kind::stored_cursor;
  std::uint64_t seq = 0;  // for from_seq: the first seq to deliver
};

struct subscription {
  std::shared_ptr<broker::consumer> consumer;  // not started yet
  std::uint64_t cursor = 0;                    // stored last acknowledged seq
  std::uint64_t resume_after = 0;              // deliveries start after this seq
};

class exchange {
 public:
  using clock_fn = std::function<core::time_point()>;

  exchange(config::server_config config, std::shared_ptr<const core::registry> registry,
           clock_fn now);
  ~exchange();
  exchange(const exchange&) = delete;
  exchange& operator=(const exchange&) = delete;

  // Reads the log head and starts the database threads. Throws on failure.
  void start();
  void stop();

  std::shared_ptr<const core::registry> registry() const { return std::atomic_load(&registry_); }
  // Swaps in a reloaded registry; connections and publishes from now on see it.
  void replace_registry(std::shared_ptr<const core::registry> next);
  const config::server_config& config() const { return config_; }
  core::time_point now() const { return now_(); }

  // Admits and queues a publish; `done` runs exactly once, on the caller's
  // thread for a rejection, on the writer thread after the commit otherwise.
  // A desk's publish first takes a token of its member's publish rate
  // (RESOURCE_EXHAUSTED when there is none, before any other check), then
  // goes through admit_publish. Every rejection writes an audit row.
  // Thread-safe.
  void publish(const core::principal& who, const core::alert& decoded,
               const core::envelope& signed_alert, store::publish_handler done);
  // Audits a publish that could not even be decoded (the caller answers it).
  void reject_publish(const core::principal& who, const core::error& why);

  // Opens the durable consumer `name` of `who` (desks and partner systems
  // only). A consumer with the same name on another connection is taken over:
  // its sink is told so. `done` runs on a database thread.
  void subscribe(const core::principal& who, const std::string& name, start_position start,
                 std::shared_ptr<delivery_sink> sink,
                 std::function<void(core::result<subscription>)> done);
  // Closes a consumer of a connection that ends or unsubscribes.
  void unsubscribe(const std::shared_ptr<broker::consumer>& c);

  // Cumulative acknowledgement. INVALID_ARGUMENT beyond what was delivered;
  // an acknowledgement at or below the cursor completes at once. `done` runs
  // once, on the writer thread after the commit or on the caller's thread.
  void ack(const core::principal& who, const std::shared_ptr<broker::consumer>& c,
           std::uint64_t up_to_seq, std::function<void(core::result<void>)> done);

  // Queues an audit row (authentication failures, protocol errors, ...).
  void audit(core::audit_event event);

  // True while the database is reachable (publishes can be acknowledged).
  bool ready() const;
  store::writer_stats writer_stats() const;
  // Publishes refused for their member's publish rate so far.
  std::uint64_t rate_limited() const { return publish_rate_.refused(); }
  const broker::hub& live_hub() const { return *hub_; }

 private:
  config::server_config config_;
  std::shared_ptr<const core::registry> registry_;
  clock_fn now_;
  rate_limiter publish_rate_;  // keyed by member
  std::unique_ptr<store::reader> reader_;
  std::unique_ptr<backlog_source> backlog_;  // reader_ as the consumers see it
  std::unique_ptr<broker::hub> hub_;
  std::unique_ptr<fanout_worker> fanout_;
  std::unique_ptr<store::log_follower> follower_;
  std::unique_ptr<store::writer> writer_;
};

// Consumer names: 1 to 64 characters of [A-Za-z0-9._-].
bool valid_consumer_name(std::string_view name);

}  // namespace liaison::broker
