// An exchange for unit tests of the session machine: it records every call
// and completes none by itself; the test completes them when the story says
// so, on its own thread (as the strand would). Subscriptions are fakes that
// record start, room, acknowledgements and close.
#pragma once

#include "broker/exchange_port.hpp"

#include <memory>
#include <vector>

namespace liaison::testing {

class fake_subscription final : public broker::subscription_handle {
 public:
  struct ack_call {
    std::uint64_t up_to_seq;
    std::function<void(core::result<void>)> done;
  };

  void start() override { ++started; }
  void on_room() override { ++rooms; }
  void ack(std::uint64_t up_to_seq, std::function<void(core::result<void>)> done) override {
    acks.push_back({up_to_seq, std::move(done)});
  }
  void close() override { ++closed; }

  int started = 0;
  int rooms = 0;
  int closed = 0;
  std::vector<ack_call> acks;
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
  void subscribe(const core::principal& who, const std::string& name, broker::start_position start,
                 broker::claim_rule claim, std::shared_ptr<broker::delivery_sink> sink,
                 std::function<void(core::result<broker::subscription>)> done) override;
  void audit(core::audit_event event) override { audits.push_back(std::move(event)); }

  // Completes the i-th publish with seq (received at `at`), or an error.
  void commit(std::size_t i, std::uint64_t seq);
  void refuse(std::size_t i, core::error why);
  // Completes the i-th subscribe with a new fake subscription and returns it.
  std::shared_ptr<fake_subscription> accept(std::size_t i, std::uint64_t cursor = 0,
                                            std::uint64_t resume_after = 0);

  // The audit rows with this action.
  std::vector<core::audit_event> audited(std::string_view action) const;

  core::time_point at{std::chrono::microseconds{1'714'564'800'000'000}};
  std::vector<publish_call> publishes;
  std::vector<subscribe_call> subscribes;
  std::vector<core::error> rejected;
  std::vector<core::audit_event> audits;
};

}  // namespace liaison::testing
