// Internal to net/: an exchange_port that forwards to the exchange and runs
// every completion on the connection's strand, where the session's machine
// lives (session::machine is not thread-safe by design).
#pragma once

#include "broker/exchange_port.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>

namespace liaison::net {

class strand_port final : public broker::exchange_port {
 public:
  strand_port(broker::exchange_port& inner, boost::asio::any_io_executor strand)
      : inner_(inner), strand_(std::move(strand)) {}

  core::time_point now() const override { return inner_.now(); }

  void publish(const core::principal& who, const core::alert& decoded,
               const core::envelope& signed_alert, core::publish_handler done) override {
    inner_.publish(who, decoded, signed_alert, on_strand(std::move(done)));
  }
  void reject_publish(const core::principal& who, const core::error& why) override {
    inner_.reject_publish(who, why);
  }
  void subscribe(const core::principal& who, const std::string& name, broker::start_position start,
                 broker::claim_rule claim, std::shared_ptr<broker::delivery_sink> sink,
                 std::function<void(core::result<broker::subscription>)> done) override {
    inner_.subscribe(who, name, start, std::move(claim), std::move(sink),
                     on_strand(std::move(done)));
  }
  void audit(core::audit_event event) override { inner_.audit(std::move(event)); }
  void preview(const core::principal& who, const core::alert& decoded,
               const core::envelope& signed_alert,
               std::function<void(core::result<core::recipient_preview>)> done) override {
    inner_.preview(who, decoded, signed_alert, on_strand(std::move(done)));
  }
  void delivered(core::time_point committed_at, core::time_point written_at) override {
    inner_.delivered(committed_at, written_at);
  }
  std::unique_ptr<broker::connection_handle> attach(const core::principal& who,
                                                    std::shared_ptr<broker::notice_sink> notices,
                                                    bool on_duty) override {
    return inner_.attach(who, std::move(notices), on_duty);
  }
  void send_receipt(const core::principal& who, const core::receipt& decoded,
                    const core::signed_receipt& signed_receipt,
                    std::function<void(core::result<core::receipt_outcome>)> done) override {
    inner_.send_receipt(who, decoded, signed_receipt, on_strand(std::move(done)));
  }
  void reject_receipt(const core::principal& who, const core::error& why) override {
    inner_.reject_receipt(who, why);
  }
  void fetch_notices(const core::principal& who, std::uint64_t after_id, std::size_t limit,
                     std::function<void(core::result<std::vector<core::notice>>)> done) override {
    inner_.fetch_notices(who, after_id, limit, on_strand(std::move(done)));
  }
  void query_status(const core::principal& who, std::string alert_id, std::string origin,
                    std::function<void(core::result<core::alert_status>)> done) override {
    inner_.query_status(who, std::move(alert_id), std::move(origin), on_strand(std::move(done)));
  }
  void query_presence(
      const core::principal& who,
      std::function<void(core::result<std::vector<core::member_presence>>)> done) override {
    inner_.query_presence(who, on_strand(std::move(done)));
  }

 private:
  template <class Result>
  std::function<void(Result)> on_strand(std::function<void(Result)> done) {
    return [strand = strand_, done = std::move(done)](Result r) {
      boost::asio::post(strand, [done, r = std::move(r)]() mutable { done(std::move(r)); });
    };
  }

  broker::exchange_port& inner_;
  boost::asio::any_io_executor strand_;
};

}  // namespace liaison::net
