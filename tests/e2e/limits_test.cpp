// The configured limits against liaisond as a process, each set small in the
// server's configuration: connections per principal, the handshake and idle
// timeouts, clients that trickle a frame or HTTP headers a byte at a time, the
// publish rate of a member, the size limits of an alert and protobuf nesting.
// Each refusal gets its documented answer and, where the server audits it, an
// audit row; nothing else changes, and the server goes on serving. Timing
// assertions are generous upper bounds; tests wait on conditions.
#include "e2e/alerts.hpp"
#include "e2e/endpoint.hpp"
#include "e2e/server_fixture.hpp"
#include "support/test_database.hpp"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <array>
#include <csignal>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <thread>

namespace liaison::testing {
namespace {

namespace asio = boost::asio;
namespace v1 = liaison::v1;
using asio::ip::tcp;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

std::string text_of(const tcp::endpoint& e) {
  return e.address().to_string() + ":" + std::to_string(e.port());
}

std::chrono::milliseconds since(steady::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - start);
}

// What a hand-made client saw of a connection the server may end.
struct probe_result {
  std::string local;     // the client's end as the server audits it ("127.0.0.1:PORT")
  std::string received;  // everything the server sent (decrypted, over TLS)
  std::size_t sent = 0;  // request bytes written
  bool closed = false;   // the server ended the connection within the limit
  std::chrono::milliseconds elapsed{0};  // from the first request byte (or the connect) to the end
};

// Plain TCP: connects, writes `bytes` (maybe nothing, maybe half a TLS
// ClientHello) and waits up to `limit` for the server to close.
probe_result tcp_probe(const std::string& address, const std::string& bytes,
                       std::chrono::seconds limit) {
  probe_result out;
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(endpoint_of(address));
  out.local = text_of(socket.local_endpoint());
  auto start = steady::now();
  out.sent = asio::write(socket, asio::buffer(bytes));
  std::array<char, 4096> buffer{};
  std::function<void()> read_more = [&] {
    socket.async_read_some(asio::buffer(buffer), [&](boost::system::error_code ec, std::size_t n) {
      out.received.append(buffer.data(), n);
      if (!ec) return read_more();
      out.closed = true;
      out.elapsed = since(start);
    });
  };
  read_more();
  io.run_for(limit);
  return out;
}

// TLS with `id`'s certificate: sends `request` (at once when `gap` is zero,
// else one byte every `gap`) while reading whatever the server answers, until
// the server closes or `limit` passes.
probe_result tls_probe(const std::string& address, const pki::identity& id,
                       const std::string& request, std::chrono::milliseconds gap,
                       std::chrono::seconds limit) {
  probe_result out;
  asio::io_context io;
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.use_certificate_chain_file(id.cert_file);
  tls.use_private_key_file(id.key_file, asio::ssl::context::pem);
  tls.load_verify_file(id.ca_file);
  tls.set_verify_mode(asio::ssl::verify_peer);
  asio::ssl::stream<tcp::socket> stream(io, tls);
  asio::steady_timer pause(io);
  std::array<char, 16 * 1024> buffer{};
  steady::time_point start;

  std::function<void()> send_next = [&] {
    if (out.closed || out.sent == request.size()) return;
    auto n = gap.count() == 0 ? request.size() - out.sent : 1;
    asio::async_write(stream, asio::buffer(request.data() + out.sent, n),
                      [&](boost::system::error_code ec, std::size_t written) {
                        out.sent += written;
                        if (ec) return;
                        pause.expires_after(gap);
                        pause.async_wait([&](boost::system::error_code e) {
                          if (!e) send_next();
                        });
                      });
  };
  std::function<void()> read_more = [&] {
    stream.async_read_some(asio::buffer(buffer), [&](boost::system::error_code ec, std::size_t n) {
      out.received.append(buffer.data(), n);
      if (!ec) return read_more();
      out.closed = true;
      out.elapsed = since(start);
      pause.cancel();
    });
  };
  stream.next_layer().connect(endpoint_of(address));
  out.local = text_of(stream.next_layer().local_endpoint());
  stream.async_handshake(asio::ssl::stream_base::client, [&](boost::system::error_code ec) {
    if (ec) {
      out.closed = true;
      return;
    }
    start = steady::now();
    read_more();
    send_next();
  });
  io.run_for(limit);
  return out;
}

// The status of an HTTP response ("HTTP/1.1 408 ..." gives 408), 0 if none.
int http_status_of(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0 || response.size() < 12) return 0;
  return std::stoi(response.substr(9, 3));
}

