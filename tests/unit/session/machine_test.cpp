// The session machine as stories: a connection's rules driven with a fake
// exchange and a manual clock, without a socket, a thread or the database.
#include "session/machine.hpp"

#include "liaison/v1/alert.pb.h"
#include "liaison/v1/frame.pb.h"
#include "support/fake_exchange.hpp"
#include "support/manual_clock.hpp"

#include <gtest/gtest.h>

namespace liaison::session {
namespace {

using namespace std::chrono_literals;
using testing::fake_exchange;
using testing::fake_subscription;
namespace v1 = liaison::v1;

constexpr transport_profile native{core::audit_action::protocol_error, true, true};
constexpr transport_profile stream{core::audit_action::stream_close, false, false};

const core::principal at_desk{"AT.desk", "AT", core::role::desk, core::tlp::red};

// A signed envelope whose payload decodes as an alert (the signature is not
// checked here: admission is the exchange's).
core::envelope envelope_of(const std::string& id) {
  v1::Alert a;
  a.set_id(id);
  a.set_origin("AT");
  return {a.SerializeAsString(), std::string(64, 's'), "AT-1"};
}

protocol::request hello(std::uint64_t cid = 1, std::uint32_t version = protocol::protocol_version) {
  return {cid, protocol::hello{"test", version}};
}
protocol::request publish(std::uint64_t cid, const std::string& id) {
  return {cid, protocol::publish{envelope_of(id)}};
}
protocol::request subscribe(std::uint64_t cid, const std::string& consumer) {
  protocol::subscribe s;
  s.consumer = consumer;
  return {cid, std::move(s)};
}
protocol::request ack(std::uint64_t cid, const std::string& consumer, std::uint64_t seq) {
  return {cid, protocol::ack{consumer, seq, std::nullopt}};
}

class MachineTest : public ::testing::Test {
 protected:
  // A machine on the native profile (or another), limits small enough for stories.
  void open(transport_profile profile = native, limits l = small_limits()) {
    out_ = std::make_shared<outbox>(1 << 20, protocol::wire_format::binary, [] {});
    m_ = std::make_shared<machine>(
        x_, at_desk, "192.0.2.7:5000", l, profile, "liaisond/test", out_, [this] { ++notified_; },
        clock_.steady());
  }
  static limits small_limits() {
    limits l;
    l.max_frame_bytes = 1000;
    l.max_in_flight_publishes = 2;
    l.max_consumers = 2;
    l.hello_timeout = 10s;
    l.idle_timeout = 60s;
    l.delivery_row_interval = 250ms;
    l.delivery_row_max_seqs = 5;
    return l;
  }
  void send(protocol::request r) { m_->on_request(std::move(r), clock_.steady()); }
  void greet() {
    send(hello());
    ASSERT_TRUE(next().has_welcome());
  }
  void advance(core::duration d) {
    clock_.advance(d);
    m_->on_tick(clock_.steady());
  }

  // What the writer would take next, written (so the machine hears of it).
  std::vector<outgoing> written() {
    auto batch = out_->take(1 << 20);
    m_->on_written(batch, clock_.steady());
    return batch;
  }
  // The next frame in the outbox, parsed; FAIL()s when there is none.
  v1::Frame next() {
    auto batch = out_->take(1);
    v1::Frame f;
    if (batch.empty()) {
      ADD_FAILURE() << "no frame in the outbox";
      return f;
    }
    m_->on_written(batch, clock_.steady());
    last_close_after_ = batch[0].close_after;
    last_kind_ = batch[0].what;
    EXPECT_TRUE(f.ParseFromString(batch[0].bytes + (batch[0].shared ? *batch[0].shared : "")));
    return f;
  }
  bool outbox_empty() {
    auto batch = out_->take(1 << 20);
    bool empty = batch.empty();
    return empty;
  }

