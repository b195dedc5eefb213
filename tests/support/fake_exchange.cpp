#include "support/fake_exchange.hpp"

namespace liaison::testing {

void fake_exchange::publish(const core::principal& who, const core::alert& decoded,
                            const core::envelope& signed_alert, core::publish_handler done) {
  publishes.push_back({who, decoded, signed_alert, std::move(done)});
}

void fake_exchange::reject_publish(const core::principal&, const core::error& why) {
  rejected.push_back(why);
}

void fake_exchange::subscribe(const core::principal& who, const std::string& name,
                              broker::start_position start, broker::claim_rule claim,
                              std::shared_ptr<broker::delivery_sink> sink,
                              std::function<void(core::result<broker::subscription>)> done) {
  subscribes.push_back({who, name, start, std::move(claim), std::move(sink), std::move(done)});
}

void fake_exchange::commit(std::size_t i, std::uint64_t seq) {
  publishes.at(i).done(core::publish_outcome{seq, at, false});
}

void fake_exchange::refuse(std::size_t i, core::error why) {
  publishes.at(i).done(std::move(why));
}

std::shared_ptr<fake_subscription> fake_exchange::accept(std::size_t i, std::uint64_t cursor,
                                                         std::uint64_t resume_after) {
  auto handle = std::make_shared<fake_subscription>();
  subscribes.at(i).done(broker::subscription{handle, cursor, resume_after});
  return handle;
}

std::unique_ptr<broker::connection_handle> fake_exchange::attach(
    const core::principal&, std::shared_ptr<broker::notice_sink> notices, bool on_duty) {
  auto state = std::make_shared<fake_connection_state>();
  state->duty.push_back(on_duty);
  connections.push_back(state);
  notice_sinks.push_back(std::move(notices));
  return std::make_unique<fake_connection>(state);
}

void fake_exchange::send_receipt(const core::principal& who, const core::receipt& decoded,
                                 const core::signed_receipt& signed_receipt,
                                 std::function<void(core::result<core::receipt_outcome>)> done) {
  receipts.push_back({who, decoded, signed_receipt, std::move(done)});
}

void fake_exchange::fetch_notices(
    const core::principal&, std::uint64_t after_id, std::size_t limit,
    std::function<void(core::result<std::vector<core::notice>>)> done) {
  notice_fetches.push_back({after_id, limit, std::move(done)});
}

void fake_exchange::query_status(const core::principal&, std::string alert_id, std::string origin,
                                 std::function<void(core::result<core::alert_status>)> done) {
  statuses.push_back({std::move(alert_id), std::move(origin), std::move(done)});
}

void fake_exchange::query_presence(
    const core::principal&,
    std::function<void(core::result<std::vector<core::member_presence>>)> done) {
  presences.push_back(std::move(done));
}

std::vector<core::audit_event> fake_exchange::audited(std::string_view action) const {
  std::vector<core::audit_event> out;
  for (const auto& e : audits)
    if (e.action == action) out.push_back(e);
  return out;
}

}  // namespace liaison::testing