std::string http_body_of(const std::string& response) {
  auto at = response.find("\r\n\r\n");
  return at == std::string::npos ? "" : response.substr(at + 4);
}

std::string post_alert_request(const v1::Envelope& envelope) {
  std::string body;
  (void)google::protobuf::util::MessageToJsonString(envelope, &body);
  return "POST /v1/alerts HTTP/1.1\r\nHost: liaison\r\nContent-Type: application/json\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

// `depth` unknown groups (field 1000) inside each other: the one way to nest
// protobuf arbitrarily deep in messages that are not recursive.
std::string nested_groups(std::size_t depth) {
  std::string out;
  out.reserve(depth * 4);
  for (std::size_t i = 0; i < depth; ++i) out += "\xc3\x3e";  // tag 1000, start group
  for (std::size_t i = 0; i < depth; ++i) out += "\xc4\x3e";  // tag 1000, end group
  return out;
}

std::string length_prefixed(const std::string& body) {
  auto n = static_cast<std::uint32_t>(body.size());
  return std::string{static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                     static_cast<char>(n >> 8), static_cast<char>(n)} +
         body;
}

// Sends every envelope before reading any answer (as a busy desk does); the
// answers in the order of `envelopes`.
std::vector<v1::Frame> publish_pipelined(client::native_client& conn,
                                         const std::vector<v1::Envelope>& envelopes) {
  std::map<std::uint64_t, std::size_t> index;
  for (std::size_t i = 0; i < envelopes.size(); ++i) {
    v1::Frame f;
    *f.mutable_publish()->mutable_envelope() = envelopes[i];
    index[conn.send(std::move(f))] = i;
  }
  std::vector<v1::Frame> answers(envelopes.size());
  std::size_t got = 0;
  auto deadline = steady::now() + 60s;
  while (got < envelopes.size() && steady::now() < deadline) {
    auto frame = conn.receive(1s);
    if (!frame) continue;
    if (auto it = index.find(frame->correlation_id()); it != index.end()) {
      answers[it->second] = *frame;
      ++got;
    }
  }
  EXPECT_EQ(got, envelopes.size()) << "not every publish was answered";
  return answers;
}

// Reads until the connection ends; true when it did within `limit`.
bool closed_within(client::native_client& conn, std::chrono::seconds limit) {
  auto until = steady::now() + limit;
  try {
    while (steady::now() < until) conn.receive(200ms);
  } catch (const client::client_error&) {
    return true;
  }
  return false;
}

struct audit_row {
  std::string outcome;
  std::string reason;
  std::string subject;
};

class LimitsTest : public ::testing::Test {
 protected:
  test_database db;
  std::unique_ptr<liaisond_process> server;
  pki::identity at_desk = identity("AT/desk");
  pki::identity hu_desk = identity("HU/desk");

  void start_server(std::map<std::string, std::string> overrides) {
    server = std::make_unique<liaisond_process>(db.url(), std::move(overrides));
  }

  client::connect_options options() const { return {server->native_address(), 10s, "e2e-limits"}; }

  long count(const std::string& sql) {
    pqxx::connection c(db.url());
    pqxx::work tx(c);
    return tx.exec1(sql)[0].as<long>();
  }
  long last_audit_id() { return count("SELECT coalesce(max(id), 0) FROM audit_log"); }
  long alerts() { return count("SELECT count(*) FROM alerts"); }

  // The audit rows with `action` and `outcome` written after `after`, once
  // there are at least `n` of them (rows are written asynchronously); those
  // whose detail contains `detail_part` when it is not empty.
  std::vector<audit_row> audit_rows(long after, const std::string& action,
                                    const std::string& outcome, std::size_t n = 1,
                                    const std::string& detail_part = "") {
    std::vector<audit_row> rows;
    bool written = eventually(
        [&] {
          rows.clear();
          pqxx::connection c(db.url());
          pqxx::work tx(c);
          auto r = tx.exec_params(
              "SELECT outcome, detail, subject FROM audit_log WHERE id > $1 AND action = $2 AND "
              "outcome = $3 AND strpos(detail, $4) > 0 ORDER BY id",
              after, action, outcome, detail_part);
          for (const auto& row : r)
            rows.push_back(
                {row[0].as<std::string>(),
                 nlohmann::json::parse(row[1].as<std::string>()).value("reason", std::string()),
                 row[2].as<std::string>()});
          return rows.size() >= n;
        },
        15s);
    EXPECT_TRUE(written) << "expected " << n << " " << action << " " << outcome
                         << " audit rows after id " << after << ", found " << rows.size();
    return rows;
  }

  std::string peer_detail(const std::string& local) { return "\"peer\":\"" + local + "\""; }

  void expect_still_serving(const pki::identity& desk, const std::string& member) {
    ASSERT_EQ(::kill(server->pid(), 0), 0) << "liaisond is gone; its log:\n" << server->log();
    client::native_client conn(desk, options());
    auto answer = conn.publish(sign_as(desk, make_alert(member, {"RS"}, "still serving")), 10s);
    EXPECT_TRUE(answer.has_publish_result()) << answer.ShortDebugString();
  }
};

TEST_F(LimitsTest, ConnectionsBeyondThePerPrincipalLimitAreRefused) {
  start_server({{"native.max_connections_per_principal", "2"}});
  client::native_client first(at_desk, options());
  client::native_client second(at_desk, options());
  auto before = last_audit_id();

  // A third connection of AT.desk: RESOURCE_EXHAUSTED naming the limit.
  try {
    client::native_client third(at_desk, options());
    FAIL() << "a third connection of AT.desk was accepted";
  } catch (const client::client_error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("RESOURCE_EXHAUSTED"), std::string::npos) << what;
    EXPECT_NE(what.find("too many connections for 'AT.desk' (limit 2)"), std::string::npos) << what;
  }
  auto rows = audit_rows(before, "auth.connect", "RESOURCE_EXHAUSTED");
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0].reason, "too many connections for 'AT.desk' (limit 2)");

  // The two keep working, and another principal is not affected.
  for (auto* conn : {&first, &second}) {
    auto answer = conn->publish(sign_as(at_desk, make_alert("AT", {"HU"}, "within limit")), 10s);
    EXPECT_TRUE(answer.has_publish_result()) << answer.ShortDebugString();
  }
  expect_still_serving(hu_desk, "HU");

  // Once one of them leaves, AT.desk may connect again.
  first.close();
  bool reconnected = eventually(
      [&] {
        try {
          client::native_client again(at_desk, options());
          return true;
        } catch (const client::client_error&) {
          return false;
        }
      },
      15s);
  EXPECT_TRUE(reconnected);
}

