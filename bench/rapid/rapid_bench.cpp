// The rapid-response benchmark (#12, docs/BENCHMARKS.md), against a running
// liaisond. Three measurements, none of them asserted:
//
//   flash      A desk has BACKLOG undelivered ROUTINE alerts; FLASH alerts are
//              published one every 50 ms while it reads. The time from sending
//              each FLASH to its Deliver at the desk (commit included),
//              p50/p99/max, with lanes and (for comparison) without.
//   deadlines  Every member holds PER_MEMBER pending read deadlines (URGENT
//              alerts to ALL): liaisond's memory and CPU, and PostgreSQL's CPU,
//              while idle, before and after they exist.
//   receipts   27 desks in a closed loop (each publishes to the next member);
//              every recipient sends DELIVERED and READ for every alert, or
//              nothing: alerts per second and CPU per alert, both ways.
//
// bench/run.sh --only rapid starts PostgreSQL and liaisond and runs this.
#include "client/alert_builder.hpp"
#include "client/native_client.hpp"
#include "common/histogram.hpp"
#include "common/proc_stats.hpp"
#include "crypto/alert_signature.hpp"
#include "crypto/sha256.hpp"
#include "pki/identity.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <atomic>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using nlohmann::json;
namespace v1 = liaison::v1;
namespace client = liaison::client;
namespace bench = liaison::bench;

const std::vector<std::string> members = {"AL", "AT", "BA", "BE", "BG", "CH", "CY", "CZ", "DE",
                                          "DK", "FR", "GR", "HR", "HU", "IT", "MD", "ME", "MK",
                                          "NL", "PL", "RO", "RS", "SE", "SI", "SK", "TR", "XK"};

struct options {
  std::string server;
  std::string pki;
  std::string db;
  pid_t server_pid = 0;
  pid_t pg_pid = 0;
  std::string scenarios = "flash,deadlines,receipts";
  std::size_t backlog = 100000;
  std::size_t flashes = 100;
  std::size_t per_member = 10000;
  double idle_seconds = 20;
  double duration = 20;
  std::size_t window = 16;
  std::string json_file;
};

liaison::pki::identity desk(const options& o, const std::string& member) {
  return liaison::pki::load_identity(o.pki + "/" + member + "/desk");
}

client::native_client connect(const options& o, const liaison::pki::identity& id) {
  return client::native_client(id, {o.server, 30s, "rapid_bench"});
}

v1::Envelope make(const liaison::pki::identity& id, const liaison::crypto::ed25519_private_key& key,
                  const std::vector<std::string>& to, v1::Priority prio) {
  v1::Alert a;
  a.set_id(client::new_uuid());
  a.set_origin(id.member);
  for (const auto& m : to) a.add_recipients(m);
  a.set_kind(v1::KIND_INFORMATION);
  a.set_category(v1::CATEGORY_VEHICLE);
  a.set_priority(prio);
  a.set_tlp(v1::TLP_AMBER);
  a.set_restriction(v1::RESTRICTION_H1);
  a.mutable_evaluation()->set_source(v1::SOURCE_RELIABILITY_B);
  a.mutable_evaluation()->set_information(v1::INFORMATION_RELIABILITY_2);
  a.set_subject("rapid bench");
  a.set_body(std::string(256, 'x'));
  a.set_language("en");
  client::set_created_now(a);
  return client::sign_alert(a, key, id.key_id);
}

// Publishes `n` alerts made by `next()` with `window` in flight; returns the seqs.
template <class Next>
std::vector<std::uint64_t> publish_many(client::native_client& c, std::size_t n, std::size_t window,
                                        Next next) {
  std::vector<std::uint64_t> seqs;
  std::size_t sent = 0, in_flight = 0;
  while (seqs.size() < n) {
    while (sent < n && in_flight < window) {
      v1::Frame f;
      *f.mutable_publish()->mutable_envelope() = next();
      c.send(std::move(f));
      ++sent;
      ++in_flight;
    }
    auto f = c.receive(30s);
    if (!f) throw std::runtime_error("no PublishResult within 30 s");
    if (f->has_error()) throw std::runtime_error("publish refused: " + f->error().message());
    if (!f->has_publish_result()) continue;
    seqs.push_back(f->publish_result().seq());
    --in_flight;
  }
  return seqs;
}