  testing::manual_clock clock_;
  fake_exchange x_;
  std::shared_ptr<outbox> out_;
  std::shared_ptr<machine> m_;
  int notified_ = 0;
  bool last_close_after_ = false;
  outgoing::kind last_kind_ = outgoing::kind::frame;
};

// --- Hello first ---

TEST_F(MachineTest, EveryRequestBeforeHelloEndsTheConnection) {
  for (auto first : {publish(7, "3f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12"), subscribe(7, "main"),
                     ack(7, "main", 1), protocol::request{7, protocol::ping{1}}}) {
    open();
    // Anything but Hello first: an Error, then the close.
    send(first);
    auto f = next();
    ASSERT_TRUE(f.has_error());
    EXPECT_EQ(f.correlation_id(), 7u);
    EXPECT_EQ(f.error().code(), v1::FAILED_PRECONDITION);
    EXPECT_EQ(f.error().message(), "the first frame must be Hello");
    EXPECT_TRUE(last_close_after_);
    ASSERT_TRUE(m_->closing());
    EXPECT_EQ(m_->closing()->reason, close_reason::protocol_error);
    EXPECT_FALSE(m_->reading());
    // Nothing reached the exchange but the audit row.
    EXPECT_TRUE(x_.publishes.empty());
    EXPECT_TRUE(x_.subscribes.empty());
    ASSERT_EQ(x_.audited(core::audit_action::protocol_error).size(), 1u);
    EXPECT_EQ(x_.audited(core::audit_action::protocol_error)[0].outcome, "FAILED_PRECONDITION");
    x_.audits.clear();
  }
}

TEST_F(MachineTest, HelloIsAnsweredWithWhoTheServerThinksYouAre) {
  open();
  send(hello(3));
  auto f = next();
  ASSERT_TRUE(f.has_welcome());
  EXPECT_EQ(f.correlation_id(), 3u);
  EXPECT_EQ(f.welcome().principal(), "AT.desk");
  EXPECT_EQ(f.welcome().member(), "AT");
  EXPECT_EQ(f.welcome().role(), "desk");
  EXPECT_EQ(f.welcome().max_frame_bytes(), 1000u);
  EXPECT_EQ(f.welcome().max_in_flight_publishes(), 2u);
  EXPECT_TRUE(m_->greeted());
  // A second Hello is refused, but the connection goes on.
  send(hello(4));
  f = next();
  ASSERT_TRUE(f.has_error());
  EXPECT_EQ(f.error().code(), v1::FAILED_PRECONDITION);
  EXPECT_FALSE(last_close_after_);
  EXPECT_FALSE(m_->closing());
  send({5, protocol::ping{99}});
  f = next();
  ASSERT_TRUE(f.has_pong());
  EXPECT_EQ(f.pong().nonce(), 99u);
}

TEST_F(MachineTest, AnotherProtocolVersionEndsTheConnection) {
  open();
  send(hello(1, 2));
  auto f = next();
  ASSERT_TRUE(f.has_error());
  EXPECT_EQ(f.error().code(), v1::INVALID_ARGUMENT);
  EXPECT_EQ(f.error().message(),
            "protocol version 2 is not supported; this server speaks version 1");
  EXPECT_TRUE(last_close_after_);
  EXPECT_FALSE(m_->greeted());
}

// --- publishes ---

TEST_F(MachineTest, APublishIsAnsweredAfterTheExchangeCommitsIt) {
  open();
  greet();
  send(publish(10, "3f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12"));
  // Nothing is answered before the commit.
  ASSERT_EQ(x_.publishes.size(), 1u);
  EXPECT_EQ(x_.publishes[0].who.id, "AT.desk");
  EXPECT_EQ(x_.publishes[0].alert.id, "3f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12");
  EXPECT_TRUE(outbox_empty());
  x_.commit(0, 41);
  auto f = next();
  ASSERT_TRUE(f.has_publish_result());
  EXPECT_EQ(f.correlation_id(), 10u);
  EXPECT_EQ(f.publish_result().seq(), 41u);
  EXPECT_EQ(f.publish_result().alert_id(), "3f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12");
  // A refusal is answered with its code; the connection goes on.
  send(publish(11, "4f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12"));
  x_.refuse(1, core::make_error(core::errc::bad_signature, "signature does not verify"));
  f = next();
  ASSERT_TRUE(f.has_error());
  EXPECT_EQ(f.correlation_id(), 11u);
  EXPECT_EQ(f.error().code(), v1::BAD_SIGNATURE);
  EXPECT_FALSE(m_->closing());
}

TEST_F(MachineTest, ADryRunIsAnsweredWithThePreviewAndNeverPublished) {
  open();
  greet();
  core::recipient_preview p;
  p.alert_id = "3f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12";
  p.recipients.push_back({"HU", core::duty_state::on_duty, 1, {"HU.desk"}, {}, {}});
  x_.preview_answer = p;
  auto request = publish(13, "3f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12");
  std::get<protocol::publish>(request.body).dry_run = true;
  send(std::move(request));
  EXPECT_TRUE(x_.publishes.empty());
  ASSERT_EQ(x_.previews.size(), 1u);
  auto f = next();
  ASSERT_TRUE(f.has_recipient_preview()) << f.DebugString();
  EXPECT_EQ(f.correlation_id(), 13u);
  EXPECT_EQ(f.recipient_preview().recipients(0).member(), "HU");
  EXPECT_EQ(f.recipient_preview().recipients(0).duty(), v1::DUTY_STATE_ON_DUTY);
  // A refused dry run is answered with its code, like a publish.
  x_.preview_answer = core::make_error(core::errc::bad_signature, "signature does not verify");
  request = publish(14, "3f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12");
  std::get<protocol::publish>(request.body).dry_run = true;
  send(std::move(request));
  f = next();
  ASSERT_TRUE(f.has_error());
  EXPECT_EQ(f.error().code(), v1::BAD_SIGNATURE);
  EXPECT_TRUE(x_.publishes.empty());
}

TEST_F(MachineTest, APayloadThatIsNotAnAlertIsRefusedAndAuditedByTheExchange) {
  open();
  greet();
  send({12, protocol::publish{core::envelope{"\xff\xff not an alert", "sig", "AT-1"}}});
  auto f = next();
  ASSERT_TRUE(f.has_error());
  EXPECT_EQ(f.error().code(), v1::INVALID_ARGUMENT);
  ASSERT_EQ(x_.rejected.size(), 1u);
  EXPECT_TRUE(x_.publishes.empty());
  EXPECT_FALSE(m_->closing());
}

TEST_F(MachineTest, BeyondTheInFlightLimitAPublishWaitsAndReadingPauses) {
  open();
  greet();
  // Two in flight (the limit): reading goes on.
  send(publish(1, "00000000-0000-4000-8000-000000000001"));
  send(publish(2, "00000000-0000-4000-8000-000000000002"));
  EXPECT_TRUE(m_->reading());
  // The third waits in the machine; the transport must stop reading.
  send(publish(3, "00000000-0000-4000-8000-000000000003"));
  EXPECT_EQ(x_.publishes.size(), 2u);
  EXPECT_FALSE(m_->reading());
  EXPECT_EQ(m_->in_flight(), 2u);
  // One commit frees a slot: the third goes to the exchange, reading resumes
  // and the transport is told.
  const int before = notified_;
  x_.commit(0, 1);
  EXPECT_EQ(x_.publishes.size(), 3u);
  EXPECT_TRUE(m_->reading());
  EXPECT_GT(notified_, before);
  x_.commit(1, 2);
  x_.commit(2, 3);
  // Answers in commit order, each with its own correlation id.
  for (std::uint64_t cid : {1, 2, 3}) {
    auto f = next();
    ASSERT_TRUE(f.has_publish_result());
    EXPECT_EQ(f.correlation_id(), cid);
  }
}

// --- subscribe, take-over, ack ---

TEST_F(MachineTest, SubscribeStartsTheConsumerAfterSubscribedIsQueued) {
  open();
  greet();
  send(subscribe(20, "main"));
  ASSERT_EQ(x_.subscribes.size(), 1u);
  EXPECT_EQ(x_.subscribes[0].name, "main");
  EXPECT_EQ(x_.subscribes[0].sink, out_);  // deliveries go to this connection's outbox
  auto handle = x_.accept(0, 7, 7);
  auto f = next();
  ASSERT_TRUE(f.has_subscribed());
  EXPECT_EQ(f.correlation_id(), 20u);
  EXPECT_EQ(f.subscribed().cursor(), 7u);
  EXPECT_EQ(f.subscribed().resume_after(), 7u);
  EXPECT_EQ(handle->started, 1);
  EXPECT_EQ(m_->consumers(), 1u);
  // Subscribing the same name again replaces (and lets go of) the first.
  send(subscribe(21, "main"));
  auto second = x_.accept(1);
  EXPECT_EQ(handle->closed, 1);
  EXPECT_EQ(second->started, 1);
  EXPECT_EQ(m_->consumers(), 1u);
}

TEST_F(MachineTest, AConnectionHoldsAtMostMaxConsumers) {
  open();
  greet();
  send(subscribe(1, "a"));
  x_.accept(0);
  send(subscribe(2, "b"));
  x_.accept(1);
  ASSERT_TRUE(next().has_subscribed());
  ASSERT_TRUE(next().has_subscribed());
  send(subscribe(3, "c"));
  auto f = next();
  ASSERT_TRUE(f.has_error());
  EXPECT_EQ(f.error().code(), v1::RESOURCE_EXHAUSTED);
  EXPECT_EQ(f.error().message(), "at most 2 consumers per connection");
  EXPECT_EQ(x_.subscribes.size(), 2u);
  // The same name again is not one more.
  send(subscribe(4, "b"));
  EXPECT_EQ(x_.subscribes.size(), 3u);
}

TEST_F(MachineTest, AckNeedsASubscriptionOnThisConnection) {
  open();
  greet();
  send(ack(30, "main", 5));
  auto f = next();
  ASSERT_TRUE(f.has_error());
  EXPECT_EQ(f.error().code(), v1::FAILED_PRECONDITION);
  EXPECT_EQ(f.error().message(), "no consumer 'main' on this connection; Subscribe first");
  EXPECT_FALSE(m_->closing());

  send(subscribe(31, "main"));
  auto handle = x_.accept(0);
  ASSERT_TRUE(next().has_subscribed());
  // Forwarded to the consumer; success is silent, a refusal is answered.
  send(ack(32, "main", 5));
  ASSERT_EQ(handle->acks.size(), 1u);
  EXPECT_EQ(handle->acks[0].up_to_seq, 5u);
  handle->acks[0].done({});
  EXPECT_TRUE(outbox_empty());
  send(ack(33, "main", 9));
  handle->acks[1].done(core::make_error(core::errc::invalid_argument, "beyond what was delivered"));
  f = next();
  ASSERT_TRUE(f.has_error());
  EXPECT_EQ(f.correlation_id(), 33u);
  EXPECT_EQ(f.error().code(), v1::INVALID_ARGUMENT);
}

TEST_F(MachineTest, AConsumerTakenOverElsewhereIsToldAndLetGo) {
  open();
  greet();
  send(subscribe(1, "main"));
  auto handle = x_.accept(0);
  ASSERT_TRUE(next().has_subscribed());
  // The broker reports the take-over through the outbox (any thread).
  out_->consumer_failed("main",
                        core::make_error(core::errc::failed_precondition,
                                         "consumer 'main' was taken over by a newer connection"));
  auto f = next();  // written: the machine retires the consumer
  ASSERT_TRUE(f.has_error());
  EXPECT_EQ(f.error().message(), "consumer 'main' was taken over by a newer connection");
  EXPECT_EQ(handle->closed, 1);
  EXPECT_EQ(m_->consumers(), 0u);
  // Its acknowledgements are refused from now on; the connection stays.
  send(ack(2, "main", 1));
  f = next();
  ASSERT_TRUE(f.has_error());
  EXPECT_EQ(f.error().code(), v1::FAILED_PRECONDITION);
  EXPECT_FALSE(m_->closing());
}

TEST_F(MachineTest, ASubscriptionCompletedAfterTheEndIsLetGo) {
  open();
  greet();
  send(subscribe(1, "main"));
  m_->on_end();
  auto handle = x_.accept(0);
  EXPECT_EQ(handle->started, 0);
  EXPECT_EQ(handle->closed, 1);
}

// --- deadlines ---

TEST_F(MachineTest, NoHelloWithinTheHelloTimeoutEndsTheConnectionWithoutAFrame) {
  open();
  EXPECT_EQ(m_->next_deadline(), clock_.steady() + 10s);
  advance(9s);
  EXPECT_FALSE(m_->closing());
  advance(1s);
  ASSERT_TRUE(m_->closing());
  EXPECT_EQ(m_->closing()->reason, close_reason::hello_timeout);
  EXPECT_EQ(m_->closing()->error.code, core::errc::deadline_exceeded);
  // A timeout sends no frame: only the close.
  auto batch = out_->take(1 << 20);
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].what, outgoing::kind::close);
  EXPECT_TRUE(batch[0].bytes.empty());
  auto rows = x_.audited(core::audit_action::protocol_error);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].outcome, "DEADLINE_EXCEEDED");
  EXPECT_NE(rows[0].detail.find("no Hello within 10s"), std::string::npos);
  EXPECT_NE(rows[0].detail.find("\"peer\":\"192.0.2.7:5000\""), std::string::npos);
}