TEST_F(LimitsTest, HandshakeTimeoutClosesSilentAndHalfHandshakes) {
  start_server({{"native.handshake_timeout", "\"1s\""}});
  auto before = last_audit_id();

  // A TCP client that sends nothing, and one that stops inside its
  // ClientHello (a record header announcing 512 bytes, then 9 of them).
  const std::string half_hello("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x00\x01\x02", 14);
  for (const std::string& bytes : {std::string(), half_hello}) {
    auto probe = tcp_probe(server->native_address(), bytes, 15s);
    EXPECT_TRUE(probe.closed) << "still open after 15 s (sent " << probe.sent << " bytes)";
    EXPECT_GE(probe.elapsed, 500ms) << "closed before the handshake timeout";
  }
  // Strangers: summarised per address, outcome and interval, with the reason.
  auto summaries =
      audit_rows(before, "auth.failures", "DEADLINE_EXCEEDED", 1, "\"TLS handshake timed out\":");
  ASSERT_FALSE(summaries.empty());
  EXPECT_EQ(summaries[0].subject, "127.0.0.1");

  // TLS completed, but no Hello: closed too, within the same timeout.
  auto no_hello = options();
  no_hello.send_hello = false;
  client::native_client mute(at_desk, no_hello);
  auto start = steady::now();
  EXPECT_TRUE(closed_within(mute, 15s));
  EXPECT_GE(since(start), 500ms);
  auto rows = audit_rows(before, "protocol.error", "DEADLINE_EXCEEDED");
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0].reason, "no Hello within 1s");

  expect_still_serving(at_desk, "AT");
}

