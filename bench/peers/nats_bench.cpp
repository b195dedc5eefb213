// nats_bench: the benchmark's workload against NATS JetStream (Debian's
// nats-server 2.9 with -js and file storage) through Debian's C client: one
// connection per publisher publishing asynchronously with acknowledgement
// (window of outstanding publishes), one durable push consumer per member
// (explicit acks, cumulative: AckAll) on its own connection.
// Durability note: NATS 2.9 acknowledges a publish once the message is in
// its file store's buffers; it syncs to disk every two minutes by default.
#include "common/report.hpp"
#include "peers/peer_run.hpp"

#include <nats/nats.h>
#include <CLI/CLI.hpp>

#include <iostream>

namespace {

using namespace liaison::bench;

struct consumer_ctx {
  peer_consumer_state* state;
  const run_clock* clock;
  std::size_t ack_every;
  std::size_t unacked = 0;
  steady::time_point last_ack{};
};

void on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto& c = *static_cast<consumer_ctx*>(closure);
  c.state->on_delivery(*c.clock,
                       peer_publish_time(natsMsg_GetData(msg),
                                         static_cast<std::size_t>(natsMsg_GetDataLength(msg))));
  const auto now = steady::now();
  if (++c.unacked >= c.ack_every || now - c.last_ack > std::chrono::milliseconds(100)) {
    natsMsg_Ack(msg, nullptr);  // AckAll: acknowledges every earlier message too
    c.unacked = 0;
    c.last_ack = now;
  }
  natsMsg_Destroy(msg);
}

struct publisher_ctx {
  peer_publisher_state* state;
  const run_clock* clock;
};

void on_pub_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
  auto& p = *static_cast<publisher_ctx*>(closure);
  const auto published =
      peer_publish_time(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
  p.state->on_answer(*p.clock, published, pa != nullptr && pae == nullptr,
                     pae && pae->ErrText ? pae->ErrText : "publish failed");
  natsMsg_Destroy(msg);
}

void check(natsStatus s, const std::string& what) {
  if (s != NATS_OK)
    throw std::runtime_error(what + ": " + natsStatus_GetText(s) + " " +
                             nats_GetLastError(nullptr));
}

