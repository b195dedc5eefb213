// The exchange: the transport-independent heart of Liaison. Admits publishes
// and hands them to the ordered log (group commit), opens durable consumers,
// records acknowledgements and audit events, and fans every commit out to
// the live consumers. Sessions reach it through exchange_port.
#pragma once

#include "broker/consumer.hpp"
#include "broker/exchange_port.hpp"
#include "broker/hub.hpp"
#include "broker/notice_hub.hpp"
#include "broker/preview.hpp"
#include "broker/rate_limit.hpp"
#include "config/server_config.hpp"
#include "core/registry.hpp"
#include "core/types.hpp"
#include "rapid/deadlines.hpp"
#include "rapid/presence.hpp"
#include "store/deadline_watch.hpp"
#include "store/notice_feed.hpp"
#include "store/ordered_log.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

namespace liaison::broker {

class exchange final : public exchange_port {
 public:
  using clock_fn = std::function<core::time_point()>;

  exchange(config::server_config config, std::shared_ptr<const core::registry> registry,
           clock_fn now);
  ~exchange() override;
  exchange(const exchange&) = delete;
  exchange& operator=(const exchange&) = delete;

  // Reads the log head and starts the database threads. Throws on failure.
  void start();
  void stop();

  std::shared_ptr<const core::registry> registry() const { return std::atomic_load(&registry_); }
  // Swaps in a reloaded registry; connections and publishes from now on see it.
  void replace_registry(std::shared_ptr<const core::registry> next);
  const config::server_config& config() const { return config_; }

  // exchange_port. publish(): a desk's publish first takes a token of its
  // member's publish rate (RESOURCE_EXHAUSTED when there is none, before any
  // other check), then goes through admit_publish; `done` runs on the
  // caller's thread for a refusal, on the writer thread after the commit
  // otherwise. subscribe(): desks and partner systems only; `done` runs on a
  // database thread. All thread-safe.
  core::time_point now() const override { return now_(); }
  void publish(const core::principal& who, const core::alert& decoded,
               const core::envelope& signed_alert, core::publish_handler done) override;
  void reject_publish(const core::principal& who, const core::error& why) override;
  void preview(const core::principal& who, const core::alert& decoded,
               const core::envelope& signed_alert,
               std::function<void(core::result<core::recipient_preview>)> done) override;
  void subscribe(const core::principal& who, const std::string& name, start_position start,
                 claim_rule claim, std::shared_ptr<delivery_sink> sink,
                 std::function<void(core::result<subscription>)> done) override;
  void audit(core::audit_event event) override;
  void delivered(core::time_point committed_at, core::time_point written_at) override {
    if (delivery_observer_) delivery_observer_(written_at - committed_at);
  }
  std::unique_ptr<connection_handle> attach(const core::principal& who,
                                            std::shared_ptr<notice_sink> notices,
                                            bool on_duty) override;
  void send_receipt(const core::principal& who, const core::receipt& decoded,
                    const core::signed_receipt& signed_receipt,
                    std::function<void(core::result<core::receipt_outcome>)> done) override;
  void reject_receipt(const core::principal& who, const core::error& why) override;
  void fetch_notices(const core::principal& who, std::uint64_t after_id, std::size_t limit,
                     std::function<void(core::result<std::vector<core::notice>>)> done) override;
  void query_status(const core::principal& who, std::string alert_id, std::string origin,
                    std::function<void(core::result<core::alert_status>)> done) override;
  void query_presence(
      const core::principal& who,
      std::function<void(core::result<std::vector<core::member_presence>>)> done) override;
  // The operators' view of every durable consumer as stored (GET
  // /v1/admin/consumers; the route checks the admin role).
  void query_consumers(
      std::size_t limit, std::uint64_t pending_cap,
      std::function<void(core::result<std::vector<core::consumer_overview>>)> done);
  // A summary row (failed authentications), apart from the writer's queue
  // limit: it never makes a publish wait (store::writer::audit_summary).
  void audit_summary(core::audit_event event);