TEST_F(LimitsTest, IdleTimeoutClosesAQuietConnectionButNotAnActiveOne) {
  // Far shorter than the handshake timeout, which covers the time to Hello:
  // closing within 30 s proves the idle timeout did it.
  start_server({{"native.idle_timeout", "\"2s\""}, {"native.handshake_timeout", "\"60s\""}});
  auto before = last_audit_id();
  client::native_client quiet(at_desk, options());
  client::native_client busy(hu_desk, options());

  // The busy client pings every 500 ms; the quiet one says nothing after
  // Hello and is closed. The busy one goes on for longer than the idle
  // timeout after that and stays.
  auto start = steady::now();
  std::optional<steady::time_point> quiet_closed;
  while (since(start) < 20s && (!quiet_closed || steady::now() - *quiet_closed < 3s)) {
    v1::Frame ping;
    ping.mutable_ping()->set_nonce(1);
    EXPECT_TRUE(busy.call(ping, 10s).has_pong());
    if (quiet_closed) {
      std::this_thread::sleep_for(500ms);
      continue;
    }
    try {
      quiet.receive(500ms);
    } catch (const client::client_error&) {
      quiet_closed = steady::now();
      EXPECT_GE(since(start), 1s) << "closed before the idle timeout";
    }
  }
  ASSERT_TRUE(quiet_closed) << "the quiet connection stayed open for 20 s";
  auto rows = audit_rows(before, "protocol.error", "DEADLINE_EXCEEDED");
  ASSERT_EQ(rows.size(), 1u) << "the busy connection timed out too";
  EXPECT_EQ(rows[0].reason, "idle timeout: nothing from the client for 2s");
  expect_still_serving(at_desk, "AT");
}

TEST_F(LimitsTest, FrameTrickledByteByByteIsCutOffByTheIdleTimeout) {
  start_server({{"native.idle_timeout", "\"2s\""}, {"native.handshake_timeout", "\"60s\""}});
  client::native_client slow(at_desk, options());
  v1::Frame frame;
  frame.set_correlation_id(7);
  *frame.mutable_publish()->mutable_envelope() =
      sign_as(at_desk, make_alert("AT", {"HU"}, "one byte at a time"));
  auto bytes = length_prefixed(frame.SerializeAsString());
  auto before = last_audit_id();

  // One byte every 300 ms: the frame would take over a minute; only a
  // complete frame counts as activity, so the connection ends after ~2 s
  // (well before the 60 s of the handshake timeout).
  std::size_t sent = 0;
  bool closed = false;
  auto start = steady::now();
  while (sent < bytes.size() && since(start) < 30s && !closed) {
    try {
      slow.send_raw(std::string_view(bytes).substr(sent, 1));
      ++sent;
      slow.receive(300ms);
    } catch (const client::client_error&) {
      closed = true;
    }
  }
  EXPECT_TRUE(closed) << "the connection stayed open while trickling";
  EXPECT_LT(sent, bytes.size()) << "the whole frame went through";
  auto rows = audit_rows(before, "protocol.error", "DEADLINE_EXCEEDED");
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0].reason, "idle timeout: nothing from the client for 2s");
  EXPECT_EQ(alerts(), 0);
  expect_still_serving(at_desk, "AT");
}

