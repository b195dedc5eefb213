// mqtt_bench: the benchmark's workload against Mosquitto (Debian's 2.0) with
// QoS 1 through Debian's C client: one client per publisher keeping a window
// of unacknowledged PUBLISHes, one persistent session (clean_session false,
// a durable subscription) per member. bench/run.sh configures the broker to
// write its persistence file after every change (persistence true,
// autosave_on_changes true, autosave_interval 1).
#include "common/report.hpp"
#include "peers/peer_run.hpp"

#include <mosquitto.h>
#include <CLI/CLI.hpp>

#include <iostream>
#include <map>

namespace {

using namespace liaison::bench;

struct publisher_ctx {
  peer_publisher_state* state;
  const run_clock* clock;
  std::mutex mutex;
  std::map<int, steady::time_point> in_flight;  // mid -> publish time
};

void on_publish(mosquitto*, void* closure, int mid) {
  auto& p = *static_cast<publisher_ctx*>(closure);
  steady::time_point at;
  {
    std::lock_guard lock(p.mutex);
    auto it = p.in_flight.find(mid);
    if (it == p.in_flight.end()) return;
    at = it->second;
    p.in_flight.erase(it);
  }
  p.state->on_answer(*p.clock, at, true);
}

struct consumer_ctx {
  peer_consumer_state* state;
  const run_clock* clock;
};

void on_message(mosquitto*, void* closure, const mosquitto_message* msg) {
  auto& c = *static_cast<consumer_ctx*>(closure);
  c.state->on_delivery(*c.clock,
                       peer_publish_time(msg->payload, static_cast<std::size_t>(msg->payloadlen)));
}

mosquitto* connect(const std::string& id, bool clean, void* closure, const std::string& host,
                   int port, std::size_t inflight) {
  mosquitto* m = mosquitto_new(id.c_str(), clean, closure);
  if (!m) throw std::runtime_error("mosquitto_new failed");
  mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_max_inflight_messages_set(m, static_cast<unsigned>(inflight));
  if (mosquitto_connect(m, host.c_str(), port, 60) != MOSQ_ERR_SUCCESS)
    throw std::runtime_error("cannot connect to mosquitto at " + host + ":" + std::to_string(port));
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mqtt_bench: the benchmark workload against Mosquitto (QoS 1)"};
  workload_options o;
  std::string host = "127.0.0.1";
  int port = 1883;
  add_workload_options(app, o);
  app.add_option("--host", host, "broker host");
  app.add_option("--port", port, "broker port");
  CLI11_PARSE(app, argc, argv);
  if (o.label.empty()) o.label = o.mode == loop_mode::closed ? "closed loop" : "open loop";

  mosquitto_lib_init();
  try {
    const membership m = load_membership(o.members_file);
    const recipient_mix mix(o.mix, m);
    if (!mix.single_only())
      throw std::runtime_error("only --mix single is implemented for the peers");
    if (o.publishers == 0 || o.publishers > m.members.size())
      throw std::runtime_error("bad --publishers");

    peer_run run(o, m.members.size());
    std::vector<mosquitto*> clients;
    std::vector<std::unique_ptr<consumer_ctx>> consumer_ctxs;
    for (std::size_t i = 0; i < m.members.size(); ++i) {
      consumer_ctxs.push_back(
          std::make_unique<consumer_ctx>(consumer_ctx{run.consumers[i].get(), &run.clock}));
      mosquitto* c = connect("bench-consumer-" + m.members[i], false, consumer_ctxs.back().get(),
                             host, port, 0);
      mosquitto_message_callback_set(c, on_message);
      const std::string topic = "alerts/" + m.members[i];
      if (mosquitto_subscribe(c, nullptr, topic.c_str(), 1) != MOSQ_ERR_SUCCESS)
        throw std::runtime_error("subscribe " + topic + " failed");
      mosquitto_loop_start(c);
      clients.push_back(c);
    }
    std::vector<mosquitto*> pubs;
    std::vector<std::unique_ptr<publisher_ctx>> publisher_ctxs;
    for (std::size_t i = 0; i < o.publishers; ++i) {
      auto ctx = std::make_unique<publisher_ctx>();
      ctx->state = run.publishers[i].get();
      ctx->clock = &run.clock;
      mosquitto* c = connect("bench-publisher-" + m.members[i], true, ctx.get(), host, port,
                             o.mode == loop_mode::closed ? o.window : 0);
      mosquitto_publish_callback_set(c, on_publish);
      mosquitto_loop_start(c);
      pubs.push_back(c);
      publisher_ctxs.push_back(std::move(ctx));
    }
    // Let the subscriptions settle before the first publish.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));

    auto result = run.run("mosquitto", [&](std::size_t p, std::uint64_t k, steady::time_point at) {
      const std::string topic = "alerts/" + mix.pick(m.members[p], p, k).to.front();
      const std::string payload = peer_payload(o.body_bytes, at);
      auto& ctx = *publisher_ctxs[p];
      run.publishers[p]->on_sent();
      // The mid is known only after the call, and the PUBACK may come first:
      // hold the context's lock across it.
      std::lock_guard lock(ctx.mutex);
      int mid = 0;
      int rc = mosquitto_publish(pubs[p], &mid, topic.c_str(), static_cast<int>(payload.size()),
                                 payload.data(), 1, false);
      if (rc != MOSQ_ERR_SUCCESS) {
        run.publishers[p]->on_answer(run.clock, at, false, mosquitto_strerror(rc));
        return;
      }
      ctx.in_flight[mid] = at;
    });
    result.notes.push_back(
        "durability: QoS 1; the broker rewrites and fsyncs its whole persistence file after each "
        "loop iteration "
        "with changes, after sending that iteration's PUBACKs");
    for (auto* c : pubs) {
      mosquitto_disconnect(c);
      mosquitto_loop_stop(c, false);
      mosquitto_destroy(c);
    }
    for (auto* c : clients) {
      mosquitto_disconnect(c);
      mosquitto_loop_stop(c, false);
      mosquitto_destroy(c);
    }
    print_table(result);
    if (!o.json_file.empty()) write_json(result, o.json_file);
    mosquitto_lib_cleanup();
    return result.complete() ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "mqtt_bench: " << e.what() << "\n";
    mosquitto_lib_cleanup();
    return 2;
  }
}
