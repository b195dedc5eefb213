"""docs/openapi.yaml kept in step with the server.

- The routes the C++ sources register (router.add calls under server/, and
  the path http_session.cpp hands to the WebSocket stream) are exactly the
  documented operations.
- Every documented operation, called on a live liaisond with a principal of
  a documented role and valid values, answers its success status with a
  documented media type; without a certificate 401, with another role 403,
  with a malformed query 400; each of those statuses is documented, and
  every error body has the documented shape.
- An undocumented path answers 404, an undocumented method on a documented
  path 405 with an Allow header naming the documented methods.
"""

import asyncio
import base64
import json
import re
import unittest

import websockets
import yaml

import liaison_client as lc
from live_server import REPO, LiveServer, eventually

DOC = REPO / "docs" / "openapi.yaml"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
# The identity folder of `liaison pki init` that acts in each role.
IDENTITY_OF_ROLE = {"desk": "AT/desk", "partner": "partner-HU", "auditor": "auditor",
                    "admin": "ops", "coordinator": "TF.coordination"}

server = None
doc = None


def setUpModule():
    global server, doc
    with open(DOC) as f:
        doc = yaml.safe_load(f)
    server = LiveServer().start()


def tearDownModule():
    server.stop()


def operations():
    """(path, METHOD, operation) of every documented operation."""
    return [(path, method.upper(), op) for path, item in doc["paths"].items()
            for method, op in item.items() if method in HTTP_METHODS]


def deref(node):
    """Follows a local $ref ("#/components/...") to what it names."""
    while isinstance(node, dict) and "$ref" in node:
        target = doc
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def documented(op, status):
    return str(status) in op["responses"]


def media_types(op, status):
    return set(deref(op["responses"][str(status)]).get("content", {}))


def registered_routes():
    """{(METHOD, pattern)} the router registers, and {(METHOD, path)} of the
    WebSocket upgrade, read from the C++ sources. Fails on a router.add call
    of a shape it cannot read, so that a new one is never missed silently."""
    routes = set()
    for source in sorted((REPO / "server").rglob("*.[ch]pp")):
        text = source.read_text()
        calls = text.count("router.add(")
        found = 0
        for m in re.finditer(r'router\.add\(\s*"([A-Z]+)"\s*,\s*(?:"([^"]+)"|(\w+))\s*,', text):
            found += 1
            method, literal, variable = m.groups()
            if literal:
                routes.add((method, literal))
                continue
            # add("GET", path, ...) in a loop over a table of {"/path", handler}.
            table = re.findall(r'\{\s*"(/[^"]*)"\s*,\s*\w+\s*\}', text)
            if not table:
                raise AssertionError(f"{source}: router.add with path variable '{variable}' but "
                                     "no table of {\"/path\", handler} entries to read")
            routes.update((method, path) for path in table)
        if found != calls:
            raise AssertionError(f"{source}: {calls - found} router.add call(s) this test cannot "
                                 "read; teach registered_routes() their shape")
    session = (REPO / "server" / "net" / "http_session.cpp").read_text()
    upgrades = set(re.findall(r'is_upgrade\([^;{]*?path\s*==\s*"([^"]+)"', session, re.S))
    if not upgrades:
        raise AssertionError("http_session.cpp: no WebSocket upgrade path found")
    return routes, {("GET", path) for path in upgrades}


def client(role=None):
    """A client acting in `role`, or without a client certificate (None)."""
    if role is None:
        return lc.Client(server.https, ca=str(server.pki / "auditor" / "ca.pem"))
    return lc.Client(server.https, server.identity(IDENTITY_OF_ROLE[role]))


class RoutesTest(unittest.TestCase):
    def test_registered_routes_are_the_documented_operations(self):
        routes, upgrades = registered_routes()
        http_ops = {(m, p) for p, m, op in operations() if not op.get("x-liaison-websocket")}
        ws_ops = {(m, p) for p, m, op in operations() if op.get("x-liaison-websocket")}
        self.assertEqual(sorted(routes - http_ops), [], "registered but not documented")
        self.assertEqual(sorted(http_ops - routes), [], "documented but not registered")
        self.assertEqual(ws_ops, upgrades)

    def test_every_operation_names_its_roles_and_documents_its_refusals(self):
        for path, method, op in operations():
            with self.subTest(f"{method} {path}"):
                roles = op["x-liaison-roles"]
                self.assertTrue(set(roles) <= set(IDENTITY_OF_ROLE), roles)
                if roles:
                    self.assertTrue(documented(op, 401) and documented(op, 403))
                for status in (400, 408, 413, 431):
                    self.assertTrue(documented(op, status), status)


    def test_every_reference_resolves_and_every_response_is_described(self):
        def refs(node):
            if isinstance(node, dict):
                if "$ref" in node:
                    yield node["$ref"]
                for value in node.values():
                    yield from refs(value)
            elif isinstance(node, list):
                for value in node:
                    yield from refs(value)

        for ref in refs(doc):
            with self.subTest(ref):
                self.assertTrue(ref.startswith("#/components/"))
                deref({"$ref": ref})  # a KeyError fails the test
        for path, method, op in operations():
            for status, response in op["responses"].items():
                self.assertTrue(deref(response).get("description"), f"{method} {path} {status}")


class LiveTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        at = lc.Client(server.https, server.identity("AT/desk"))
        cls.alert_id = at.publish("HU", "for the OpenAPI test").id
        # The proofs' examples need a tree of at least one leaf.
        auditor = client("auditor")
        grown = eventually(lambda: auditor.get("/v1/audit/tree-heads", justification="openapi test")
                           ["tree_size"] >= 1)
        assert grown, "the audit tree did not grow"

    def request_for(self, path, op, extra_query=None):
        """Path and query with every required parameter set from the
        document's examples (the justification on auditors' routes)."""
        params = []
        for p in map(deref, op.get("parameters", [])):
            if p["in"] == "path":
                path = path.replace("{" + p["name"] + "}", self.alert_id)
            elif p["in"] == "query" and (p.get("required") or p["name"] == "justification"):
                params.append((p["name"], p["schema"]["example"]))
        return path, params + (extra_query or [])

    def call(self, role, method, path, params=None, body=None, headers=None):
        return client(role).request(method, path, params=params, body=body, headers=headers)

    def check(self, op, response, expected=None):
        self.assertTrue(documented(op, response.status),
                        f"{response.status} is not documented: {response.body[:300]!r}")
        if expected is not None:
            self.assertEqual(response.status, expected, response.body[:300])
        content_type = response.headers.get("content-type")
        self.assertIn(content_type, media_types(op, response.status))
        if response.status >= 400 and content_type == "application/json":
            error = response.json()
            codes = deref(doc["components"]["schemas"]["Error"])["properties"]["code"]["enum"]
            self.assertEqual(set(error), {"code", "message"})
            self.assertIn(error["code"], codes)

    def test_each_operation_answers_as_documented(self):
        for path, method, op in operations():
            if op.get("x-liaison-websocket"):
                continue
            with self.subTest(f"{method} {path}"):
                roles = op["x-liaison-roles"]
                target, params = self.request_for(path, op)
                body, headers = None, None
                if method == "POST":
                    envelope = client("desk").sign(lc.build_alert("AT", ["HU"], "openapi"))
                    body = json.dumps({"payload": base64.b64encode(envelope.payload).decode(),
                                       "signature": base64.b64encode(envelope.signature).decode(),
                                       "keyId": envelope.key_id})
                    headers = {"Content-Type": "application/json"}
                # The first 2xx listed answers a valid request (201 before 200 on publish).
                success = next(s for s in op["responses"] if s.startswith("2"))

                # The right principal with valid values.
                r = self.call(roles[0] if roles else None, method, target, params, body, headers)
                self.check(op, r, int(success))
                # A malformed query.
                r = self.call(roles[0] if roles else None, method, target + "?x=%zz")
                self.check(op, r, 400)
                if roles:
                    # No client certificate, then a principal of another role.
                    self.check(op, self.call(None, method, target, params, body, headers), 401)
                    other = next(role for role in IDENTITY_OF_ROLE if role not in roles)
                    self.check(op, self.call(other, method, target, params, body, headers), 403)

    def test_auditor_routes_refuse_unknown_parameters_and_a_missing_justification(self):
        for path, method, op in operations():
            if op["x-liaison-roles"] != ["auditor"]:
                continue
            with self.subTest(f"{method} {path}"):
                target, params = self.request_for(path, op)
                self.check(op, self.call("auditor", method, target, params + [("bogus", "1")]),
                           400)
                without = [(k, v) for k, v in params if k != "justification"]
                self.check(op, self.call("auditor", method, target, without), 400)

    def test_exports_use_the_documented_media_types(self):
        for path in ("/v1/alerts", "/v1/audit"):
            op = doc["paths"][path]["get"]
            for fmt in ("ndjson", "csv"):
                with self.subTest(f"{path} {fmt}"):
                    r = self.call("auditor", "GET", path,
                                  [("justification", "openapi test"), ("format", fmt)])
                    self.check(op, r, 200)

    def test_the_stream_upgrade_answers_as_documented(self):
        path = next(p for p, m, op in operations() if op.get("x-liaison-websocket"))
        op = doc["paths"][path]["get"]

        async def upgrade(role, subprotocol="liaison.v1.proto"):
            try:
                async with websockets.connect(f"wss://{server.https}{path}",
                                              ssl=client(role).tls, subprotocols=[subprotocol],
                                              open_timeout=10):
                    return 101
            except websockets.InvalidStatusCode as refused:
                return refused.status_code

        for role in op["x-liaison-roles"]:
            self.assertEqual(asyncio.run(upgrade(role)), 101)
            self.assertTrue(documented(op, 101))
        for role, expected in ((None, 401), ("auditor", 403), ("admin", 403)):
            status = asyncio.run(upgrade(role))
            self.assertEqual(status, expected, role)
            self.assertTrue(documented(op, status))
        status = asyncio.run(upgrade("partner", "chat"))
        self.assertEqual(status, 400)
        self.assertTrue(documented(op, status))
        # Without the upgrade, the path is unknown.
        self.check(op, self.call("partner", "GET", path), 404)

    def test_undocumented_paths_and_methods_are_refused(self):
        for path in ("/", "/v1", "/v1/undocumented", "/v1/alerts/x/y", "/healthz/more"):
            with self.subTest(path):
                r = self.call("auditor", "GET", path)
                self.assertEqual(r.status, 404)
                self.assertEqual(r.json()["code"], "NOT_FOUND")
        for path, item in doc["paths"].items():
            methods = {m.upper() for m in item if m in HTTP_METHODS}
            websocket = any(op.get("x-liaison-websocket") for m, op in item.items()
                            if m in HTTP_METHODS)
            with self.subTest(path):
                r = self.call("auditor", "DELETE", path.replace("{id}", self.alert_id))
                if websocket:
                    self.assertEqual(r.status, 404)
                else:
                    self.assertEqual(r.status, 405)
                    self.assertEqual(set(r.headers["allow"].split(", ")), methods)


if __name__ == "__main__":
    unittest.main()