TEST_F(LimitsTest, HttpHeadersTrickledByteByByteGet408AtTheHeaderTimeout) {
  start_server({{"https.header_timeout", "\"2s\""}});
  auto before = last_audit_id();
  const std::string request =
      "GET /healthz HTTP/1.1\r\nHost: liaison\r\nX-Slow: " + std::string(60, 's') + "\r\n\r\n";

  auto probe = tls_probe(server->https_address(), at_desk, request, 300ms, 30s);
  EXPECT_TRUE(probe.closed) << "still open after 30 s";
  EXPECT_LT(probe.sent, request.size()) << "the whole request went through";
  EXPECT_GE(probe.elapsed, 1s) << "cut off before the header timeout";
  EXPECT_EQ(http_status_of(probe.received), 408) << probe.received;
  auto body = nlohmann::json::parse(http_body_of(probe.received), nullptr, false);
  EXPECT_EQ(body.value("message", ""),
            "the request headers did not arrive within the header timeout of 2s")
      << probe.received;
  auto rows =
      audit_rows(before, "protocol.error", "DEADLINE_EXCEEDED", 1, peer_detail(probe.local));
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0].reason, "the request headers did not arrive within the header timeout of 2s");

  // A request sent at once is served.
  auto normal =
      tls_probe(server->https_address(), at_desk,
                "GET /healthz HTTP/1.1\r\nHost: liaison\r\nConnection: close\r\n\r\n", 0ms, 30s);
  EXPECT_EQ(http_status_of(normal.received), 200) << normal.received;
}

