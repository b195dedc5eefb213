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