TEST_F(MachineTest, RequestsKeepAConnectionAliveAndSilenceEndsIt) {
  open();
  greet();
  advance(50s);
  send({1, protocol::ping{1}});
  advance(50s);
  EXPECT_FALSE(m_->closing()) << "a request 50 s ago: not idle yet";
  advance(10s);
  ASSERT_TRUE(m_->closing());
  EXPECT_EQ(m_->closing()->reason, close_reason::idle_timeout);
  EXPECT_EQ(m_->closing()->error.message, "idle timeout: nothing from the client for 1m");
}

TEST_F(MachineTest, OnAStreamTrafficThatIsNotARequestCountsAsActivity) {
  open(stream);
  greet();
  advance(50s);
  m_->on_activity(clock_.steady());  // a pong
  advance(50s);
  EXPECT_FALSE(m_->closing());
  advance(10s);
  ASSERT_TRUE(m_->closing());
  ASSERT_EQ(x_.audited(core::audit_action::stream_close).size(), 1u);
}

TEST_F(MachineTest, AQuietStreamGetsOneKeepAliveAtATime) {
  auto l = small_limits();
  l.keepalive_interval = 20s;
  open(stream, l);
  greet();
  advance(20s);
  auto batch = out_->take(1 << 20);
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].what, outgoing::kind::keepalive);
  // Until it is written, no second one.
  advance(20s);
  EXPECT_TRUE(out_->take(1 << 20).empty());
  m_->on_written(batch, clock_.steady());
  m_->on_activity(clock_.steady());  // its pong
  advance(20s);
  batch = out_->take(1 << 20);
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].what, outgoing::kind::keepalive);
}