TEST_F(LimitsTest, PublishRateRefusesTheExcessOfOneMemberOnly) {
  // One token a second and a burst of 5, so that refilling during the test
  // stays small next to the 20 alerts sent back to back.
  start_server({{"alerts.publish_rate_per_member", "1"}, {"alerts.publish_burst_per_member", "5"}});
  client::native_client at(at_desk, options());
  client::native_client hu(hu_desk, options());
  std::vector<v1::Envelope> from_at, from_hu;
  std::vector<std::string> at_ids;
  for (int i = 0; i < 20; ++i) {
    auto alert = make_alert("AT", {"HU"}, "burst " + std::to_string(i));
    at_ids.push_back(alert.id());
    from_at.push_back(sign_as(at_desk, alert));
  }
  for (int i = 0; i < 5; ++i)
    from_hu.push_back(sign_as(hu_desk, make_alert("HU", {"AT"}, "meanwhile " + std::to_string(i))));
  auto before = last_audit_id();

  // AT publishes 20 back to back while HU publishes its 5 at the same time.
  std::vector<v1::Frame> hu_answers;
  auto start = steady::now();
  std::thread other([&] { hu_answers = publish_pipelined(hu, from_hu); });
  auto at_answers = publish_pipelined(at, from_at);
  other.join();
  auto elapsed = since(start);

  for (const auto& a : hu_answers) EXPECT_TRUE(a.has_publish_result()) << a.ShortDebugString();
  std::vector<std::size_t> accepted, refused;
  for (std::size_t i = 0; i < at_answers.size(); ++i) {
    const auto& a = at_answers[i];
    if (a.has_publish_result()) {
      accepted.push_back(i);
      continue;
    }
    refused.push_back(i);
    ASSERT_TRUE(a.has_error()) << a.ShortDebugString();
    EXPECT_EQ(a.error().code(), v1::RESOURCE_EXHAUSTED);
    EXPECT_NE(a.error().message().find("member AT is over its publish rate of 1 per second "
                                       "(burst 5); nothing was stored, retry in "),
              std::string::npos)
        << a.error().message();
  }
  // The burst, plus at most one token per second that passed.
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(elapsed).count();
  EXPECT_GE(accepted.size(), 5u);
  EXPECT_LE(accepted.size(), 5u + static_cast<std::size_t>(seconds) + 1)
      << elapsed.count() << " ms";
  ASSERT_FALSE(refused.empty());

  // Refused alerts are not stored; each refusal is audited with its alert id.
  EXPECT_EQ(count("SELECT count(*) FROM alerts WHERE origin = 'AT'"),
            static_cast<long>(accepted.size()));
  EXPECT_EQ(count("SELECT count(*) FROM alerts WHERE origin = 'HU'"), 5);
  auto rows = audit_rows(before, "alert.publish", "RESOURCE_EXHAUSTED", refused.size());
  std::set<std::string> audited, refused_ids;
  for (const auto& r : rows) audited.insert(r.subject);
  for (auto i : refused) refused_ids.insert(at_ids[i]);
  EXPECT_EQ(audited, refused_ids);

  // A refused alert retried later is accepted, once: a retry after that is
  // the original result (a retry takes a token too, so wait for one).
  const auto& retried = from_at[refused.front()];
  auto publish_when_allowed = [&](const v1::Envelope& e) {
    v1::Frame answer;
    bool done = eventually(
        [&] {
          answer = at.publish(e, 10s);
          return !answer.has_error() || answer.error().code() != v1::RESOURCE_EXHAUSTED;
        },
        15s);
    EXPECT_TRUE(done) << "still over the rate after 15 s";
    return answer;
  };
  auto first = publish_when_allowed(retried);
  ASSERT_TRUE(first.has_publish_result()) << first.ShortDebugString();
  EXPECT_FALSE(first.publish_result().duplicate());
  auto again = publish_when_allowed(retried);
  ASSERT_TRUE(again.has_publish_result()) << again.ShortDebugString();
  EXPECT_TRUE(again.publish_result().duplicate());
  EXPECT_EQ(again.publish_result().seq(), first.publish_result().seq());
  EXPECT_EQ(first.publish_result().alert_id(), at_ids[refused.front()]);
  EXPECT_EQ(
      count("SELECT count(*) FROM alerts WHERE alert_id = '" + at_ids[refused.front()] + "'::uuid"),
      1);

  // HU is still served at once.
  expect_still_serving(hu_desk, "HU");
}

TEST_F(LimitsTest, PublishRateOverHttpsIs429WithRetryAfter) {
  start_server({{"alerts.publish_rate_per_member", "1"}, {"alerts.publish_burst_per_member", "3"}});
  client::native_client at(at_desk, options());
  // Empty AT's bucket over the native protocol, then post at once over HTTPS.
  // A token may come back in between on a slow machine: then try again.
  std::string response;
  for (int attempt = 0; attempt < 3 && http_status_of(response) != 429; ++attempt) {
    std::vector<v1::Envelope> drain;
    for (int i = 0; i < 5; ++i)
      drain.push_back(sign_as(at_desk, make_alert("AT", {"HU"}, "drain " + std::to_string(i))));
    auto answers = publish_pipelined(at, drain);
    ASSERT_TRUE(answers.back().has_error()) << answers.back().ShortDebugString();
    auto envelope = sign_as(at_desk, make_alert("AT", {"HU"}, "over https"));
    response = tls_probe(server->https_address(), at_desk, post_alert_request(envelope), 0ms, 30s)
                   .received;
  }
  ASSERT_EQ(http_status_of(response), 429) << response;
  EXPECT_NE(response.find("\r\nRetry-After: 1\r\n"), std::string::npos) << response;
  auto body = nlohmann::json::parse(http_body_of(response), nullptr, false);
  EXPECT_EQ(body.value("code", ""), "RESOURCE_EXHAUSTED") << response;
  EXPECT_NE(body.value("message", "").find("member AT is over its publish rate"),
            std::string::npos);
  expect_still_serving(hu_desk, "HU");
}

