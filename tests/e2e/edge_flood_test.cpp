// Strangers cannot lock desks out or fill the audit log. While every desk
// publishes, 1,000 silent TCP sockets hit the native port and 200 slowloris
// HTTPS connections (a TLS handshake, then headers one byte at a time) the
// HTTPS port, all from 127.0.0.1: every publish succeeds, a desk that
// connects in the middle of the flood gets in, and the audit log grows by a
// handful of summary rows ("auth.failures"), not one row per stranger. The
// publish latencies, without and during the flood, are printed for the
// record, never asserted (the speed goal lives in bench/).
#include "e2e/alerts.hpp"
#include "e2e/endpoint.hpp"
#include "e2e/server_fixture.hpp"
#include "support/test_database.hpp"

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <sys/resource.h>
#include <algorithm>
#include <atomic>
#include <iostream>
#include <thread>

namespace liaison::testing {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// 1,000 sockets connect and never send a byte; kept open until destroyed.
struct silent_sockets {
  asio::io_context io;
  std::vector<tcp::socket> sockets;
  silent_sockets(const std::string& address, int n) {
    auto ep = endpoint_of(address);
    for (int i = 0; i < n; ++i) {
      tcp::socket s(io);
      boost::system::error_code ec;
      s.connect(ep, ec);
      if (!ec) sockets.push_back(std::move(s));
    }
  }
};

// `n` TLS connections without a client certificate that send an HTTP
// request one byte every 200 ms, for `duration`. Runs on its own thread.
void slowloris(const std::string& address, const std::string& ca_file, int n,
               std::chrono::seconds duration, std::atomic<int>& handshakes) {
  asio::io_context io;
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.load_verify_file(ca_file);
  tls.set_verify_mode(asio::ssl::verify_peer);
  const std::string request =
      "GET /healthz HTTP/1.1\r\nHost: liaison\r\nX-Slow: " + std::string(200, 's') + "\r\n\r\n";
  struct conn {
    asio::ssl::stream<tcp::socket> stream;
    asio::steady_timer timer;
    std::size_t sent = 0;
    conn(asio::io_context& io, asio::ssl::context& c) : stream(io, c), timer(io) {}
  };
  std::vector<std::unique_ptr<conn>> conns;
  // One byte of the request every 200 ms, until it is all sent or fails.
  std::function<void(conn*)> trickle = [&](conn* c) {
    if (c->sent >= request.size()) return;
    asio::async_write(c->stream, asio::buffer(request.data() + c->sent, 1),
                      [&, c](boost::system::error_code ec, std::size_t) {
                        if (ec) return;
                        ++c->sent;
                        c->timer.expires_after(200ms);
                        c->timer.async_wait([&, c](boost::system::error_code e) {
                          if (!e) trickle(c);
                        });
                      });
  };
  auto ep = endpoint_of(address);
  for (int i = 0; i < n; ++i) {
    conns.push_back(std::make_unique<conn>(io, tls));
    auto* c = conns.back().get();
    c->stream.next_layer().async_connect(ep, [&, c](boost::system::error_code ec) {
      if (ec) return;
      c->stream.async_handshake(asio::ssl::stream_base::client,
                                [&, c](boost::system::error_code e) {
                                  if (e) return;
                                  ++handshakes;
                                  trickle(c);
                                });
    });
  }
  io.run_for(duration);
}

std::int64_t value(const std::string& url, const std::string& sql) {
  pqxx::connection c(url);
  pqxx::work tx(c);
  auto r = tx.exec(sql);
  return r[0][0].is_null() ? 0 : r[0][0].as<std::int64_t>();
}

// Ten rounds of one publish per desk, each to the next member; every publish
// must be answered with its result. Returns the latencies in ms, sorted.
std::vector<double> publish_rounds(std::vector<std::unique_ptr<client::native_client>>& desks,
                                   const std::vector<std::string>& members,
                                   const std::string& label) {
  std::vector<double> latencies_ms;
  for (int round = 0; round < 10; ++round) {
    for (std::size_t i = 0; i < desks.size(); ++i) {
      auto id = identity(members[i] + "/desk");
      auto envelope = sign_as(id, make_alert(members[i], {members[(i + 1) % members.size()]},
                                             label + " " + std::to_string(round)));
      auto start = steady::now();
      auto answer = desks[i]->publish(envelope, 10s);
      latencies_ms.push_back(
          std::chrono::duration<double, std::milli>(steady::now() - start).count());
      EXPECT_TRUE(answer.has_publish_result()) << members[i] << ": " << answer.ShortDebugString();
      if (!answer.has_publish_result()) return latencies_ms;
    }
  }
  std::sort(latencies_ms.begin(), latencies_ms.end());
  return latencies_ms;
}

void print_latencies(const std::string& what, const std::vector<double>& sorted_ms) {
  if (sorted_ms.empty()) return;
  std::cout << what << " (" << sorted_ms.size() << " publishes): p50 "
            << sorted_ms[sorted_ms.size() / 2] << " ms, p99 "
            << sorted_ms[sorted_ms.size() * 99 / 100] << " ms, max " << sorted_ms.back() << " ms\n";
}

TEST(EdgeFloodTest, StrangersNeitherLockDesksOutNorFillTheAuditLog) {
  // The client needs more than 1,200 descriptors.
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = std::min<rlim_t>(files.rlim_max, 8192);
  ::setrlimit(RLIMIT_NOFILE, &files);
  ASSERT_GE(files.rlim_cur, 2048u) << "cannot open enough sockets for the flood";

  test_database db;
  // As observed before the fix: 50 connections in all. Summaries per minute,
  // so that the whole flood makes one row per kind.
  liaisond_process server(db.url(), {{"native.max_connections", "50"},
                                     {"native.handshake_timeout", "\"2s\""},
                                     {"https.handshake_timeout", "\"2s\""},
                                     {"https.header_timeout", "\"2s\""},
                                     {"audit.failure_summary_interval", "\"1m\""}});
  const client::connect_options options{server.native_address(), 10s, "e2e-flood"};

  // Every desk is connected.
  std::vector<std::string> members;
  std::vector<std::unique_ptr<client::native_client>> desks;
  for (const auto& entry : std::filesystem::directory_iterator(shared_pki_dir())) {
    auto name = entry.path().filename().string();
    if (entry.is_directory() && name.size() == 2 &&
        std::filesystem::exists(entry.path() / "desk")) {
      members.push_back(name);
      desks.push_back(std::make_unique<client::native_client>(identity(name + "/desk"), options));
    }
  }
  ASSERT_EQ(desks.size(), 27u);
  // The same publishes without a flood: the baseline the printed figures
  // compare with.
  const auto quiet = publish_rounds(desks, members, "before the flood");
  ASSERT_FALSE(HasFailure());
  const auto rows_before = value(db.url(), "SELECT count(*) FROM audit_log");

  // The flood begins: 1,000 silent sockets at once, 200 slowloris for 12 s.
  auto silent = std::make_unique<silent_sockets>(server.native_address(), 1000);
  std::atomic<int> slow_handshakes{0};
  std::thread slow([&] {
    slowloris(server.https_address(), identity("AT/desk").ca_file, 200, 12s, slow_handshakes);
  });
  std::this_thread::sleep_for(1500ms);  // the flood in full swing, its sockets now stale

  // Every desk publishes; every publish succeeds.
  const auto during = publish_rounds(desks, members, "during the flood");
  ASSERT_FALSE(HasFailure());
  // A desk connecting in the middle of the flood, from the flooded address, gets in.
  client::native_client late(identity("HU/desk"), options);
  auto answer = late.publish(sign_as(identity("HU/desk"), make_alert("HU", {"AT"}, "late")), 10s);
  EXPECT_TRUE(answer.has_publish_result()) << answer.ShortDebugString();

  slow.join();
  silent.reset();
  print_latencies("publish->ack without a flood", quiet);
  print_latencies("publish->ack during the flood", during);
  std::cout << "slowloris handshakes completed: " << slow_handshakes << "\n";
  // The summaries are written at the latest when the server stops.
  desks.clear();
  ASSERT_EQ(server.stop(), 0) << server.log();
  const auto summaries =
      value(db.url(), "SELECT count(*) FROM audit_log WHERE id > " + std::to_string(rows_before) +
                          " AND action = 'auth.failures'");
  const auto counted = value(db.url(),
                             "SELECT sum((detail::json->>'count')::bigint) FROM audit_log WHERE "
                             "action = 'auth.failures'");
  const auto strangers_rows = value(
      db.url(), "SELECT count(*) FROM audit_log WHERE id > " + std::to_string(rows_before) +
                    " AND action IN ('auth.connect', 'protocol.error') AND actor LIKE 'tls:%'");
  std::cout << "audit: " << summaries << " summary rows counting " << counted
            << " failed connections; " << strangers_rows << " rows of strangers otherwise\n";
  EXPECT_GE(summaries, 1);
  EXPECT_LE(summaries, 8) << "more than a handful of summary rows";
  EXPECT_GE(counted, 1000) << "every stranger is counted";
  EXPECT_EQ(strangers_rows, 0);
}

}  // namespace
}  // namespace liaison::testing
