#include "liaison/publisher.hpp"

#include "client/alert_builder.hpp"

#include <boost/asio/post.hpp>

namespace liaison::bench {

publisher::publisher(std::unique_ptr<frame_link> link, const pki::identity& id, std::size_t index,
                     const workload_options& options, const recipient_mix& mix,
                     const run_clock& clock)
    : link_(std::move(link)),
      member_(id.member),
      key_id_(id.key_id),
      key_(crypto::ed25519_private_key::load_pem_file(id.signing_key_file)),
      index_(index),
      options_(options),
      mix_(mix),
      clock_(clock),
      timer_(link_->executor()) {
  // Printable, varied text: the body is stored and searched as text.
  body_.reserve(options.body_bytes);
  static constexpr char words[] =
      "route vehicle border crossing night convoy van plate phone account ";
  for (std::size_t i = 0; i < options.body_bytes; ++i)
    body_.push_back(words[(i * 7 + index) % (sizeof words - 1)]);
  alert_.set_origin(member_);
  alert_.set_kind(liaison::v1::KIND_INFORMATION);
  alert_.set_category(liaison::v1::CATEGORY_SMUGGLING_ROUTE);
  alert_.set_priority(liaison::v1::PRIORITY_ROUTINE);
  alert_.set_tlp(liaison::v1::TLP_AMBER);
  alert_.set_restriction(liaison::v1::RESTRICTION_H0);
  alert_.mutable_evaluation()->set_source(liaison::v1::SOURCE_RELIABILITY_B);
  alert_.mutable_evaluation()->set_information(liaison::v1::INFORMATION_RELIABILITY_2);
  alert_.set_subject("Benchmark alert from " + member_);
  alert_.set_body(body_);
  alert_.set_language("en");
  if (options.mode == loop_mode::open) {
    // Each publisher sends rate/publishers per second, phases spread evenly.
    const double period = static_cast<double>(options.publishers) / options.rate;
    interval_ = std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(period));
  }
}

bool publisher::may_send(steady::time_point t) const {
  if (stopped_) return false;
  if (options_.count > 0) return k_ < options_.count;
  return clock_.sending(t);
}

void publisher::start() {
  link_->start([this](const liaison::v1::Frame& f) { on_frame(f); },
               [this](const std::string& why) { note_error(why); });
  boost::asio::post(timer_.get_executor(), [this] {
    if (options_.mode == loop_mode::closed) {
      for (std::size_t i = 0; i < options_.window && may_send(steady::now()); ++i)
        send_one(steady::now());
    } else {
      next_at_ = clock_.start +
                 interval_ * static_cast<long>(index_) / static_cast<long>(options_.publishers);
      schedule_next();
    }
  });
}

void publisher::stop_sending() {
  boost::asio::post(timer_.get_executor(), [this] {
    stopped_ = true;
    timer_.cancel();
  });
}

void publisher::schedule_next() {
  timer_.expires_at(next_at_);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    // Everything due is sent now, each timed from its own scheduled moment.
    const auto now = steady::now();
    while (next_at_ <= now && may_send(next_at_)) {
      send_one(next_at_);
      next_at_ += interval_;
    }
    if (may_send(next_at_)) schedule_next();
  });
}

void publisher::send_one(steady::time_point scheduled) {
  const auto choice = mix_.pick(member_, index_, k_++);
  alert_.set_id(client::new_uuid());
  alert_.clear_recipients();
  for (const auto& r : choice.to) alert_.add_recipients(r);
  client::set_created_now(alert_);
  // The consumer reads the publish time back from the alert it receives.
  alert_.set_case_reference("t=" + std::to_string(ns_since_epoch(scheduled)));
  *frame_.mutable_publish()->mutable_envelope() = client::sign_alert(alert_, key_, key_id_);
  frame_.set_correlation_id(0);
  const auto id = link_->send(frame_);
  pending_.emplace(id, in_flight{scheduled, static_cast<std::uint32_t>(choice.members.size())});
  counters_.sent.fetch_add(1, std::memory_order_relaxed);
  counters_.outstanding.fetch_add(1, std::memory_order_relaxed);
}

void publisher::on_frame(const liaison::v1::Frame& f) {
  auto it = pending_.find(f.correlation_id());
  if (it == pending_.end()) {
    if (f.has_error()) note_error(f.error().message());
    return;
  }
  const auto now = steady::now();
  const in_flight p = it->second;
  pending_.erase(it);
  counters_.outstanding.fetch_sub(1, std::memory_order_relaxed);
  if (f.has_publish_result()) {
    if (clock_.in_window(p.start)) ack_latency_.record(elapsed_ns(p.start, now));
    if (clock_.in_window(now)) counters_.acked_in_window.fetch_add(1, std::memory_order_relaxed);
    counters_.expected_deliveries.fetch_add(p.recipients, std::memory_order_relaxed);
    counters_.acked.fetch_add(1, std::memory_order_relaxed);
  } else {
    note_error(f.error().message());
    counters_.failed.fetch_add(1, std::memory_order_relaxed);
  }
  if (options_.mode == loop_mode::closed && may_send(now)) send_one(now);
}

void publisher::note_error(const std::string& why) {
  std::lock_guard lock(error_mutex_);
  if (error_.empty()) error_ = member_ + " publisher: " + why;
}

std::string publisher::first_error() const {
  std::lock_guard lock(error_mutex_);
  return error_;
}

}  // namespace liaison::bench