double pct(const bench::histogram& h, double p) {
  return static_cast<double>(h.quantile(p)) / 1e6;  // ns -> ms
}

// --- flash ---

json run_flash(const options& o, bool lanes) {
  auto at = desk(o, "AT"), hu = desk(o, "HU");
  auto key = liaison::crypto::ed25519_private_key::load_pem_file(at.signing_key_file);
  auto publisher = connect(o, at);
  const std::string consumer = std::string("flash-") + (lanes ? "lanes-" : "plain-") +
                               std::to_string(steady::now().time_since_epoch().count());
  // The backlog, committed before the desk subscribes.
  const auto t0 = steady::now();
  publish_many(publisher, o.backlog, 64,
               [&] { return make(at, key, {"HU"}, v1::PRIORITY_ROUTINE); });
  const double backlog_s = std::chrono::duration<double>(steady::now() - t0).count();

  std::mutex m;
  std::map<std::uint64_t, steady::time_point> arrived;  // FLASH seq -> when delivered
  std::atomic<bool> stop{false};
  std::atomic<std::size_t> routine_seen{0};
  std::atomic<std::size_t> routine_after_last_flash{0};
  std::thread reader([&] {
    auto c = connect(o, hu);
    v1::Subscribe sub;
    sub.set_consumer(consumer);
    sub.mutable_stored_cursor();
    sub.set_lanes(lanes);
    c.subscribe(sub, 30s);
    std::map<v1::Priority, std::uint64_t> last;
    std::size_t since_ack = 0;
    while (!stop) {
      auto f = c.receive(200ms);
      if (!f || !f->has_deliver()) continue;
      const auto now = steady::now();
      const auto& d = f->deliver();
      if (d.lane() == v1::PRIORITY_FLASH && lanes) {
        std::lock_guard lock(m);
        arrived[d.seq()] = now;
      } else {
        ++routine_seen;
        {
          std::lock_guard lock(m);
          // Without lanes a FLASH arrives in the ROUTINE stream: tell by seq later.
          arrived.emplace(d.seq(), now);
        }
      }
      last[lanes ? d.lane() : v1::PRIORITY_UNSPECIFIED] = d.seq();
      if (++since_ack >= 256) {
        since_ack = 0;
        for (auto [lane, seq] : last) {
          v1::Frame ack;
          ack.mutable_ack()->set_consumer(consumer);
          ack.mutable_ack()->set_up_to_seq(seq);
          ack.mutable_ack()->set_lane(lane);
          c.send(std::move(ack));
        }
      }
    }
  });
  std::this_thread::sleep_for(200ms);  // the reader is subscribed and reading the backlog
  // From the moment each FLASH is sent: an upper bound of commit -> deliver
  // (the Deliver may well arrive before the PublishResult does).
  std::map<std::uint64_t, steady::time_point> committed;
  for (std::size_t i = 0; i < o.flashes; ++i) {
    const auto sent = steady::now();
    auto seqs =
        publish_many(publisher, 1, 1, [&] { return make(at, key, {"HU"}, v1::PRIORITY_FLASH); });
    committed[seqs[0]] = sent;
    std::this_thread::sleep_for(50ms);
  }
  // Every FLASH delivered (or 300 s).
  const auto until = steady::now() + 300s;
  std::size_t delivered = 0;
  while (steady::now() < until) {
    {
      std::lock_guard lock(m);
      delivered = 0;
      for (const auto& [seq, at_time] : committed) delivered += arrived.count(seq);
    }
    if (delivered == committed.size()) break;
    std::this_thread::sleep_for(20ms);
  }
  const std::size_t routine_when_done = routine_seen.load();
  stop = true;
  reader.join();
  bench::histogram h;
  {
    std::lock_guard lock(m);
    for (const auto& [seq, when] : committed)
      if (auto it = arrived.find(seq); it != arrived.end())
        h.record(static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(it->second - when).count()));
  }
  (void)routine_after_last_flash;
  json out{{"lanes", lanes},
           {"backlog", o.backlog},
           {"backlog_publish_seconds", backlog_s},
           {"flashes", committed.size()},
           {"flashes_delivered", delivered},
           {"routine_delivered_when_last_flash_arrived", routine_when_done},
           {"publish_to_deliver_ms",
            {{"p50", pct(h, 0.5)}, {"p99", pct(h, 0.99)}, {"max", h.max() / 1e6}}}};
  std::cout << "flash (" << (lanes ? "lanes" : "no lanes") << "): " << o.backlog
            << " ROUTINE waiting; " << delivered << "/" << committed.size()
            << " FLASH delivered, publish->deliver p50 " << pct(h, 0.5) << " ms, p99 "
            << pct(h, 0.99) << " ms, max " << h.max() / 1e6 << " ms; " << routine_when_done
            << " ROUTINE read by then" << std::endl;
  return out;
}