natsConnection* connect(const std::string& url, const std::string& name) {
  natsOptions* opts = nullptr;
  check(natsOptions_Create(&opts), "options");
  natsOptions_SetURL(opts, url.c_str());
  natsOptions_SetName(opts, name.c_str());
  natsOptions_SetMaxPendingMsgs(opts, 1 << 20);
  natsConnection* nc = nullptr;
  check(natsConnection_Connect(&nc, opts), "connect to " + url);
  natsOptions_Destroy(opts);
  return nc;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nats_bench: the benchmark workload against NATS JetStream"};
  workload_options o;
  std::string url = "nats://127.0.0.1:4222";
  std::size_t ack_every = 256;
  add_workload_options(app, o);
  app.add_option("--url", url, "NATS server URL");
  app.add_option("--ack-every", ack_every,
                 "consumers acknowledge (AckAll) after this many messages");
  CLI11_PARSE(app, argc, argv);
  if (o.label.empty()) o.label = o.mode == loop_mode::closed ? "closed loop" : "open loop";

  try {
    const membership m = load_membership(o.members_file);
    const recipient_mix mix(o.mix, m);
    if (!mix.single_only())
      throw std::runtime_error("only --mix single is implemented for the peers");
    if (o.publishers == 0 || o.publishers > m.members.size())
      throw std::runtime_error("bad --publishers");

    // The stream: every alert subject, file storage, a fresh start.
    natsConnection* admin = connect(url, "bench-admin");
    jsCtx* admin_js = nullptr;
    check(natsConnection_JetStream(&admin_js, admin, nullptr), "JetStream");
    js_DeleteStream(admin_js, "BENCH", nullptr, nullptr);
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    sc.Name = "BENCH";
    const char* subjects[] = {"alerts.>"};
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    sc.Storage = js_FileStorage;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    check(js_AddStream(nullptr, admin_js, &sc, nullptr, &jerr), "add stream");

    peer_run run(o, m.members.size());
    std::vector<natsConnection*> connections;
    std::vector<jsCtx*> contexts;
    std::vector<natsSubscription*> subscriptions;
    std::vector<std::unique_ptr<consumer_ctx>> consumer_ctxs;
    for (std::size_t i = 0; i < m.members.size(); ++i) {
      natsConnection* nc = connect(url, "bench-consumer-" + m.members[i]);
      jsCtx* js = nullptr;
      check(natsConnection_JetStream(&js, nc, nullptr), "JetStream");
      const std::string durable = "bench-" + m.members[i];
      const std::string subject = "alerts." + m.members[i];
      jsSubOptions so;
      jsSubOptions_Init(&so);
      so.Config.Durable = durable.c_str();
      so.Config.AckPolicy = js_AckAll;
      so.Config.DeliverPolicy = js_DeliverNew;
      so.Config.MaxAckPending = 65536;
      so.ManualAck = true;
      consumer_ctxs.push_back(std::make_unique<consumer_ctx>(
          consumer_ctx{run.consumers[i].get(), &run.clock, ack_every}));
      natsSubscription* sub = nullptr;
      check(js_Subscribe(&sub, js, subject.c_str(), on_message, consumer_ctxs.back().get(), nullptr,
                         &so, &jerr),
            "subscribe " + durable);
      connections.push_back(nc);
      contexts.push_back(js);
      subscriptions.push_back(sub);
    }
    std::vector<jsCtx*> publisher_js;
    std::vector<std::unique_ptr<publisher_ctx>> publisher_ctxs;
    for (std::size_t i = 0; i < o.publishers; ++i) {
      natsConnection* nc = connect(url, "bench-publisher-" + m.members[i]);
      publisher_ctxs.push_back(
          std::make_unique<publisher_ctx>(publisher_ctx{run.publishers[i].get(), &run.clock}));
      jsOptions jo;
      jsOptions_Init(&jo);
      jo.PublishAsync.MaxPending =
          static_cast<int64_t>(o.mode == loop_mode::closed ? o.window + 1 : 1 << 20);
      jo.PublishAsync.AckHandler = on_pub_ack;
      jo.PublishAsync.AckHandlerClosure = publisher_ctxs.back().get();
      jsCtx* js = nullptr;
      check(natsConnection_JetStream(&js, nc, &jo), "JetStream");
      connections.push_back(nc);
      publisher_js.push_back(js);
    }

    auto result =
        run.run("nats-jetstream", [&](std::size_t p, std::uint64_t k, steady::time_point at) {
          const auto to = mix.pick(m.members[p], p, k).to.front();
          const std::string subject = "alerts." + to;
          const std::string payload = peer_payload(o.body_bytes, at);
          run.publishers[p]->on_sent();
          natsStatus s = js_PublishAsync(publisher_js[p], subject.c_str(), payload.data(),
                                         static_cast<int>(payload.size()), nullptr);
          if (s != NATS_OK)
            run.publishers[p]->on_answer(run.clock, at, false, natsStatus_GetText(s));
        });
    result.notes.push_back(
        "durability: NATS 2.9 acknowledges before fsync (file store synced every 2 min by "
        "default)");
    for (auto* s : subscriptions) natsSubscription_Destroy(s);
    for (auto* js : contexts) jsCtx_Destroy(js);
    for (auto* js : publisher_js) jsCtx_Destroy(js);
    for (auto* nc : connections) natsConnection_Destroy(nc);
    jsCtx_Destroy(admin_js);
    natsConnection_Destroy(admin);
    print_table(result);
    if (!o.json_file.empty()) write_json(result, o.json_file);
    return result.complete() ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "nats_bench: " << e.what() << "\n";
    return 2;
  }
}