TEST_F(MachineTest, ASoonerDeadlineWakesTheTransport) {
  auto l = small_limits();
  l.idle_timeout = 2s;  // sooner than the Hello deadline
  open(native, l);
  m_->arm();
  const int before = notified_;
  send(hello());
  EXPECT_GT(notified_, before);
  EXPECT_EQ(m_->next_deadline(), clock_.steady() + 2s);
}

// --- limits and their close reasons ---

TEST_F(MachineTest, AFrameTooLargeIsExplainedOnTheNativePortAndClosedOnAStream) {
  open(native);
  greet();
  m_->on_too_large(5000);
  auto f = next();
  ASSERT_TRUE(f.has_error());
  EXPECT_EQ(f.error().code(), v1::TOO_LARGE);
  EXPECT_EQ(f.error().message(), "frame of 5000 bytes exceeds the limit of 1000 bytes");
  EXPECT_TRUE(last_close_after_);
  EXPECT_EQ(m_->closing()->reason, close_reason::too_large);
  EXPECT_EQ(x_.audited(core::audit_action::protocol_error).at(0).outcome, "TOO_LARGE");

  x_.audits.clear();
  open(stream);
  greet();
  m_->on_too_large(5000);
  auto batch = out_->take(1 << 20);
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].what, outgoing::kind::close);  // the close code says it
  EXPECT_EQ(m_->closing()->reason, close_reason::too_large);
  EXPECT_EQ(x_.audited(core::audit_action::stream_close).at(0).outcome, "TOO_LARGE");
}

