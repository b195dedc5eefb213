#!/usr/bin/env python3
"""Puts the JSON results of one bench/run.sh run side by side (Markdown).

Usage: bench/compare.py OUT_DIR          print the tables
       bench/compare.py --check OUT_DIR  exit 1 unless every run is complete
"""
import json
import os
import sys

SYSTEMS = [("liaison", "Liaison"), ("nats", "NATS JetStream"), ("mosquitto", "Mosquitto")]


def load(out, name):
    path = os.path.join(out, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def fmt(v, digits=0):
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return f"{v:,}"


def ratio(a, b, higher_is_better=True):
    if a is None or b is None or not b or not a:
        return "–"
    return f"{a / b:.2f}×"


def metrics(r):
    if r is None:
        return {}
    cpu = r.get("server_cpu_s_per_1000") or None
    return {
        "acked alerts/s": (r["acked_per_s"], 0),
        "delivered alerts/s": (r["delivered_per_s"], 0),
        "publish→ack p50 ms": (r["ack_latency"]["p50_us"] / 1000, 3),
        "publish→ack p90 ms": (r["ack_latency"]["p90_us"] / 1000, 3),
        "publish→ack p99 ms": (r["ack_latency"]["p99_us"] / 1000, 3),
        "publish→ack p99.9 ms": (r["ack_latency"]["p999_us"] / 1000, 3),
        "publish→ack max ms": (r["ack_latency"]["max_us"] / 1000, 3),
        "publish→deliver p50 ms": (r["deliver_latency"]["p50_us"] / 1000, 3),
        "publish→deliver p90 ms": (r["deliver_latency"]["p90_us"] / 1000, 3),
        "publish→deliver p99 ms": (r["deliver_latency"]["p99_us"] / 1000, 3),
        "publish→deliver p99.9 ms": (r["deliver_latency"]["p999_us"] / 1000, 3),
        "publish→deliver max ms": (r["deliver_latency"]["max_us"] / 1000, 3),
        "server CPU s / 1,000 alerts": (cpu, 3),
        "PostgreSQL CPU µs / alert": (r["pg_cpu_seconds"] * 1e6 / (r["acked_per_s"] * r["window_seconds"])
                                      if r.get("pg_cpu_seconds") and r["acked_per_s"] else None, 0),
        "load generator CPU µs / alert": (r["loadgen_cpu_seconds"] * 1e6 / (r["acked_per_s"] * r["window_seconds"])
                                          if r.get("loadgen_cpu_seconds") and r["acked_per_s"] else None, 0),
        "server peak RSS MiB": (r["server_peak_rss_kb"] / 1024 if r["server_peak_rss_kb"] else None, 1),
        "PostgreSQL rows/s": (r.get("db_rows_per_s") or None, 0),
        "complete (all acked, all delivered)": ("yes" if r["complete"] else "NO", 0),
    }


def table(out, mode):
    runs = {key: load(out, f"{key}-{mode}") for key, _ in SYSTEMS}
    if not any(runs.values()):
        return []
    first = next(r for r in runs.values() if r)
    head = (f"### {mode} loop: {first['publishers']} publishers, {first['consumers']} consumers, "
            f"body {first['body_bytes']} B, " +
            (f"window {first['window']}" if mode == "closed" else f"{first['rate']:.0f} alerts/s") +
            f", {first['window_seconds']:.1f} s measured")
    lines = [head, "", "| | " + " | ".join(n for _, n in SYSTEMS) + " | Liaison/NATS | Liaison/Mosquitto |",
             "|---|" + "---:|" * (len(SYSTEMS) + 2)]
    m = {key: metrics(r) for key, r in runs.items()}
    for name in metrics(first):
        cells = []
        for key, _ in SYSTEMS:
            v = m[key].get(name)
            cells.append("–" if v is None else (v[0] if isinstance(v[0], str) else fmt(v[0], v[1])))
        lv = m["liaison"].get(name, (None,))[0]
        nv = m["nats"].get(name, (None,))[0]
        mv = m["mosquitto"].get(name, (None,))[0]
        numeric = all(not isinstance(x, str) for x in (lv, nv, mv))
        lines.append(f"| {name} | " + " | ".join(cells) + " | " +
                     (ratio(lv, nv) if numeric else "–") + " | " + (ratio(lv, mv) if numeric else "–") + " |")
    mix = runs["liaison"]["mix"] if runs["liaison"] else "single"
    lines += ["", f"Liaison's recipient mix: {mix}; the peers publish each alert to one member's subject/topic."]
    return lines


def goals(out):
    closed, opened = load(out, "liaison-closed"), load(out, "liaison-open")
    nats = load(out, "nats-closed")
    mosq = load(out, "mosquitto-closed")
    ed = load(out, "ed25519")
    soak = load(out, "liaison-soak")
    rows = ["### Goals of issue 6", "", "| goal | measured | met |", "|---|---|---|"]

    def add(goal, measured, ok):
        rows.append(f"| {goal} | {measured} | {'yes' if ok else 'no' if ok is not None else 'not measured'} |")

    if closed:
        add("≥ 10,000 acked, signed, committed alerts/s (27 publishers), each delivered",
            f"{closed['acked_per_s']:,.0f} acked/s, {closed['delivered_per_s']:,.0f} delivered/s",
            closed["acked_per_s"] >= 10000 and closed["complete"])
    if closed and nats:
        add("≥ ½ of NATS JetStream's throughput", f"{closed['acked_per_s'] / nats['acked_per_s']:.2f}× NATS",
            closed["acked_per_s"] >= nats["acked_per_s"] / 2)
    if closed and mosq:
        add("well ahead of durable Mosquitto", f"{closed['acked_per_s'] / mosq['acked_per_s']:.2f}× Mosquitto",
            closed["acked_per_s"] > mosq["acked_per_s"])
    if opened:
        a, d = opened["ack_latency"]["p99_us"] / 1000, opened["deliver_latency"]["p99_us"] / 1000
        add(f"open loop {opened['rate']:.0f}/s: p99 publish→ack ≤ 2 ms", f"{a:.3f} ms", a <= 2)
        add(f"open loop {opened['rate']:.0f}/s: p99 publish→deliver ≤ 3 ms", f"{d:.3f} ms", d <= 3)
    if closed and ed and closed.get("server_cpu_s_per_1000"):
        per_alert = closed["server_cpu_s_per_1000"] * 1000
        add("server CPU per alert ≤ 2× one Ed25519 verification",
            f"{per_alert:.1f} µs vs 2 × {ed['verify_cpu_us']:.1f} µs", per_alert <= 2 * ed["verify_cpu_us"])
    if soak:
        add(f"flat memory ({soak['duration_s']:.0f} s closed loop)",
            f"RSS {soak['server_rss_start_kb'] / 1024:.0f} → {soak['server_rss_end_kb'] / 1024:.0f} MiB, "
            f"peak {soak['server_peak_rss_kb'] / 1024:.0f} MiB", None)
    return rows


def ceilings(out):
    ed, pq, closed = load(out, "ed25519"), load(out, "pq_ceiling"), load(out, "liaison-closed")
    lines = ["### Ceilings of this machine", ""]
    if ed:
        lines.append(f"- Ed25519 (liaison::crypto, one core, {ed['payload_bytes']}-byte payload): sign "
                     f"{ed['sign_per_s']:,.0f}/s ({ed['sign_cpu_us']:.1f} µs CPU), verify {ed['verify_per_s']:,.0f}/s "
                     f"({ed['verify_cpu_us']:.1f} µs CPU)")
    if pq:
        lines.append(f"- plain batched libpqxx writer ({pq['method']}, batch {pq['batch']}, {pq['recipients']} recipient, "
                     f"synchronous_commit on): {pq['alerts_per_s']:,.0f} alerts/s, {pq['rows_per_s']:,.0f} rows/s")
        if closed:
            lines.append(f"- Liaison's closed loop reaches {closed['acked_per_s'] / pq['alerts_per_s']:.0%} of the "
                         f"database-only ceiling")
    return lines


def main(argv):
    check = "--check" in argv
    out = [a for a in argv if a != "--check"][0]
    if check:
        bad = []
        for name in sorted(os.listdir(out)):
            if name.endswith(".json") and name not in ("ed25519.json", "pq_ceiling.json",
                                                        "rapid.json"):
                if not load(out, name[:-5]).get("complete"):
                    bad.append(name)
        if bad:
            print("incomplete runs: " + ", ".join(bad))
            return 1
        print("every run complete")
        return 0
    lines = []
    if os.path.exists(os.path.join(out, "machine.txt")):
        lines += [open(os.path.join(out, "machine.txt")).read().strip(), ""]
    for mode in ("closed", "open"):
        t = table(out, mode)
        if t:
            lines += t + [""]
    soak = load(out, "liaison-soak")
    if soak:
        lines += [f"Soak: {soak['acked_per_s']:,.0f} acked/s over {soak['window_seconds']:.0f} s; RSS trace (s, MiB): " +
                  ", ".join(f"{t:.0f}:{kb / 1024:.0f}" for t, kb in soak["server_rss_trace"][::30]), ""]
    lines += ceilings(out) + [""] + goals(out) + [""]
    lines += ["Durability: Liaison acknowledges after a PostgreSQL commit with synchronous_commit on (WAL fsynced). "
              "NATS 2.9 (Debian) acknowledges once the message is in its file store, which is synced every two "
              "minutes by default and cannot be set to sync each write in this version. Mosquitto (QoS 1, "
              "persistence true, autosave_on_changes true, autosave_interval 1) sends PUBACK while handling the "
              "packet and rewrites and fsyncs its whole database at the end of that main-loop pass: acknowledged "
              "just before the disk write, and the write's cost grows with the queued messages."]
    for name in ("nats-skipped.txt", "mosquitto-skipped.txt"):
        p = os.path.join(out, name)
        if os.path.exists(p):
            lines.append("- " + open(p).read().strip())
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
