// The TLS policy of the native listener, against liaisond as a process: TLS
// 1.3 only, and a client certificate from the task force CA, valid now, whose
// name is a registered principal. Each refusal leaves an auth.connect audit
// row with outcome UNAUTHENTICATED, and the server goes on serving the others.
// (Revoked certificates, via the CRL, are tested with the revocation work.)
#include "e2e/alerts.hpp"
#include "e2e/server_fixture.hpp"
#include "pki/authority.hpp"
#include "support/test_database.hpp"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <array>
#include <iostream>
#include <optional>

namespace liaison::testing {
namespace {

namespace asio = boost::asio;
namespace v1 = liaison::v1;
using namespace std::chrono_literals;

// What a hand-made TLS client saw when it tried to get a Welcome.
struct tls_attempt {
  std::string local;       // the client's end, "127.0.0.1:PORT", as the server audits it
  bool handshake = false;  // the client finished its side of the handshake
  bool welcomed = false;   // Hello was answered with Welcome
  std::string error;       // the first failure the client saw
};

struct tls_client_options {
  std::optional<pki::issued> certificate;  // none: no client certificate at all
  int max_version = TLS1_3_VERSION;
};

// Connects to `server` with exactly `o` (not the project's client, which
// always offers TLS 1.3 and a valid identity), sends Hello and reads one
// frame; everything within 10 s.
tls_attempt try_tls(const std::string& server, const std::string& ca_file,
                    const tls_client_options& o) {
  tls_attempt out;
  auto colon = server.rfind(':');
  asio::ip::tcp::endpoint target(asio::ip::make_address(server.substr(0, colon)),
                                 static_cast<unsigned short>(std::stoi(server.substr(colon + 1))));
  asio::io_context io;
  asio::ssl::context tls(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(tls.native_handle(), o.max_version);
  if (o.certificate) {
    tls.use_certificate_chain(asio::buffer(o.certificate->cert_pem));
    tls.use_private_key(asio::buffer(o.certificate->key_pem), asio::ssl::context::pem);
  }
  tls.load_verify_file(ca_file);
  tls.set_verify_mode(asio::ssl::verify_peer);
  asio::ssl::stream<asio::ip::tcp::socket> stream(io, tls);
  stream.set_verify_callback(asio::ssl::host_name_verification(target.address().to_string()));

  v1::Frame hello;
  hello.set_correlation_id(1);
  hello.mutable_hello()->set_client("tls-policy-test");
  hello.mutable_hello()->set_protocol_version(1);
  std::string request = hello.SerializeAsString();
  auto size = static_cast<std::uint32_t>(request.size());
  request.insert(0, std::string{static_cast<char>(size >> 24), static_cast<char>(size >> 16),
                                static_cast<char>(size >> 8), static_cast<char>(size)});
  std::array<unsigned char, 4> header{};
  std::string body;
  auto fail = [&](const char* step, const boost::system::error_code& ec) {
    out.error = std::string(step) + ": " + ec.message();
  };
  stream.next_layer().async_connect(target, [&](boost::system::error_code ec) {
    if (ec) return fail("connect", ec);
    auto local = stream.next_layer().local_endpoint();
    out.local = local.address().to_string() + ":" + std::to_string(local.port());
    stream.async_handshake(asio::ssl::stream_base::client, [&](boost::system::error_code ec2) {
      if (ec2) return fail("handshake", ec2);
      out.handshake = true;
      asio::async_write(
          stream, asio::buffer(request), [&](boost::system::error_code ec3, std::size_t) {
            if (ec3) return fail("write Hello", ec3);
            asio::async_read(
                stream, asio::buffer(header), [&](boost::system::error_code ec4, std::size_t) {
                  if (ec4) return fail("read", ec4);
                  body.resize((std::size_t{header[0]} << 24) | (std::size_t{header[1]} << 16) |
                              (std::size_t{header[2]} << 8) | header[3]);
                  asio::async_read(
                      stream, asio::buffer(body), [&](boost::system::error_code ec5, std::size_t) {
                        if (ec5) return fail("read", ec5);
                        v1::Frame answer;
                        out.welcomed = answer.ParseFromString(body) && answer.has_welcome();
                        if (!out.welcomed) out.error = "answer: " + answer.ShortDebugString();
                      });
                });
          });
    });
  });
  io.run_for(10s);
  if (out.error.empty() && !out.welcomed) out.error = "no answer within 10 s";
  return out;
}

class TlsPolicyTest : public ::testing::Test {
 protected:
  test_database db;
  liaisond_process server{db.url()};
  pki::identity at_desk = identity("AT/desk");
  pki::authority task_force_ca = pki::authority::load(read_file(shared_pki_dir() + "/ca/ca.pem"),
                                                      read_file(shared_pki_dir() + "/ca/ca.key"));
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();

  tls_attempt attempt(const tls_client_options& o) {
    return try_tls(server.native_address(), at_desk.ca_file, o);
  }

  pki::issued client_certificate(const pki::authority& ca, const std::string& name,
                                 std::chrono::system_clock::time_point not_before,
                                 std::chrono::system_clock::time_point not_after) {
    return ca.issue({name, {}, {}, pki::certificate_usage::client, not_before, not_after});
  }

  // The auth.connect audit row of the connection from `local` (written
  // asynchronously, so waited for): its outcome and reason.
  std::pair<std::string, std::string> audit_of(const std::string& local) {
    std::pair<std::string, std::string> found;
    bool written = eventually(
        [&] {
          pqxx::connection c(db.url());
          pqxx::work tx(c);
          auto r = tx.exec_params(
              "SELECT outcome, detail FROM audit_log WHERE action = 'auth.connect' AND detail LIKE "
              "$1 ORDER BY id",
              "%\"peer\":\"" + local + "\"%");
          if (r.empty()) return false;
          found = {r[0][0].as<std::string>(),
                   nlohmann::json::parse(r[0][1].as<std::string>()).value("reason", std::string())};
          return true;
        },
        10s);
    EXPECT_TRUE(written) << "no auth.connect audit row for " << local;
    return found;
  }

  // A stranger's failure is not one audit row per connection but a summary
  // per source address, outcome and interval ("auth.failures", 1 s in these
  // servers): its outcome, count and reasons.
  struct summary {
    std::string outcome;
    std::uint64_t count = 0;
    std::string reasons;  // the reasons seen, in words
  };
  summary failures_summary() {
    summary found;
    bool written = eventually(
        [&] {
          pqxx::connection c(db.url());
          pqxx::work tx(c);
          auto r = tx.exec(
              "SELECT outcome, detail, subject FROM audit_log WHERE action = 'auth.failures' "
              "ORDER BY id");
          if (r.empty()) return false;
          auto detail = nlohmann::json::parse(r[0][1].as<std::string>());
          found.outcome = r[0][0].as<std::string>();
          found.count = detail.value("count", 0);
          for (const auto& [text, n] : detail["reasons"].items()) found.reasons += text + "; ";
          EXPECT_EQ(r[0][2].as<std::string>(), "127.0.0.1");
          EXPECT_EQ(detail.value("port", ""), "native");
          return true;
        },
        10s);
    EXPECT_TRUE(written) << "no auth.failures audit row";
    return found;
  }

  // Refused, summarised as UNAUTHENTICATED; returns the audited reason.
  std::string expect_refused(const tls_client_options& o) {
    auto a = attempt(o);
    EXPECT_FALSE(a.welcomed) << "the server welcomed the connection";
    EXPECT_FALSE(a.local.empty()) << a.error;
    auto s = failures_summary();
    EXPECT_EQ(s.outcome, "UNAUTHENTICATED") << s.reasons;
    EXPECT_EQ(s.count, 1u);
    EXPECT_TRUE(audit_rows_by_peer(a.local) == 0) << "a stranger's connection has a row of its own";
    expect_still_serving();
    return s.reasons + " (client saw: " + a.error + ")";
  }

  // auth.connect rows naming this exact peer (address:port).
  int audit_rows_by_peer(const std::string& local) {
    pqxx::connection c(db.url());
    pqxx::work tx(c);
    return tx
        .exec_params1("SELECT count(*) FROM audit_log WHERE detail LIKE $1",
                      "%\"peer\":\"" + local + "\"%")[0]
        .as<int>();
  }

  void expect_still_serving() {
    client::native_client conn(at_desk, {server.native_address(), 10s, "e2e"});
    auto answer = conn.publish(sign_as(at_desk, make_alert("AT", {"HU"}, "still serving")), 10s);
    EXPECT_TRUE(answer.has_publish_result()) << answer.ShortDebugString();
  }
};

TEST_F(TlsPolicyTest, TheHandMadeClientIsWelcomedWithAValidCertificate) {
  // The control: with a valid certificate the same client gets a Welcome, so
  // the refusals below are the policy's doing.
  auto a =
      attempt({client_certificate(task_force_ca, "AT.desk", now - 1h, now + 1h), TLS1_3_VERSION});
  EXPECT_TRUE(a.welcomed) << a.error;
  EXPECT_EQ(audit_of(a.local).first, "ok");
}

TEST_F(TlsPolicyTest, NoClientCertificateIsRefused) {
  auto reason = expect_refused({std::nullopt, TLS1_3_VERSION});
  std::cout << "audited reason: " << reason << "\n";
}

TEST_F(TlsPolicyTest, CertificateFromAnotherCaIsRefused) {
  auto other = pki::authority::create("Another CA", now - 1h, now + 24h);
  auto reason = expect_refused(
      {client_certificate(other, "intruder.desk", now - 1h, now + 1h), TLS1_3_VERSION});
  std::cout << "audited reason: " << reason << "\n";
}

TEST_F(TlsPolicyTest, RegisteredPrincipalNameFromAnotherCaIsRefused) {
  // The name of a real desk does not help a certificate the task force CA did not sign.
  auto other = pki::authority::create("Liaison Task Force CA", now - 1h, now + 24h);
  auto reason =
      expect_refused({client_certificate(other, "AT.desk", now - 1h, now + 1h), TLS1_3_VERSION});
  std::cout << "audited reason: " << reason << "\n";
}

TEST_F(TlsPolicyTest, ExpiredCertificateIsRefused) {
  auto reason = expect_refused(
      {client_certificate(task_force_ca, "AT.desk", now - 48h, now - 24h), TLS1_3_VERSION});
  std::cout << "audited reason: " << reason << "\n";
  EXPECT_NE(reason.find("expired"), std::string::npos) << reason;
}

TEST_F(TlsPolicyTest, NotYetValidCertificateIsRefused) {
  auto reason = expect_refused(
      {client_certificate(task_force_ca, "AT.desk", now + 24h, now + 48h), TLS1_3_VERSION});
  std::cout << "audited reason: " << reason << "\n";
  EXPECT_NE(reason.find("not yet valid"), std::string::npos) << reason;
}

TEST_F(TlsPolicyTest, ClientLimitedToTls12IsRefused) {
  // A valid certificate, but the server speaks TLS 1.3 only.
  auto a =
      attempt({client_certificate(task_force_ca, "AT.desk", now - 1h, now + 1h), TLS1_2_VERSION});
  EXPECT_FALSE(a.handshake) << "a TLS 1.2 handshake succeeded";
  EXPECT_FALSE(a.welcomed);
  auto s = failures_summary();
  EXPECT_EQ(s.outcome, "UNAUTHENTICATED") << s.reasons;
  std::cout << "audited reason: " << s.reasons << " (client saw: " << a.error << ")\n";
  expect_still_serving();
}

TEST_F(TlsPolicyTest, ACertificateWithoutClientAuthUsageIsRefused) {
  // Issued by the task-force CA for a registered name, but with no
  // extendedKeyUsage at all (valid "for any purpose", like a CA's own
  // certificate): not a client certificate.
  auto reason = expect_refused(
      {task_force_ca.issue({"AT.desk", {}, {}, pki::certificate_usage::any, now - 1h, now + 1h}),
       TLS1_3_VERSION});
  std::cout << "audited reason: " << reason << "\n";
  EXPECT_NE(reason.find("clientAuth"), std::string::npos) << reason;
  // A server certificate (serverAuth only) is no client certificate either.
  auto as_server = attempt(
      {task_force_ca.issue({"AT.desk", {}, {}, pki::certificate_usage::server, now - 1h, now + 1h}),
       TLS1_3_VERSION});
  EXPECT_FALSE(as_server.welcomed);
}

TEST_F(TlsPolicyTest, TheServerRefusesToStartWithACertificateNotMeantForAServer) {
  // The server's own certificate must carry serverAuth.
  auto client_only = task_force_ca.issue(
      {"liaisond", {"localhost"}, {}, pki::certificate_usage::client, now - 1h, now + 24h});
  temp_dir dir("server-cert");
  auto cert = dir.write("cert.pem", client_only.cert_pem);
  auto key = dir.write("key.pem", client_only.key_pem);
  try {
    liaisond_process wrong(db.url(), {{"tls.cert_file", nlohmann::json(cert).dump()},
                                      {"tls.key_file", nlohmann::json(key).dump()}});
    FAIL() << "liaisond started with a client certificate as its own";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("lacks the serverAuth extended key usage"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace liaison::testing