  // True while the database is reachable (publishes can be acknowledged).
  bool ready() const;
  store::writer_stats writer_stats() const;
  // The consumers' reader pool: connections up, reads waiting.
  std::pair<std::size_t, std::size_t> reader_pool() const;
  store::log_follower::stats live_feed() const;
  // Publishes refused for their member's publish rate so far.
  std::uint64_t rate_limited() const { return publish_rate_.refused(); }
  const broker::hub& live_hub() const { return *hub_; }
  // This process's name in the presence table (node_id and a random suffix).
  const std::string& presence_node() const { return node_; }
  // Called (on the writer's thread) with the time from each publish reaching
  // the exchange to the commit that acknowledges it. Set before start().
  void observe_publish_commits(std::function<void(std::chrono::steady_clock::duration)> observer) {
    publish_observer_ = std::move(observer);
  }
  // Called (on io threads) with the time from an alert's commit to the
  // write of its delivery, per delivery. Set before start().
  void observe_deliveries(std::function<void(std::chrono::microseconds)> observer) {
    delivery_observer_ = std::move(observer);
  }
  // Every member's duty state as this node last learnt it (all nodes
  // combined); members never seen are absent.
  std::map<std::string, core::member_presence> presence_snapshot() const;

 private:
  class durable;  // the subscription_handle of one consumer
  // The checks of a publish and of its dry run, in order (rate, admission),
  // with the read window set; a refusal is audited and returned.
  core::result<core::publish_request> admit(const core::principal& who, const core::alert& decoded,
                                            const core::envelope& signed_alert, bool dry_run);
  // A reply, withdrawal or correction: reads the alert it names and applies
  // the rules of broker/amendment.hpp (refusals audited); anything else
  // passes through. `next` runs exactly once, on this thread or a reader thread.
  void amend(const core::principal& who, core::publish_request admitted, bool dry_run,
             std::function<void(core::result<core::publish_request>)> next);
  // Queues an admitted publish for the group commit.
  void commit(const core::principal& who, core::publish_request request,
              core::publish_handler done);
  core::recipient_preview preview_of(const core::publish_request& admitted);
  // A member's duty state: this node's own desks, else the presence table.
  // presence_mutex_ held.
  member_duty duty_locked(const std::string& member) const;
  class attached;  // the connection_handle of one connection

  // Desks on duty: a connection's change, written through the writer.
  void presence_changed(std::uint64_t connection, const core::principal& who, bool connected,
                        bool on_duty);
  void submit_presence(std::vector<store::presence_row> rows, bool all_members, std::string cause);
  void on_presence(std::vector<core::member_presence> members);
  void on_due(std::vector<core::due_deadline> due, std::function<void()> done);
  // Recipients of a FLASH or URGENT with no desk on duty (as far as known).
  std::vector<std::string> unstaffed(const std::vector<std::string>& members) const;
  core::audience everyone() const;

  config::server_config config_;
  std::shared_ptr<const core::registry> registry_;
  clock_fn now_;
  rate_limiter publish_rate_;  // keyed by member
  std::unique_ptr<store::ordered_log> log_;
  std::unique_ptr<backlog_source> backlog_;  // the log's reader as the consumers see it
  std::unique_ptr<broker::hub> hub_;

  rapid::deadline_policy deadlines_;
  std::string node_;
  broker::notice_hub notice_hub_;
  std::unique_ptr<store::notice_feed> notice_feed_;
  std::unique_ptr<store::deadline_watch> deadline_watch_;
  std::function<void(std::chrono::steady_clock::duration)> publish_observer_;
  std::function<void(std::chrono::microseconds)> delivery_observer_;
  mutable std::mutex presence_mutex_;
  rapid::presence_board board_;                            // this node's desks
  std::map<std::string, core::member_presence> presence_;  // combined, as last known
  std::chrono::steady_clock::time_point next_heartbeat_{};
  std::atomic<std::uint64_t> next_connection_{0};
};

// Consumer names: 1 to 64 characters of [A-Za-z0-9._-].
bool valid_consumer_name(std::string_view name);

}  // namespace liaison::broker
