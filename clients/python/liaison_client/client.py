"""The client: who we are (an identity folder or explicit files), and the
server's HTTPS listener, which serves the stream, publishing and history."""

import base64
import dataclasses
import datetime
import json
import logging
import random
import time

from . import https
from .alerts import build_alert
from .errors import LiaisonError
from .identity import load_identity
from .signing import load_signing_key, sign
from .stream import PROTO, Stream

log = logging.getLogger("liaison_client")


@dataclasses.dataclass(frozen=True)
class PublishResult:
    id: str  # the alert id
    seq: int  # its place in the log
    received_at: datetime.datetime  # when the server committed it (UTC)
    duplicate: bool  # True: this id was already committed with these bytes (a retry)
    left_out: list  # (member, reason): members a named group did not reach, and why


def _parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


class Client:
    """A principal talking to one Liaison server's HTTPS listener.

    server: "HOST:PORT" of the HTTPS listener (8443 in the demo).
    identity: an identity folder made by `liaison pki init` (the CLI's --id),
        e.g. ".liaison/pki/partner-HU"; it supplies every file below.
    cert, key, ca: the client certificate, its key and the task force CA (PEM
        files); given, they override the identity's.
    signing_key, key_id, member: a desk's Ed25519 signing key (PEM file), its
        key id ("AT-1") and the member it publishes as ("AT"); needed only to
        publish.
    timeout: seconds for each HTTPS request and each step of opening a stream.
    """

    def __init__(self, server, identity=None, *, cert=None, key=None, ca=None, signing_key=None,
                 key_id=None, member=None, timeout=10.0):
        self.identity = load_identity(identity) if identity is not None else None
        ident = self.identity
        self.server = server
        self.member = member or (ident.member if ident else "")
        self.key_id = key_id or (ident.key_id if ident else "")
        self.timeout = timeout
        cert = cert or (ident.cert_file if ident else None)
        key = key or (ident.key_file if ident else None)
        ca = ca or (ident.ca_file if ident else None)
        if not ca:
            raise ValueError("give an identity folder or at least ca= (the task force CA)")
        https.split_host_port(server)  # refuses a malformed address now, not at first use
        self.tls = https.tls_context(ca, cert, key)
        signing_key = signing_key or (ident.signing_key_file if ident else None)
        self._signing_key = load_signing_key(signing_key) if signing_key else None

    # --- the stream ---------------------------------------------------------------

    def stream(self, consumer, *, from_seq=None, only_new=False, take_over=False,
               subprotocol=PROTO, reconnect=True):
        """The durable consumer `consumer` (1 to 64 of A-Z a-z 0-9 . _ -) on
        wss://SERVER/v1/stream: an async iterator of Delivery, with ack().
        It starts after the consumer's stored cursor, or at from_seq (a
        replay), or after the log's head (only_new). See Stream."""
        return Stream(self, consumer, from_seq=from_seq, only_new=only_new, take_over=take_over,
                      subprotocol=subprotocol, reconnect=reconnect)

    # --- publishing ---------------------------------------------------------------

    def sign(self, alert):
        """The Envelope of `alert` (an alert_pb2.Alert), signed with this desk's
        key. Publishing this same Envelope again is always safe."""
        if self._signing_key is None or not self.key_id:
            raise ValueError("this client has no signing key: only a desk identity can publish")
        return sign(alert, self._signing_key, self.key_id)

    def publish(self, to, subject, *, retries=3, **fields):
        """Builds an alert from this desk's member to `to` (see build_alert for
        the fields and their defaults), signs it once and publishes it with
        POST /v1/alerts (publish_envelope). Returns a PublishResult; raises
        LiaisonError."""
        alert = build_alert(self.member, to, subject, **fields)
        return self.publish_envelope(self.sign(alert), retries=retries)

    def publish_envelope(self, envelope, *, retries=3):
        """POST /v1/alerts with a signed Envelope. Retries, with the same bytes,
        what is safe to retry: 503 UNAVAILABLE, 429 RESOURCE_EXHAUSTED, 408
        and a lost connection; the server's idempotency on the alert id turns
        a retry after a lost answer into the original result (duplicate=True).
        Raises LiaisonError with the server's code otherwise, or the last
        failure after `retries` retries."""
        body = json.dumps({"payload": base64.b64encode(envelope.payload).decode(),
                           "signature": base64.b64encode(envelope.signature).decode(),
                           "keyId": envelope.key_id})
        for attempt in range(retries + 1):
            delay = min(0.5 * 2 ** attempt, 8.0)
            try:
                r = self.request("POST", "/v1/alerts", body=body,
                                 headers={"Content-Type": "application/json"})
            except LiaisonError as lost:
                if not lost.retryable:
                    raise
                failure = LiaisonError(lost.code, lost.message + "; the alert may or may not be "
                                       "stored: publishing the same envelope again is safe")
            else:
                if r.status in (200, 201):
                    a = r.json()
                    left_out = [(m["member"], m["reason"]) for m in a.get("left_out", [])]
                    return PublishResult(a["id"], a["seq"], _parse_time(a["received_at"]),
                                         a["duplicate"], left_out)
                failure = r.error()
                if not failure.retryable:
                    raise failure
                if r.headers.get("retry-after", "").isdigit():
                    delay = float(r.headers["retry-after"])
            if attempt == retries:
                raise failure
            log.warning("publish: %s; retrying in %.1f s", failure, delay)
            time.sleep(delay * random.uniform(1.0, 1.2))
        raise AssertionError("unreachable")

    # --- auditors -----------------------------------------------------------------

    def history(self, justification, *, page_size=100, **filters):
        """GET /v1/alerts for an auditor: yields every matching alert summary
        (a dict, docs/AUDIT.md) in seq order, page after page (next_cursor).
        `justification` says why (it is audited). Filters, as in
        docs/AUDIT.md: origin, recipient, category, priority, kind, handling,
        entity ("TYPE:VALUE"), q, from_ and to (str, date or aware datetime);
        a list value repeats the parameter."""
        params = [(k.rstrip("_"), v) for k, v in filters.items()]
        cursor = None
        while True:
            page = self.get("/v1/alerts", justification=justification,
                            params=params + [("limit", page_size), ("cursor", cursor)])
            yield from page["alerts"]
            if not page["has_more"]:
                return
            cursor = page["next_cursor"]

    def alert(self, alert_id, justification, *, origin=None):
        """GET /v1/alerts/{id} for an auditor: the summary, content, envelope
        (base64), signature check, timeline and replies of one alert."""
        return self.get(f"/v1/alerts/{alert_id}", justification=justification,
                        params={"origin": origin})

    # --- any route ----------------------------------------------------------------

    def get(self, path, *, justification=None, params=None):
        """GET a JSON route (e.g. "/v1/audit/verify"); returns the parsed
        answer; raises LiaisonError for a status of 400 or more."""
        params = list(params.items() if isinstance(params, dict) else params or [])
        if justification is not None:
            params.append(("justification", justification))
        r = self.request("GET", path, params=params)
        if r.status >= 400:
            raise r.error()
        return r.json()

    def request(self, method, path, *, params=None, body=None, headers=None):
        """One HTTPS request as this principal; returns an https.Response
        (status, headers, body) whatever the status. Raises LiaisonError
        when no answer came (UNAVAILABLE, or UNAUTHENTICATED for a server
        certificate that does not verify)."""
        return https.request(self.server, self.tls, method, path, params=params, body=body,
                             headers=headers, timeout=self.timeout)