TEST_F(LimitsTest, RecipientsEntitiesAndBodyOverTheirLimitsAreTooLarge) {
  start_server({{"alerts.max_recipients", "2"},
                {"alerts.max_entities", "1"},
                {"alerts.max_body_bytes", "64"}});
  client::native_client conn(at_desk, options());
  auto too_many_recipients = make_alert("AT", {"HU", "RS", "AL"}, "three recipients");
  auto too_many_entities = make_alert("AT", {"HU"}, "two entities");
  auto* extra = too_many_entities.add_entities();
  extra->set_type(v1::ENTITY_TYPE_PHONE);
  extra->set_value("+43 1 234567");
  auto too_long = make_alert("AT", {"HU"}, "long body");
  too_long.set_body(std::string(65, 'b'));
  struct probe {
    v1::Alert alert;
    std::string message;
  };
  const std::vector<probe> probes = {
      {too_many_recipients, "recipients has 3 entries, over the limit of 2"},
      {too_many_entities, "entities has 2 entries, over the limit of 1"},
      {too_long, "body is 65 bytes, over the limit of 64"},
  };
  for (const auto& p : probes) {
    auto before = last_audit_id();
    auto answer = conn.publish(sign_as(at_desk, p.alert), 10s);
    ASSERT_TRUE(answer.has_error()) << answer.ShortDebugString();
    EXPECT_EQ(answer.error().code(), v1::TOO_LARGE);
    EXPECT_EQ(answer.error().message(), p.message);
    auto rows = audit_rows(before, "alert.publish", "TOO_LARGE");
    ASSERT_FALSE(rows.empty());
    EXPECT_EQ(rows[0].reason, p.message);
    EXPECT_EQ(rows[0].subject, p.alert.id());
  }
  // Over HTTPS the same limit is 413.
  auto response = tls_probe(server->https_address(), at_desk,
                            post_alert_request(sign_as(at_desk, too_long)), 0ms, 30s)
                      .received;
  EXPECT_EQ(http_status_of(response), 413) << response;
  EXPECT_EQ(alerts(), 0);

  // At the limits exactly: accepted.
  auto at_limits = make_alert("AT", {"HU", "RS"}, "at the limits");
  at_limits.set_body(std::string(64, 'b'));
  auto answer = conn.publish(sign_as(at_desk, at_limits), 10s);
  EXPECT_TRUE(answer.has_publish_result()) << answer.ShortDebugString();
}

