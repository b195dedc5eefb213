#!/usr/bin/python3
"""An auditor's independent check of liaisond's Merkle tree, written from RFC
9162 with nothing but Python's standard library (hashlib, http.client): it
recomputes every leaf from the audit rows the server exports (the canonical
encoding of server/audit/chain.hpp, implemented again here), every tree root
from those leaves (MTH, RFC 9162 2.1.1), and verifies the server's inclusion
and consistency proofs with the RFC's algorithms (2.1.3.2 and 2.1.4.2) for
every tree size from 1 to the tree's size (at least --min-size).

  rfc9162_check.py --ca CA --cert C --key K --address HOST:PORT
      [--min-size 200] [--warm-up N]

Prints one JSON object (the counts and any failures); exits 0 when every
check passed, 1 otherwise.
"""

import argparse
import base64
import hashlib
import http.client
import json
import random
import ssl
import struct
import sys
import time
import urllib.parse

JUSTIFICATION = "independent RFC 9162 check (tests/e2e/rfc9162_check.py)"


class server:
    def __init__(self, args):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.load_verify_locations(args.ca)
        ctx.load_cert_chain(args.cert, args.key)
        host, port = args.address.rsplit(":", 1)
        self.conn = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=60)

    def get(self, path, **params):
        target = path + ("?" + urllib.parse.urlencode(params) if params else "")
        self.conn.request("GET", target, headers={"Liaison-Justification": JUSTIFICATION})
        response = self.conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {target}: {response.status} {body[:300]!r}")
        return body


def sha256(data):
    return hashlib.sha256(data).digest()


def canonical_bytes(entry):
    out = b"liaison.audit.v1\x00" + struct.pack(">Qq", entry["id"], entry["at_us"])
    for field in ("actor", "actor_member", "action", "subject", "outcome", "detail"):
        data = entry[field].encode("utf-8")
        out += struct.pack(">I", len(data)) + data
    return out


def leaf_hash(entry):
    return sha256(b"\x00" + canonical_bytes(entry))


def node_hash(left, right):
    return sha256(b"\x01" + left + right)


class tree:
    """MTH(D[n]) of RFC 9162 2.1.1, memoised by range."""

    def __init__(self, leaves):
        self.leaves = leaves
        self.memo = {}

    def mth(self, begin, end):
        n = end - begin
        if n == 0:
            return sha256(b"")
        if n == 1:
            return self.leaves[begin]
        key = (begin, end)
        if key not in self.memo:
            k = 1
            while k * 2 < n:
                k *= 2
            self.memo[key] = node_hash(self.mth(begin, begin + k), self.mth(begin + k, end))
        return self.memo[key]


def verify_inclusion(leaf_index, tree_size, leaf, inclusion_path, root_hash):
    """RFC 9162 2.1.3.2."""
    if leaf_index >= tree_size:
        return False
    fn, sn, r = leaf_index, tree_size - 1, leaf
    for p in inclusion_path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root_hash


def verify_consistency(first, second, first_hash, second_hash, consistency_path):
    """RFC 9162 2.1.4.2 (first == second: an empty proof and equal roots)."""
    if first == second:
        return not consistency_path and first_hash == second_hash
    if not consistency_path or first == 0 or first > second:
        return False
    path = list(consistency_path)
    if first & (first - 1) == 0:
        path.insert(0, first_hash)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0


def b64(text):
    return base64.b64decode(text, validate=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ca", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--address", required=True)
    parser.add_argument("--min-size", type=int, default=200)
    parser.add_argument("--warm-up", type=int, default=0)
    args = parser.parse_args()
    s = server(args)
    failures = []

    # Each auditor request is an audit row: enough requests make a big tree.
    for _ in range(args.warm_up):
        s.get("/v1/audit/tree-heads", limit=1)
    deadline = time.monotonic() + 60
    while True:
        heads = json.loads(s.get("/v1/audit/tree-heads", limit=1000))
        if heads["tree_size"] >= args.min_size or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    size = heads["tree_size"]
    if size < args.min_size:
        failures.append(f"the tree has {size} entries, fewer than {args.min_size}")

    # Every leaf, recomputed from the exported rows.
    rows = [json.loads(line) for line in s.get("/v1/audit", format="ndjson").splitlines() if line]
    if [r["id"] for r in rows[:size]] != list(range(1, size + 1)):
        failures.append("the exported audit rows are not 1..tree_size")
    t = tree([leaf_hash(r) for r in rows[:size]])

    heads_checked = 0
    for h in heads["heads"]:
        if h["tree_size"] <= size:
            heads_checked += 1
            if b64(h["sha256_root_hash"]) != t.mth(0, h["tree_size"]):
                failures.append(f"head {h['id']}: the root of {h['tree_size']} entries differs")

    rng = random.Random(9162)
    inclusions = consistencies = 0
    for n in range(1, size + 1):
        root = t.mth(0, n)
        for index in sorted({0, n - 1, n // 2, rng.randrange(n)}):
            proof = json.loads(s.get("/v1/audit/proof/inclusion", index=index, tree_size=n))
            path = [b64(h) for h in proof["audit_path"]]
            leaf = leaf_hash(proof["entry"])
            if leaf != t.leaves[index] or b64(proof["leaf_hash"]) != leaf:
                failures.append(f"inclusion {index}/{n}: the leaf differs from the exported row")
            if not verify_inclusion(index, n, leaf, path, root):
                failures.append(f"inclusion {index}/{n}: the proof does not verify")
            if verify_inclusion(index, n, sha256(b"forged"), path, root):
                failures.append(f"inclusion {index}/{n}: a forged leaf verifies")
            inclusions += 1
        for m in sorted({1, max(1, n // 2), max(1, n - 1), n, rng.randrange(1, n + 1)}):
            proof = json.loads(s.get("/v1/audit/proof/consistency", first=m, second=n))
            path = [b64(h) for h in proof["consistency"]]
            if not verify_consistency(m, n, t.mth(0, m), root, path):
                failures.append(f"consistency {m}->{n}: the proof does not verify")
            if m < n and verify_consistency(m, n, sha256(b"forged"), root, path):
                failures.append(f"consistency {m}->{n}: a forged old root verifies")
            consistencies += 1

    print(json.dumps({"tree_size": size, "heads_checked": heads_checked, "inclusion_checked": inclusions,
                      "consistency_checked": consistencies, "failures": failures[:50]}))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