TEST_F(MachineTest, AFrameThatDoesNotDecodeEndsANativeConnectionButNotAStream) {
  auto bad = core::make_error(core::errc::invalid_argument, "not a valid protobuf Frame");
  open(native);
  greet();
  m_->on_bad_frame(bad, clock_.steady());
  auto f = next();
  EXPECT_EQ(f.error().code(), v1::INVALID_ARGUMENT);
  EXPECT_TRUE(last_close_after_);
  EXPECT_TRUE(m_->closing());

  open(stream);
  greet();
  m_->on_bad_frame(bad, clock_.steady());
  f = next();
  EXPECT_EQ(f.error().code(), v1::INVALID_ARGUMENT);
  EXPECT_FALSE(last_close_after_);
  EXPECT_FALSE(m_->closing());
  EXPECT_TRUE(m_->reading());
}

TEST_F(MachineTest, WrongMessageTypeAndOverCapacityCloseWithTheirReason) {
  open(stream);
  greet();
  m_->on_wrong_message_type("text message on the liaison.v1.proto subprotocol: send binary");
  EXPECT_EQ(m_->closing()->reason, close_reason::wrong_message_type);
  EXPECT_EQ(m_->closing()->error.code, core::errc::invalid_argument);

  open(stream);
  m_->end_with(close_reason::over_capacity,
               core::make_error(core::errc::resource_exhausted, "too many streams"));
  EXPECT_EQ(m_->closing()->reason, close_reason::over_capacity);
  EXPECT_FALSE(m_->reading());
  // Requests after the decision are ignored.
  send(hello());
  auto batch = out_->take(1 << 20);
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].what, outgoing::kind::close);
}