TEST_F(LimitsTest, ProtobufNestedBeyondTheLimitIsInvalidAndHarmless) {
  start_server({});
  // A frame whose Ping is followed by 100,000 nested unknown groups (400 kB,
  // under the frame limit): INVALID_ARGUMENT, and the connection is closed
  // since the stream cannot be trusted after it.
  {
    client::native_client conn(at_desk, options());
    v1::Frame ping;
    ping.set_correlation_id(5);
    ping.mutable_ping()->set_nonce(1);
    auto before = last_audit_id();
    conn.send_raw(length_prefixed(ping.SerializeAsString() + nested_groups(100'000)));
    auto frame = conn.receive(10s);
    ASSERT_TRUE(frame && frame->has_error()) << "expected an Error frame";
    EXPECT_EQ(frame->error().code(), v1::INVALID_ARGUMENT);
    EXPECT_EQ(frame->error().message(), "not a valid protobuf Frame");
    EXPECT_TRUE(closed_within(conn, 15s));
    auto rows = audit_rows(before, "protocol.error", "INVALID_ARGUMENT");
    ASSERT_FALSE(rows.empty());
    EXPECT_EQ(rows[0].reason, "not a valid protobuf Frame");
  }
  // A well-formed Publish whose signed payload nests that deep: the publish
  // is refused, the connection stays.
  {
    client::native_client conn(at_desk, options());
    v1::Envelope envelope = sign_as(at_desk, make_alert("AT", {"HU"}, "deep payload"));
    envelope.set_payload(envelope.payload() + nested_groups(100'000));
    auto before = last_audit_id();
    auto answer = conn.publish(envelope, 10s);
    ASSERT_TRUE(answer.has_error()) << answer.ShortDebugString();
    EXPECT_EQ(answer.error().code(), v1::INVALID_ARGUMENT);
    EXPECT_EQ(answer.error().message(), "not a valid protobuf Alert");
    auto rows = audit_rows(before, "alert.publish", "INVALID_ARGUMENT");
    ASSERT_FALSE(rows.empty());
    EXPECT_EQ(rows[0].reason, "not a valid protobuf Alert");
    v1::Frame ping;
    ping.mutable_ping()->set_nonce(2);
    EXPECT_TRUE(conn.call(ping, 10s).has_pong());
    // The same payload over HTTPS: 400.
    auto response =
        tls_probe(server->https_address(), at_desk, post_alert_request(envelope), 0ms, 30s)
            .received;
    EXPECT_EQ(http_status_of(response), 400) << response;
  }
  EXPECT_EQ(alerts(), 0);
  expect_still_serving(at_desk, "AT");
}

// How many HTTP responses a byte stream holds (status lines).
int responses_in(const std::string& received) {
  int n = 0;
  for (std::size_t at = received.find("HTTP/1.1 "); at != std::string::npos;
       at = received.find("HTTP/1.1 ", at + 1))
    ++n;
  return n;
}

TEST_F(LimitsTest, ATransferEncodingOtherThanChunkedGetsOne400AndTheClose) {
  // A proxy that reads "xchunked" as chunked sees one request; a server that
  // ignores it would see two (a request smuggled behind it). Liaison answers
  // one 400 and closes.
  start_server({});
  auto before = last_audit_id();
  const std::string request =
      "POST /v1/alerts HTTP/1.1\r\nHost: liaison\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n";
  auto probe = tls_probe(server->https_address(), at_desk, request, 0ms, 15s);
  EXPECT_TRUE(probe.closed);
  EXPECT_EQ(http_status_of(probe.received), 400) << probe.received;
  EXPECT_EQ(responses_in(probe.received), 1) << probe.received;
  EXPECT_NE(http_body_of(probe.received).find("Transfer-Encoding must be exactly 'chunked'"),
            std::string::npos)
      << probe.received;
  auto rows = audit_rows(before, "protocol.error", "INVALID_ARGUMENT", 1, peer_detail(probe.local));
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(alerts(), 0);
}

TEST_F(LimitsTest, TooManyHeaderFieldsOrALongOneGet431) {
  start_server({{"https.max_header_fields", "50"}, {"https.max_header_line_bytes", "1024"}});
  std::string many = "GET /healthz HTTP/1.1\r\nHost: liaison\r\n";
  for (int i = 0; i < 1000; ++i) many += "X-" + std::to_string(i) + ": 1\r\n";
  many += "\r\n";
  auto probe = tls_probe(server->https_address(), at_desk, many, 0ms, 15s);
  EXPECT_EQ(http_status_of(probe.received), 431) << probe.received;
  EXPECT_NE(http_body_of(probe.received).find("at most 50"), std::string::npos) << probe.received;

  auto one_long =
      "GET /healthz HTTP/1.1\r\nHost: liaison\r\nX-Long: " + std::string(2000, 'l') + "\r\n\r\n";
  probe = tls_probe(server->https_address(), at_desk, one_long, 0ms, 15s);
  EXPECT_EQ(http_status_of(probe.received), 431) << probe.received;

  // An ordinary request is served.
  probe =
      tls_probe(server->https_address(), at_desk,
                "GET /healthz HTTP/1.1\r\nHost: liaison\r\nConnection: close\r\n\r\n", 0ms, 15s);
  EXPECT_EQ(http_status_of(probe.received), 200) << probe.received;
}

}  // namespace
}  // namespace liaison::testing
