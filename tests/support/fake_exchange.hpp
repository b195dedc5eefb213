// An exchange for unit tests of the session machine: it records every call
// and completes none by itself; the test completes them when the story says
// so, on its own thread (as the strand would). Subscriptions are fakes that
// record start, room, acknowledgements and close.
#pragma once

#include "broker/exchange_port.hpp"

#include <memory>
#include <optional>
#include <vector>

namespace liaison::testing {

class fake_subscription final : public broker::subscription_handle {
 public:
  struct ack_call {
    std::uint64_t up_to_seq;
    std::function<void(core::result<void>)> done;
    std::optional<core::priority> lane;
  };

  void start() override { ++started; }
  void on_room() override { ++rooms; }
  void ack(std::optional<core::priority> lane, std::uint64_t up_to_seq,
           std::function<void(core::result<void>)> done) override {
    acks.push_back({up_to_seq, std::move(done), lane});
  }
  void close() override { ++closed; }

  int started = 0;
  int rooms = 0;
  int closed = 0;
  std::vector<ack_call> acks;
};

// What the exchange heard about one attached connection.
struct fake_connection_state {
  bool attached = true;
  std::vector<bool> duty;  // set_on_duty calls, in order (the first: at attach)
};

class fake_connection final : public broker::connection_handle {
 public:
  explicit fake_connection(std::shared_ptr<fake_connection_state> s) : state_(std::move(s)) {}
  ~fake_connection() override { state_->attached = false; }
  void set_on_duty(bool counted) override { state_->duty.push_back(counted); }

 private:
  std::shared_ptr<fake_connection_state> state_;
};

class fake_exchange final : public broker::exchange_port {
 public:
  struct publish_call {
    core::principal who;
    core::alert alert;
    core::envelope envelope;
    core::publish_handler done;
  };
  struct subscribe_call {
    core::principal who;
    std::string name;
    broker::start_position start;
    broker::claim_rule claim;
    std::shared_ptr<broker::delivery_sink> sink;
    std::function<void(core::result<broker::subscription>)> done;
  };

  core::time_point now() const override { return at; }
  void publish(const core::principal& who, const core::alert& decoded,
               const core::envelope& signed_alert, core::publish_handler done) override;
  void reject_publish(const core::principal& who, const core::error& why) override;
  // Dry runs are recorded and answered at once with `preview_answer`.
  void preview(const core::principal& who, const core::alert& decoded,
               const core::envelope& signed_alert,
               std::function<void(core::result<core::recipient_preview>)> done) override {
    previews.push_back(decoded);
    (void)who;
    (void)signed_alert;
    done(preview_answer);
  }
  std::vector<core::alert> previews;
  core::result<core::recipient_preview> preview_answer = core::recipient_preview{};
  void subscribe(const core::principal& who, const std::string& name, broker::start_position start,
                 broker::claim_rule claim, std::shared_ptr<broker::delivery_sink> sink,
                 std::function<void(core::result<broker::subscription>)> done) override;
  void audit(core::audit_event event) override { audits.push_back(std::move(event)); }
  void delivered(core::time_point committed_at, core::time_point written_at) override {
    deliveries_written.emplace_back(committed_at, written_at);
  }
  std::unique_ptr<broker::connection_handle> attach(const core::principal& who,
                                                    std::shared_ptr<broker::notice_sink> notices,
                                                    bool on_duty) override;
  void send_receipt(const core::principal& who, const core::receipt& decoded,
                    const core::signed_receipt& signed_receipt,
                    std::function<void(core::result<core::receipt_outcome>)> done) override;
  void reject_receipt(const core::principal&, const core::error& why) override {
    rejected.push_back(why);
  }
  void fetch_notices(const core::principal& who, std::uint64_t after_id, std::size_t limit,
                     std::function<void(core::result<std::vector<core::notice>>)> done) override;
  void query_status(const core::principal& who, std::string alert_id, std::string origin,
                    std::function<void(core::result<core::alert_status>)> done) override;
  void query_presence(
      const core::principal& who,
      std::function<void(core::result<std::vector<core::member_presence>>)> done) override;

  // Completes the i-th publish with seq (received at `at`), or an error.
  void commit(std::size_t i, std::uint64_t seq);
  void refuse(std::size_t i, core::error why);
  // Completes the i-th subscribe with a new fake subscription and returns it.
  std::shared_ptr<fake_subscription> accept(std::size_t i, std::uint64_t cursor = 0,
                                            std::uint64_t resume_after = 0);

  // The audit rows with this action.
  std::vector<core::audit_event> audited(std::string_view action) const;

  struct receipt_call {
    core::principal who;
    core::receipt receipt;
    core::signed_receipt signed_receipt;
    std::function<void(core::result<core::receipt_outcome>)> done;
  };
  struct notices_call {
    std::uint64_t after_id;
    std::size_t limit;
    std::function<void(core::result<std::vector<core::notice>>)> done;
  };
  struct status_call {
    std::string alert_id;
    std::string origin;
    std::function<void(core::result<core::alert_status>)> done;
  };

  core::time_point at{std::chrono::microseconds{1'714'564'800'000'000}};
  std::vector<std::shared_ptr<fake_connection_state>> connections;
  std::vector<std::shared_ptr<broker::notice_sink>> notice_sinks;
  std::vector<receipt_call> receipts;
  std::vector<notices_call> notice_fetches;
  std::vector<status_call> statuses;
  std::vector<std::function<void(core::result<std::vector<core::member_presence>>)>> presences;
  std::vector<publish_call> publishes;
  std::vector<subscribe_call> subscribes;
  std::vector<core::error> rejected;
  std::vector<core::audit_event> audits;
  std::vector<std::pair<core::time_point, core::time_point>>
      deliveries_written;  // committed, written
};

}  // namespace liaison::testing