// --- deadlines ---

struct idle_sample {
  double server_cpu_percent = 0;
  double pg_cpu_percent = 0;
  double rss_mib = 0;
};

idle_sample sample_idle(const options& o) {
  auto s0 = bench::sample_process(o.server_pid);
  const double pg0 = o.pg_pid ? bench::tree_cpu_seconds(o.pg_pid) : 0;
  std::this_thread::sleep_for(std::chrono::duration<double>(o.idle_seconds));
  auto s1 = bench::sample_process(o.server_pid);
  const double pg1 = o.pg_pid ? bench::tree_cpu_seconds(o.pg_pid) : 0;
  idle_sample out;
  if (s0 && s1) {
    out.server_cpu_percent = 100 * (s1->cpu_seconds - s0->cpu_seconds) / o.idle_seconds;
    out.rss_mib = static_cast<double>(s1->rss_kb) / 1024;
  }
  out.pg_cpu_percent = 100 * (pg1 - pg0) / o.idle_seconds;
  return out;
}

json run_deadlines(const options& o) {
  auto before = sample_idle(o);
  // 27 desks, each publishing its share of URGENT alerts to ALL (26 recipients).
  const std::size_t per_desk =
      (o.per_member * members.size() / (members.size() - 1) + members.size() - 1) / members.size();
  const auto t0 = steady::now();
  std::vector<std::thread> desks;
  for (const auto& member : members)
    desks.emplace_back([&, member] {
      auto id = desk(o, member);
      auto key = liaison::crypto::ed25519_private_key::load_pem_file(id.signing_key_file);
      auto c = connect(o, id);
      publish_many(c, per_desk, o.window,
                   [&] { return make(id, key, {"ALL"}, v1::PRIORITY_URGENT); });
    });
  for (auto& t : desks) t.join();
  const double publish_s = std::chrono::duration<double>(steady::now() - t0).count();
  long pending = 0;
  {
    pqxx::connection c(o.db);
    pqxx::nontransaction tx(c);
    pending =
        tx.exec1("SELECT count(*) FROM read_deadlines WHERE due_at IS NOT NULL")[0].as<long>();
  }
  auto after = sample_idle(o);
  json out{{"pending_deadlines", pending},
           {"alerts", per_desk * members.size()},
           {"publish_seconds", publish_s},
           {"idle_seconds", o.idle_seconds},
           {"before",
            {{"server_cpu_percent", before.server_cpu_percent},
             {"pg_cpu_percent", before.pg_cpu_percent},
             {"server_rss_mib", before.rss_mib}}},
           {"after",
            {{"server_cpu_percent", after.server_cpu_percent},
             {"pg_cpu_percent", after.pg_cpu_percent},
             {"server_rss_mib", after.rss_mib}}}};
  std::cout << "deadlines: " << pending << " pending (" << per_desk * members.size()
            << " URGENT alerts to ALL in " << publish_s << " s); idle " << o.idle_seconds
            << " s before/after: liaisond CPU " << before.server_cpu_percent << "% / "
            << after.server_cpu_percent << "%, RSS " << before.rss_mib << " / " << after.rss_mib
            << " MiB; PostgreSQL CPU " << before.pg_cpu_percent << "% / " << after.pg_cpu_percent
            << "%" << std::endl;
  return out;
}

// --- receipts ---

