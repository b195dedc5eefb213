#include "faults/load.hpp"

#include "client/alert_builder.hpp"
#include "client/native_client.hpp"
#include "crypto/ed25519.hpp"
#include "e2e/server_fixture.hpp"
#include "liaison/v1/frame.pb.h"

#include <algorithm>
#include <deque>
#include <map>
#include <random>
#include <set>
#include <unordered_set>

namespace liaison::faults {
namespace {

namespace v1 = liaison::v1;
using namespace std::chrono_literals;
using ms = std::chrono::milliseconds;

ms until(steady::time_point t) {
  auto left = std::chrono::duration_cast<ms>(t - steady::now());
  return std::max(left, ms(0));
}

}  // namespace

std::vector<std::string> expand_recipients(const core::registry_data& registry,
                                           const std::string& origin,
                                           const std::vector<std::string>& to) {
  std::set<std::string> out;
  for (const auto& name : to) {
    auto g = std::find_if(registry.groups.begin(), registry.groups.end(),
                          [&](const auto& x) { return x.name == name; });
    if (g == registry.groups.end()) {
      out.insert(name);
      continue;
    }
    for (const auto& m : g->members)
      if (m != origin) out.insert(m);
  }
  return {out.begin(), out.end()};
}

// One publishing desk: its identity, its signing key and what it recorded.
struct load::desk {
  std::string origin;
  std::mt19937_64 rng;
  std::vector<alert_record> records;
  std::thread thread;
};

// One durable consumer and what it received, readable while it runs.
struct load::reader {
  std::string member;
  std::string label;  // MEMBER/name
  mutable std::mutex mutex;
  std::vector<delivery> got;
  std::unordered_set<std::string> keys;
  std::thread thread;
};

load::load(load_options options, core::registry_data registry, address_fn address)
    : options_(std::move(options)), registry_(std::move(registry)), address_(std::move(address)) {
  for (const auto& m : registry_.members) codes_.push_back(m.code);
  std::uint64_t n = 0;
  for (const auto& code : codes_) {
    auto d = std::make_unique<desk>();
    d->origin = code;
    d->rng.seed(options_.seed * 1000003 + n++);
    desks_.push_back(std::move(d));
    auto r = std::make_unique<reader>();
    r->member = code;
    r->label = code + "/" + options_.consumer_name;
    readers_.push_back(std::move(r));
  }
}

load::~load() {
  stop_publishing(0ms);
  stop_consuming();
}

void load::start() {
  for (auto& r : readers_) r->thread = std::thread([this, p = r.get()] { consume_loop(*p); });
  for (auto& d : desks_) d->thread = std::thread([this, p = d.get()] { publish_loop(*p); });
}

void load::stop_publishing(std::chrono::milliseconds drain) {
  {
    std::lock_guard lock(wake_mutex_);
    if (!stop_publishing_) drain_until_ = steady::now() + drain;
    stop_publishing_ = true;
  }
  wake_.notify_all();
  for (auto& d : desks_)
    if (d->thread.joinable()) d->thread.join();
}

void load::stop_consuming() {
  {
    std::lock_guard lock(wake_mutex_);
    stop_consuming_ = true;
  }
  wake_.notify_all();
  for (auto& r : readers_)
    if (r->thread.joinable()) r->thread.join();
}

bool load::pause_until(steady::time_point t, const std::atomic<bool>& flag) {
  std::unique_lock lock(wake_mutex_);
  wake_.wait_until(lock, t, [&] { return flag.load(); });
  return !flag.load();
}

bool load::wait_for_ack_after(steady::time_point t, std::chrono::milliseconds limit) {
  std::unique_lock lock(acks_mutex_);
  return ack_arrived_.wait_for(lock, limit, [&] { return acks_.load() > 0 && last_ack_ > t; });
}

bool load::received_all(const std::string& member, const std::vector<std::string>& keys) const {
  for (const auto& r : readers_) {
    if (r->member != member) continue;
    std::lock_guard lock(r->mutex);
    return std::all_of(keys.begin(), keys.end(),
                       [&](const auto& k) { return r->keys.contains(k); });
  }
  return keys.empty();
}

std::vector<alert_record> load::alerts() const {
  std::vector<alert_record> out;
  for (const auto& d : desks_) out.insert(out.end(), d->records.begin(), d->records.end());
  return out;
}

std::vector<delivery> load::deliveries() const {
  std::vector<delivery> out;
  for (const auto& r : readers_) {
    std::lock_guard lock(r->mutex);
    out.insert(out.end(), r->got.begin(), r->got.end());
  }
  return out;
}

std::vector<required_consumer> load::required() const {
  std::vector<required_consumer> out;
  for (const auto& r : readers_) out.push_back({r->label, r->member});
  return out;
}

void load::publish_loop(desk& d) {
  struct pending {
    std::size_t record;
    v1::Envelope envelope;
    steady::time_point not_before;  // back-off before a retry
    int tries = 0;
    steady::time_point sent;  // of the attempt in flight
  };
  const auto id = testing::identity(d.origin + "/desk");
  const auto key = crypto::ed25519_private_key::load_pem_file(id.signing_key_file);
  std::vector<std::string> others;
  for (const auto& c : codes_)
    if (c != d.origin) others.push_back(c);
  std::vector<std::string> groups;
  for (const auto& g : registry_.groups) groups.push_back(g.name);
  const double interval_s = static_cast<double>(codes_.size()) / options_.rate;
  std::exponential_distribution<double> gap(1.0 / interval_s);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  auto pick = [&](const std::vector<std::string>& from) { return from[d.rng() % from.size()]; };

  auto make = [&]() -> pending {
    v1::Alert a;
    a.set_id(client::new_uuid());
    a.set_origin(d.origin);
    std::size_t body = options_.body_bytes;
    double r = unit(d.rng);
    if (!options_.heavy_member.empty() && options_.heavy_member != d.origin && unit(d.rng) < 0.5) {
      a.add_recipients(options_.heavy_member);
      body = options_.heavy_body_bytes;
    } else if (r < 0.55 || groups.empty()) {
      a.add_recipients(pick(others));
    } else if (r < 0.80) {
      auto first = pick(others);
      auto second = pick(others);
      a.add_recipients(first);
      if (second != first) a.add_recipients(second);
    } else {
      // Groups, the largest (ALL) rarely: it fans out to every member.
      auto g = pick(groups);
      if (g == "ALL" && unit(d.rng) < 0.7) g = pick(groups);
      a.add_recipients(g);
    }
    a.set_kind(v1::KIND_INFORMATION);
    a.set_category(v1::CATEGORY_VEHICLE);
    a.set_priority(v1::PRIORITY_ROUTINE);
    if (options_.flash_share > 0 && unit(d.rng) < options_.flash_share) {
      a.set_priority(v1::PRIORITY_FLASH);
      a.set_read_within_seconds(options_.read_within_seconds);
    }
    a.set_tlp(v1::TLP_AMBER);
    a.set_restriction(v1::RESTRICTION_H1);
    a.mutable_evaluation()->set_source(v1::SOURCE_RELIABILITY_B);
    a.mutable_evaluation()->set_information(v1::INFORMATION_RELIABILITY_2);
    a.set_subject("fault-injection load from " + d.origin);
    a.set_body(std::string(body, 'x'));
    a.set_language("en");
    client::set_created_now(a);
    alert_record rec;
    rec.id = a.id();
    rec.origin = d.origin;
    rec.recipients =
        expand_recipients(registry_, d.origin, {a.recipients().begin(), a.recipients().end()});
    d.records.push_back(std::move(rec));
    return {d.records.size() - 1, client::sign_alert(a, key, id.key_id), steady::now(), 0, {}};
  };

  std::unique_ptr<client::native_client> conn;
  std::map<std::uint64_t, pending> in_flight;  // by correlation id
  std::deque<pending> waiting;                 // to send, or to send again after a back-off
  auto next_new = steady::now() + std::chrono::duration_cast<steady::duration>(
                                      std::chrono::duration<double>(gap(d.rng)));
  auto connect_backoff = 50ms;

  auto record = [&](const pending& p, answer a, int code) {
    d.records[p.record].attempts.push_back({p.sent, steady::now(), a, code});
  };
  // Every request in flight is now ambiguous; all go back to the queue.
  auto lose_connection = [&](answer why) {
    for (auto& [cid, p] : in_flight) {
      record(p, why, 0);
      p.not_before = steady::now() + 100ms;
      waiting.push_back(std::move(p));
    }
    in_flight.clear();
    conn.reset();
  };
  auto retry_later = [&](pending p) {
    ++p.tries;
    auto delay = std::min<ms>(ms(50) * (1 << std::min(p.tries, 5)), 1000ms);
    p.not_before = steady::now() + delay + ms(d.rng() % 50);
    waiting.push_back(std::move(p));
  };

  for (;;) {
    const bool stopping = stop_publishing_.load();
    if (stopping && in_flight.empty() && waiting.empty()) break;
    if (stopping && steady::now() >= drain_until_) {
      lose_connection(answer::timed_out);
      break;
    }
    try {
      if (!conn) {
        conn = std::make_unique<client::native_client>(
            id, client::connect_options{address_(), options_.connect_timeout, "faults-publisher"});
        connect_backoff = 50ms;
      }
      // Fill the window: retries that are due first, then a new alert when its time has come.
      auto now = steady::now();
      while (in_flight.size() < options_.window) {
        auto due = std::find_if(waiting.begin(), waiting.end(),
                                [&](const pending& p) { return p.not_before <= now; });
        pending p;
        if (due != waiting.end()) {
          p = std::move(*due);
          waiting.erase(due);
        } else if (!stopping && in_flight.size() + waiting.size() < options_.window &&
                   now >= next_new) {
          p = make();
          next_new = std::max(next_new, now - 1s) + std::chrono::duration_cast<steady::duration>(
                                                        std::chrono::duration<double>(gap(d.rng)));
        } else {
          break;
        }
        v1::Frame f;
        *f.mutable_publish()->mutable_envelope() = p.envelope;
        p.sent = steady::now();
        std::uint64_t cid = 0;
        try {
          cid = conn->send(std::move(f));
        } catch (const client::client_error&) {
          // Part of the frame may have left: as ambiguous as any request in flight.
          record(p, answer::connection_lost, 0);
          p.not_before = steady::now() + 100ms;
          waiting.push_back(std::move(p));
          throw;
        }
        in_flight.emplace(cid, std::move(p));
      }
      if (in_flight.empty()) {
        // Nothing to wait for but the next alert or retry.
        auto wake = now + 100ms;
        if (!stopping && waiting.size() < options_.window) wake = std::min(wake, next_new);
        for (const auto& p : waiting) wake = std::min(wake, p.not_before);
        pause_until(wake, stop_publishing_);
        continue;
      }
      // Wait for the next answer until the oldest request's deadline; a
      // timeout ends the connection (its requests become ambiguous).
      auto oldest = steady::time_point::max();
      for (const auto& [cid, p] : in_flight) oldest = std::min(oldest, p.sent);
      auto frame = conn->receive(std::max(until(oldest + options_.request_timeout), 1ms));
      if (!frame) {
        lose_connection(answer::timed_out);
        continue;
      }
      auto it = in_flight.find(frame->correlation_id());
      if (it != in_flight.end()) {
        auto p = std::move(it->second);
        in_flight.erase(it);
        if (frame->has_publish_result()) {
          record(p, answer::acknowledged, 0);
          d.records[p.record].ack_seq = frame->publish_result().seq();
          d.records[p.record].ack_duplicate = frame->publish_result().duplicate();
          {
            std::lock_guard lock(acks_mutex_);
            ++acks_;
            last_ack_ = steady::now();
          }
          ack_arrived_.notify_all();
        } else if (frame->has_error() && frame->error().code() == v1::UNAVAILABLE) {
          record(p, answer::unavailable, frame->error().code());
          retry_later(std::move(p));
        } else {
          int code = frame->has_error() ? frame->error().code() : -1;
          record(p, answer::failed, code);
          // Refusals that say "later" are retried with the same bytes.
          if (code == v1::RESOURCE_EXHAUSTED || code == v1::INTERNAL) retry_later(std::move(p));
        }
      } else if (frame->has_error() && frame->correlation_id() == 0) {
        // An error about the whole connection: it is about to close.
        lose_connection(answer::connection_lost);
      }
    } catch (const client::client_error&) {
      lose_connection(answer::connection_lost);
      pause_until(steady::now() + connect_backoff, stop_publishing_);
      connect_backoff = std::min<ms>(connect_backoff * 2, 1000ms);
    }
  }
}

void load::consume_loop(reader& r) {
  const auto id = testing::identity(r.member + "/desk");
  std::uint32_t connection = 0;
  auto backoff = 50ms;
  while (!stop_consuming_) {
    try {
      client::native_client conn(id, {address_(), options_.connect_timeout, "faults-consumer"});
      v1::Subscribe sub;
      sub.set_consumer(options_.consumer_name);
      sub.mutable_stored_cursor();
      auto reply = conn.subscribe(sub, options_.request_timeout);
      if (!reply.has_subscribed())
        throw client::client_error("subscribe refused: " + reply.DebugString());
      ++connection;
      backoff = 50ms;
      std::unordered_set<std::uint64_t> ack_ids;
      while (!stop_consuming_) {
        // A quiet connection is kept: a live path that stalls must show as
        // undelivered alerts, not be papered over by reconnecting.
        auto frame = conn.receive(200ms);
        if (!frame) continue;
        if (frame->has_deliver()) {
          const auto& dl = frame->deliver();
          v1::Alert a;
          a.ParseFromString(dl.envelope().payload());
          {
            std::lock_guard lock(r.mutex);
            r.got.push_back({r.label, connection, dl.seq(), a.id(), a.origin(), steady::now()});
            r.keys.insert(a.origin() + "/" + a.id());
          }
          v1::Frame ack;
          ack.mutable_ack()->set_consumer(options_.consumer_name);
          ack.mutable_ack()->set_up_to_seq(dl.seq());
          if (ack_ids.size() > 4096) ack_ids.clear();
          ack_ids.insert(conn.send(std::move(ack)));
        } else if (frame->has_error() && !ack_ids.contains(frame->correlation_id())) {
          // The consumer was ended (taken over, database lost): start again.
          break;
        }
        // A refused acknowledgement (e.g. UNAVAILABLE) only means redelivery later.
      }
    } catch (const client::client_error&) {
    }
    pause_until(steady::now() + backoff, stop_consuming_);
    backoff = std::min<ms>(backoff * 2, 1000ms);
  }
}

}  // namespace liaison::faults
