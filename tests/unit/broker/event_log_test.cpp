// Which audit events reach the operators' log at which level.
#include "broker/event_log.hpp"

#include <gtest/gtest.h>

namespace liaison::broker {
namespace {

core::audit_event event(std::string_view action, std::string outcome = "ok") {
  core::audit_event e;
  e.action = std::string(action);
  e.outcome = std::move(outcome);
  return e;
}

TEST(EventLogTest, RefusalsAndConnectionsAreInfoTheSteadyTrafficIsDebug) {
  using runtime::log_level;
  namespace a = core::audit_action;
  EXPECT_EQ(log_level_of(event(a::publish, "BAD_SIGNATURE")), log_level::info);
  EXPECT_EQ(log_level_of(event(a::subscribe, "PERMISSION_DENIED")), log_level::info);
  // A client over its rate makes one refusal per request: not at info.
  EXPECT_EQ(log_level_of(event(a::publish, "RESOURCE_EXHAUSTED")), log_level::debug);
  EXPECT_EQ(log_level_of(event(a::authenticate)), log_level::info);
  EXPECT_EQ(log_level_of(event(a::stream_close)), log_level::info);
  EXPECT_EQ(log_level_of(event(a::deadline_escalate)), log_level::info);
  EXPECT_EQ(log_level_of(event(a::presence_change)), log_level::info);
  EXPECT_EQ(log_level_of(event(a::deliver)), log_level::debug);
  EXPECT_EQ(log_level_of(event(a::ack)), log_level::debug);
  EXPECT_EQ(log_level_of(event(a::receipt)), log_level::debug);
}

}  // namespace
}  // namespace liaison::broker