json run_receipts(const options& o, bool receipts) {
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> acked{0}, answered{0}, failures{0};
  const std::string tag = std::to_string(steady::now().time_since_epoch().count());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < members.size(); ++i) {
    const auto member = members[i];
    const auto target = members[(i + 1) % members.size()];
    threads.emplace_back([&, member] {  // the recipient's desk software
      try {
        auto id = desk(o, member);
        auto key = liaison::crypto::ed25519_private_key::load_pem_file(id.signing_key_file);
        auto c = connect(o, id);
        v1::Subscribe sub;
        sub.set_consumer("receipts-" + tag);
        sub.mutable_only_new();
        sub.set_lanes(true);
        c.subscribe(sub, 30s);
        // Receipts in flight stay under the server's per-connection limit
        // (64): a desk's software waits for answers as a real one would.
        std::deque<v1::Deliver> waiting;
        std::size_t in_flight = 0;
        while (!stop) {
          const bool room = !waiting.empty() && in_flight + 2 <= 48;
          auto f = c.receive(room ? 0ms : 200ms);
          if (f && f->has_receipt_result()) {
            ++answered;
            --in_flight;
          } else if (f && f->has_error()) {
            ++failures;
            if (f->correlation_id() != 0) --in_flight;
          } else if (f && f->has_deliver()) {
            waiting.push_back(f->deliver());
          }
          if (waiting.empty() || in_flight + 2 > 48) continue;
          const auto d = std::move(waiting.front());
          waiting.pop_front();
          v1::Frame ack;
          ack.mutable_ack()->set_consumer("receipts-" + tag);
          ack.mutable_ack()->set_up_to_seq(d.seq());
          ack.mutable_ack()->set_lane(d.lane());
          c.send(std::move(ack));
          if (!receipts) continue;
          v1::Alert a;
          a.ParseFromString(d.envelope().payload());
          const auto sha = std::string(
              liaison::crypto::as_bytes(liaison::crypto::sha256(d.envelope().payload())));
          for (auto state : {v1::RECEIPT_STATE_DELIVERED, v1::RECEIPT_STATE_READ}) {
            v1::Receipt r;
            r.set_alert_id(a.id());
            r.set_origin(a.origin());
            r.set_alert_sha256(sha);
            r.set_state(state);
            r.mutable_at()->set_seconds(std::chrono::duration_cast<std::chrono::seconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count());
            r.set_member(member);
            v1::Frame f2;
            auto* sr = f2.mutable_send_receipt()->mutable_receipt();
            sr->set_payload(r.SerializeAsString());
            sr->set_signature(liaison::crypto::sign_receipt(key, sr->payload()));
            sr->set_key_id(id.key_id);
            c.send(std::move(f2));
            ++in_flight;
          }
        }
      } catch (const std::exception& e) {
        std::cerr << "receipts: " << member << " reader: " << e.what() << "\n";
        ++failures;
      }
    });
  }
  std::this_thread::sleep_for(1s);  // the readers are subscribed
  auto s0 = bench::sample_process(o.server_pid);
  const double pg0 = o.pg_pid ? bench::tree_cpu_seconds(o.pg_pid) : 0;
  const std::uint64_t answered0 = answered.load();
  const auto t0 = steady::now();
  std::atomic<bool> publishing{true};
  std::vector<std::thread> publishers;
  for (std::size_t i = 0; i < members.size(); ++i)
    publishers.emplace_back([&, i] {
      try {
        auto id = desk(o, members[i]);
        auto key = liaison::crypto::ed25519_private_key::load_pem_file(id.signing_key_file);
        auto c = connect(o, id);
        const std::vector<std::string> to{members[(i + 1) % members.size()]};
        std::size_t in_flight = 0;
        while (publishing || in_flight > 0) {
          while (publishing && in_flight < o.window) {
            v1::Frame f;
            *f.mutable_publish()->mutable_envelope() = make(id, key, to, v1::PRIORITY_ROUTINE);
            c.send(std::move(f));
            ++in_flight;
          }
          auto f = c.receive(30s);
          if (!f) break;
          if (f->has_publish_result()) {
            --in_flight;
            if (publishing) ++acked;
          } else if (f->has_error()) {
            --in_flight;
            ++failures;
          }
        }
      } catch (const std::exception& e) {
        std::cerr << "receipts: publisher: " << e.what() << "\n";
        ++failures;
      }
    });
  std::this_thread::sleep_for(std::chrono::duration<double>(o.duration));
  const std::uint64_t acked_total = acked.load();
  const std::uint64_t answered_total = answered.load() - answered0;
  auto s1 = bench::sample_process(o.server_pid);
  const double pg1 = o.pg_pid ? bench::tree_cpu_seconds(o.pg_pid) : 0;
  const double seconds = std::chrono::duration<double>(steady::now() - t0).count();
  publishing = false;
  for (auto& t : publishers) t.join();
  std::this_thread::sleep_for(2s);
  stop = true;
  for (auto& t : threads) t.join();
  const double server_cpu = s0 && s1 ? s1->cpu_seconds - s0->cpu_seconds : 0;
  json out{{"receipts", receipts},
           {"seconds", seconds},
           {"acked_per_second", static_cast<double>(acked_total) / seconds},
           {"receipts_per_second", static_cast<double>(answered_total) / seconds},
           {"server_cpu_ms_per_alert",
            1000 * server_cpu / static_cast<double>(std::max<std::uint64_t>(acked_total, 1))},
           {"pg_cpu_ms_per_alert",
            1000 * (pg1 - pg0) / static_cast<double>(std::max<std::uint64_t>(acked_total, 1))},
           {"failures", failures.load()}};
  std::cout << "receipts " << (receipts ? "on " : "off") << ": "
            << out["acked_per_second"].get<double>() << " alerts/s acknowledged, "
            << out["receipts_per_second"].get<double>()
            << " receipts/s recorded; per alert liaisond "
            << out["server_cpu_ms_per_alert"].get<double>() << " ms CPU, PostgreSQL "
            << out["pg_cpu_ms_per_alert"].get<double>() << " ms CPU; " << failures.load()
            << " failures" << std::endl;
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  CLI::App app{"rapid_bench: rapid-response measurements against a running liaisond"};
  app.add_option("--server", o.server, "HOST:PORT of liaisond's native listener")->required();
  app.add_option("--pki", o.pki, "the development PKI folder (liaison pki init --out)")->required();
  app.add_option("--db", o.db, "the database URL (to count pending deadlines)")->required();
  app.add_option("--server-pid", o.server_pid, "liaisond's pid (CPU and memory)");
  app.add_option("--pg-pid", o.pg_pid, "the postmaster's pid (CPU of its process tree)");
  app.add_option("--scenarios", o.scenarios, "comma-separated: flash,deadlines,receipts")
      ->capture_default_str();
  app.add_option("--backlog", o.backlog, "ROUTINE alerts waiting (flash)")->capture_default_str();
  app.add_option("--flashes", o.flashes, "FLASH alerts measured (flash)")->capture_default_str();
  app.add_option("--per-member", o.per_member, "pending deadlines per member (deadlines)")
      ->capture_default_str();
  app.add_option("--idle-seconds", o.idle_seconds, "idle sample length (deadlines)")
      ->capture_default_str();
  app.add_option("--duration", o.duration, "seconds per closed-loop run (receipts)")
      ->capture_default_str();
  app.add_option("--window", o.window, "publishes in flight per desk")->capture_default_str();
  app.add_option("--json", o.json_file, "write the results here");
  CLI11_PARSE(app, argc, argv);
  json out = json::object();
  auto wants = [&](const std::string& s) { return o.scenarios.find(s) != std::string::npos; };
  try {
    if (wants("flash")) out["flash"] = {run_flash(o, true), run_flash(o, false)};
    if (wants("deadlines")) out["deadlines"] = run_deadlines(o);
    if (wants("receipts")) out["receipts"] = {run_receipts(o, false), run_receipts(o, true)};
  } catch (const std::exception& e) {
    std::cerr << "rapid_bench: " << e.what() << "\n";
    return 1;
  }
  if (!o.json_file.empty()) std::ofstream(o.json_file) << out.dump(2) << "\n";
  return 0;
}