// --- disclosures in the audit log ---

TEST_F(MachineTest, DeliveriesAreAuditedPerConsumerOncePerInterval) {
  open();
  greet();
  auto alert = [](std::uint64_t seq) {
    auto a = std::make_shared<core::stored_alert>();
    a->seq = seq;
    a->recipients.members = {"AT"};
    return core::stored_alert_ptr(a);
  };
  // Three alerts reach two consumers; nothing is audited yet.
  ASSERT_TRUE(out_->offer("main", alert(1), core::priority::routine));
  ASSERT_TRUE(out_->offer("main", alert(2), core::priority::routine));
  ASSERT_TRUE(out_->offer("backup", alert(2), core::priority::routine));
  written();
  EXPECT_TRUE(x_.audited(core::audit_action::deliver).empty());
  // The interval passes: one row per consumer with its seqs.
  advance(250ms);
  auto rows = x_.audited(core::audit_action::deliver);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].subject, "backup");
  EXPECT_NE(rows[0].detail.find("\"seqs\":[2]"), std::string::npos) << rows[0].detail;
  EXPECT_EQ(rows[1].subject, "main");
  EXPECT_NE(rows[1].detail.find("\"seqs\":[1,2]"), std::string::npos) << rows[1].detail;
  // delivery_row_max_seqs (5) written: a row at once.
  for (std::uint64_t s = 3; s <= 7; ++s)
    ASSERT_TRUE(out_->offer("main", alert(s), core::priority::routine));
  written();
  EXPECT_EQ(x_.audited(core::audit_action::deliver).size(), 3u);
  // And what is pending when the connection ends.
  ASSERT_TRUE(out_->offer("main", alert(8), core::priority::routine));
  written();
  m_->on_end();
  EXPECT_EQ(x_.audited(core::audit_action::deliver).size(), 4u);
}

TEST_F(MachineTest, EachWrittenDeliveryReportsItsCommitAndWriteTimes) {
  open();
  greet();
  auto a = std::make_shared<core::stored_alert>();
  a->seq = 1;
  a->recipients.members = {"AT"};
  a->received_at = x_.at - 3s;  // committed three seconds ago
  ASSERT_TRUE(out_->offer("main", a, core::priority::routine));
  ASSERT_TRUE(out_->offer("backup", a, core::priority::routine));
  EXPECT_TRUE(x_.deliveries_written.empty());  // queued is not delivered
  written();
  ASSERT_EQ(x_.deliveries_written.size(), 2u);
  for (const auto& [committed, at] : x_.deliveries_written) {
    EXPECT_EQ(committed, x_.at - 3s);
    EXPECT_EQ(at, x_.at);
  }
  // Answers are not deliveries.
  send({7, protocol::ping{7}});
  written();
  EXPECT_EQ(x_.deliveries_written.size(), 2u);
}

TEST_F(MachineTest, TheEndLetsEveryConsumerGoAndClosesTheOutbox) {
  open();
  greet();
  send(subscribe(1, "a"));
  auto a = x_.accept(0);
  send(subscribe(2, "b"));
  auto b = x_.accept(1);
  m_->on_end();
  EXPECT_EQ(a->closed, 1);
  EXPECT_EQ(b->closed, 1);
  EXPECT_TRUE(out_->closed());
  EXPECT_FALSE(m_->reading());
  EXPECT_EQ(m_->next_deadline(), steady_time::max());
}

TEST_F(MachineTest, TheOutboxDrainingLetsConsumersReadOn) {
  open();
  greet();
  send(subscribe(1, "main"));
  auto handle = x_.accept(0);
  written();
  EXPECT_GE(handle->rooms, 1);
}

// --- rapid response ---

namespace rapid_stories {

protocol::request hello_on_duty(std::uint64_t cid = 1) {
  return {cid, protocol::hello{"test", protocol::protocol_version, /*on_duty=*/true}};
}

std::string receipt_payload(const std::string& alert_id) {
  v1::Receipt r;
  r.set_alert_id(alert_id);
  r.set_origin("HU");
  r.set_member("AT");
  r.set_state(v1::RECEIPT_STATE_READ);
  return r.SerializeAsString();
}

}  // namespace rapid_stories

TEST_F(MachineTest, ADeskOnDutyIsPingedWhenQuietAndStopsCountingWhenItDoesNotAnswer) {
  auto l = small_limits();
  l.stall_after = 30s;
  l.idle_timeout = 120s;
  open(native, l);
  send(rapid_stories::hello_on_duty());
  ASSERT_TRUE(next().has_welcome());
  ASSERT_EQ(x_.connections.size(), 1u);
  EXPECT_EQ(x_.connections[0]->duty, std::vector<bool>{true});  // counted from Hello on
  EXPECT_TRUE(m_->on_duty_counted());
  // Quiet for a third of stall_after: the server asks with a Ping.
  advance(10s);
  auto ping = next();
  ASSERT_TRUE(ping.has_ping()) << ping.DebugString();
  EXPECT_EQ(ping.correlation_id(), 0u);
  // No answer by stall_after: no longer counted, and that is on the record.
  advance(20s);
  EXPECT_FALSE(m_->on_duty_counted());
  EXPECT_TRUE(m_->on_duty_declared());
  EXPECT_EQ(x_.connections[0]->duty, (std::vector<bool>{true, false}));
  auto rows = x_.audited(core::audit_action::presence_change);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].outcome, "stalled");
  // The Pong comes (late): counted again.
  send({0, protocol::client_pong{ping.ping().nonce()}});
  EXPECT_TRUE(m_->on_duty_counted());
  EXPECT_EQ(x_.connections[0]->duty, (std::vector<bool>{true, false, true}));
  // The connection ends: the exchange lets go of it.
  m_->on_end();
  EXPECT_FALSE(x_.connections[0]->attached);
}

TEST_F(MachineTest, OnlyADeskDeclaresDutyAndItsAnswerSaysWhetherItCounts) {
  open();
  greet();
  EXPECT_EQ(x_.connections[0]->duty, std::vector<bool>{false});
  send({5, protocol::set_duty{true}});
  auto f = next();
  ASSERT_TRUE(f.has_duty_set());
  EXPECT_EQ(f.correlation_id(), 5u);
  EXPECT_TRUE(f.duty_set().on_duty());
  EXPECT_TRUE(f.duty_set().counted());
  EXPECT_EQ(x_.connections[0]->duty, (std::vector<bool>{false, true}));

  // An auditor's connection is never on duty.
  x_ = fake_exchange{};
  out_ = std::make_shared<outbox>(1 << 20, protocol::wire_format::binary, [] {});
  m_ = std::make_shared<machine>(
      x_, core::principal{"auditor", "", core::role::auditor}, "192.0.2.7:5000", small_limits(),
      native, "liaisond/test", out_, [] {}, clock_.steady());
  send(rapid_stories::hello_on_duty());
  ASSERT_TRUE(next().has_welcome());
  EXPECT_EQ(x_.connections[0]->duty, std::vector<bool>{false});  // Hello's on_duty ignored
  send({6, protocol::set_duty{true}});
  f = next();
  ASSERT_TRUE(f.has_error());
  EXPECT_EQ(f.error().code(), v1::PERMISSION_DENIED);
  EXPECT_FALSE(m_->closing());  // refused, not a protocol error
}

TEST_F(MachineTest, ReceiptsGoToTheExchangeAndTheirAnswersComeBackInFlightLimited) {
  auto l = small_limits();
  l.max_in_flight_requests = 2;
  open(native, l);
  greet();
  // Bytes that are not a Receipt: answered and audited at once, nothing sent on.
  send({3, protocol::send_receipt{{"\xff\xff", "sig", "AT-1"}}});
  auto f = next();
  ASSERT_TRUE(f.has_error());
  EXPECT_EQ(f.error().code(), v1::INVALID_ARGUMENT);
  EXPECT_EQ(x_.rejected.size(), 1u);
  EXPECT_TRUE(x_.receipts.empty());
  // Two in flight, the third refused until one is answered.
  const std::string id = "3f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12";
  for (std::uint64_t cid : {10, 11, 12})
    send({cid, protocol::send_receipt{{rapid_stories::receipt_payload(id), "sig", "AT-1"}}});
  ASSERT_EQ(x_.receipts.size(), 2u);
  EXPECT_EQ(x_.receipts[0].receipt.alert_id, id);
  EXPECT_EQ(x_.receipts[0].receipt.state, core::receipt_state::read);
  f = next();
  ASSERT_TRUE(f.has_error());
  EXPECT_EQ(f.correlation_id(), 12u);
  EXPECT_EQ(f.error().code(), v1::RESOURCE_EXHAUSTED);
  x_.receipts[1].done(core::receipt_outcome{42, core::receipt_state::read, false, x_.at});
  f = next();
  ASSERT_TRUE(f.has_receipt_result());
  EXPECT_EQ(f.correlation_id(), 11u);
  EXPECT_EQ(f.receipt_result().id(), 42u);
  x_.receipts[0].done(core::make_error(core::errc::failed_precondition, "backwards"));
  f = next();
  ASSERT_TRUE(f.has_error());
  EXPECT_EQ(f.correlation_id(), 10u);
  // Slots are free again.
  send({13, protocol::send_receipt{{rapid_stories::receipt_payload(id), "sig", "AT-1"}}});
  EXPECT_EQ(x_.receipts.size(), 3u);
}

TEST_F(MachineTest, NoticesArePushedAndFetchedInPages) {
  open();
  greet();
  ASSERT_EQ(x_.notice_sinks.size(), 1u);
  auto n = std::make_shared<core::notice>();
  n->id = 7;
  n->kind = core::notice_kind::reminder;
  n->alert_id = "3f2b6c1e-8a4d-4f6b-9c2e-1d5a7b9e0f12";
  n->level = 1;
  x_.notice_sinks[0]->offer_notice(n);
  auto f = next();
  ASSERT_TRUE(f.has_notice());
  EXPECT_EQ(f.correlation_id(), 0u);
  EXPECT_EQ(f.notice().id(), 7u);
  EXPECT_EQ(f.notice().kind(), v1::NOTICE_KIND_REMINDER);
  // A page of at most 100 by default: the exchange is asked for one more,
  // to tell whether more follow.
  send({4, protocol::fetch_notices{6, 0}});
  ASSERT_EQ(x_.notice_fetches.size(), 1u);
  EXPECT_EQ(x_.notice_fetches[0].after_id, 6u);
  EXPECT_EQ(x_.notice_fetches[0].limit, 101u);
  x_.notice_fetches[0].done(std::vector<core::notice>(101, *n));
  f = next();
  ASSERT_TRUE(f.has_notices());
  EXPECT_EQ(f.notices().notices_size(), 100);
  EXPECT_TRUE(f.notices().more());
  // Asking for more than 500 gets 500.
  send({5, protocol::fetch_notices{0, 100000}});
  EXPECT_EQ(x_.notice_fetches[1].limit, 501u);
}

TEST_F(MachineTest, AnAckNamesItsLaneToTheSubscription) {
  open();
  greet();
  send(subscribe(2, "main"));
  auto sub = x_.accept(0);
  ASSERT_TRUE(next().has_subscribed());
  send({3, protocol::ack{"main", 9, core::priority::flash}});
  ASSERT_EQ(sub->acks.size(), 1u);
  EXPECT_EQ(sub->acks[0].lane, core::priority::flash);
  EXPECT_EQ(sub->acks[0].up_to_seq, 9u);
}

}  // namespace
}  // namespace liaison::session
