"""The WebSocket stream, wss://HOST:PORT/v1/stream: a durable consumer as an
asyncio iterator that survives lost connections.

On the wire (README "HTTPS API and WebSocket stream"): one protobuf Frame per
message, binary on liaison.v1.proto, protobuf's JSON mapping as text on
liaison.v1.json. The client sends Hello, then Subscribe; the server answers
Welcome and Subscribed, then sends Deliver frames in seq order, backlog first,
then live. Ack is cumulative and has no answer unless it is refused.
"""

import asyncio
import dataclasses
import datetime
import logging
import random
import ssl
import uuid

import websockets
from google.protobuf import json_format
from google.protobuf.message import DecodeError

from .errors import LiaisonError
from .v1 import alert_pb2, frame_pb2

log = logging.getLogger("liaison_client")

PROTO = "liaison.v1.proto"
JSON = "liaison.v1.json"

# Close codes that say the client broke the rules; reconnecting would not help.
_CLIENT_FAULT = {1002: "INVALID_ARGUMENT", 1003: "INVALID_ARGUMENT", 1007: "INVALID_ARGUMENT",
                 1008: "INVALID_ARGUMENT", 1009: "TOO_LARGE"}
# Refused upgrades that reconnecting would not cure.
_REFUSED = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
            404: "NOT_FOUND"}


@dataclasses.dataclass(frozen=True)
class Delivery:
    consumer: str
    seq: int  # the alert's place in the log; acknowledge with stream.ack(seq)
    envelope: alert_pb2.Envelope  # the sender's exact signed bytes (payload, signature, key_id)
    alert: alert_pb2.Alert  # envelope.payload decoded
    received_at: datetime.datetime  # when the server committed it (UTC)
    recipients: list  # member codes, expanded at publish time


class Stream:
    """One durable consumer: `async for delivery in stream`, `await
    stream.ack(seq)`, `await stream.close()` (or `async with`).

    Promises:
    - Every alert after the start position is handed over once, in seq
      order, also across lost connections: after a drop the stream
      reconnects with back-off (0.5 s doubling to 30 s) and subscribes again
      from the seq after the last one it handed over (Subscribe.from_seq),
      so nothing is skipped and nothing handed over comes twice. The stored
      cursor decides where a new Stream of the same consumer starts, e.g.
      after the partner system restarts: after the last acknowledged seq.
    - Nothing is acknowledged unless the caller asks: ack(seq) is
      cumulative, refuses a seq not yet handed over, and is sent again after
      a reconnect. The server confirms no acknowledgement; it stores it
      shortly after receiving it.
    - One connection holds a consumer at a time. A consumer that another
      live connection holds is refused (FAILED_PRECONDITION) unless
      take_over=True, which takes it from there (that stream then ends with
      FAILED_PRECONDITION). This stream's own reconnects are recognised by
      the server through a client_instance chosen once per Stream, so they
      succeed even before the server noticed that the old connection died.
    - Refusals that retrying cannot cure (unknown certificate, a role that
      may not subscribe, a bad consumer name, a consumer held elsewhere, a
      refused ack) raise LiaisonError from the iteration; with
      reconnect=False every lost connection does too.
    """

    def __init__(self, client, consumer, *, from_seq=None, only_new=False, take_over=False,
                 subprotocol=PROTO, reconnect=True, backoff=(0.5, 30.0)):
        if subprotocol not in (PROTO, JSON):
            raise ValueError(f"subprotocol must be {PROTO} or {JSON}")
        if from_seq is not None and (from_seq < 1 or only_new):
            raise ValueError("from_seq is a seq from 1 on, and excludes only_new")
        self._client = client
        self.consumer = consumer
        self._from_seq = from_seq
        self._only_new = only_new
        self._take_over = take_over
        self._instance = str(uuid.uuid4())
        self._subprotocol = subprotocol
        self._reconnect = reconnect
        self._backoff = backoff
        self._ws = None
        self._next_cid = 1
        self._handed = None  # last seq handed to the caller; None before the first Subscribed
        self._acked = 0  # highest seq the caller acknowledged
        self._closed = False
        self.welcome = None  # the server's last Welcome (principal, member, role, limits)
        self.subscribed = None  # the server's last Subscribed (cursor, resume_after)

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.close()

    def __aiter__(self):
        return self

    async def __anext__(self):
        while not self._closed:
            if self._ws is None:
                await self._connect()
                continue
            try:
                frame = self._decode(await self._ws.recv())
            except websockets.ConnectionClosed as closed:
                if self._closed:
                    break  # closed by the caller
                await self._lost(self._close_error(closed))
                continue
            body = frame.WhichOneof("body")
            if body == "deliver":
                d = frame.deliver
                if d.seq <= self._handed:
                    continue  # a guard: reconnects ask only for the seqs after it
                delivery = self._delivery(d)
                self._handed = d.seq
                return delivery
            if body == "error":
                error = LiaisonError(frame_pb2.ErrorCode.Name(frame.error.code),
                                     frame.error.message)
                if not error.retryable:
                    await self.close()
                    raise error
                await self._lost(error)
            # Pong and anything newer than this client: nothing to do.
        raise StopAsyncIteration

    async def ack(self, seq):
        """Acknowledges every alert up to and including `seq` (cumulative).
        Raises ValueError for a seq not yet handed over by this stream. If the
        connection is down, the acknowledgement is sent after the reconnect."""
        if self._handed is None or seq > self._handed:
            raise ValueError(f"seq {seq} has not been handed over by this stream "
                             f"(last: {self._handed}); acknowledge only what you received")
        if seq <= self._acked:
            return
        self._acked = seq
        if self._ws is not None:
            try:
                await self._send_ack(self._ws)
            except websockets.ConnectionClosed:
                pass  # __anext__ notices, reconnects and sends it again

    async def close(self):
        """Closes the connection; the iteration ends. The stored cursor keeps
        the last acknowledgement the server received."""
        self._closed = True
        ws, self._ws = self._ws, None
        if ws is not None:
            await ws.close()

    # --- connecting ---------------------------------------------------------------

    async def _connect(self):
        """Opens a connection and subscribes, retrying with back-off what may
        succeed later. Raises LiaisonError for a refusal retrying cannot cure."""
        delay = self._backoff[0]
        while not self._closed:
            try:
                self._ws = await self._open()
                return
            except LiaisonError as e:
                if not e.retryable or not self._reconnect:
                    self._closed = True
                    raise
                log.warning("stream %s: %s; retrying in %.1f s", self.consumer, e, delay)
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, self._backoff[1])

    async def _open(self):
        c = self._client
        url = f"wss://{c.server}/v1/stream"
        try:
            ws = await websockets.connect(
                url, ssl=c.tls, subprotocols=[self._subprotocol],
                compression=None, max_size=16 * 1024 * 1024, open_timeout=c.timeout,
                close_timeout=5)
        except ssl.SSLCertVerificationError as e:
            raise LiaisonError("UNAUTHENTICATED", f"the server's certificate does not verify "
                               f"against the CA: {e}") from e
        except websockets.InvalidStatusCode as refused:
            code = _REFUSED.get(refused.status_code)
            if code is None:
                code = "RESOURCE_EXHAUSTED" if refused.status_code == 429 else "UNAVAILABLE"
            raise LiaisonError(code, f"the server refused to open {url}", refused.status_code)
        except (OSError, asyncio.TimeoutError, websockets.WebSocketException) as e:
            raise LiaisonError("UNAVAILABLE", f"cannot open {url}: {e}") from e
        try:
            hello = frame_pb2.Frame(hello=frame_pb2.Hello(client="liaison_client/0.1",
                                                          protocol_version=1))
            self.welcome = (await self._call(ws, hello)).welcome
            self.subscribed = (await self._call(ws, self._subscribe_frame())).subscribed
            if self._handed is None:
                self._handed = self.subscribed.resume_after
            log.info("stream %s: subscribed as %s, delivering after seq %d", self.consumer,
                     self.welcome.principal, self.subscribed.resume_after)
            if self._acked > self.subscribed.cursor:
                await self._send_ack(ws)
            return ws
        except websockets.ConnectionClosed as closed:
            await ws.close()
            raise self._close_error(closed) from closed
        except asyncio.TimeoutError as e:
            await ws.close()
            raise LiaisonError("DEADLINE_EXCEEDED", f"no answer from {url} within "
                               f"{c.timeout} s") from e
        except BaseException:
            await ws.close()
            raise

    def _subscribe_frame(self):
        sub = frame_pb2.Subscribe(consumer=self.consumer, take_over=self._take_over,
                                  client_instance=self._instance)
        if self._handed is not None:
            sub.from_seq = self._handed + 1  # a reconnect: right after what was handed over
        elif self._from_seq is not None:
            sub.from_seq = self._from_seq
        elif self._only_new:
            sub.only_new.SetInParent()
        else:
            sub.stored_cursor.SetInParent()
        return frame_pb2.Frame(subscribe=sub)

    async def _call(self, ws, frame):
        """Sends a request and waits for its answer; an Error answer raises."""
        frame.correlation_id = self._next_cid
        self._next_cid += 1
        await ws.send(self._encode(frame))
        while True:
            answer = self._decode(await asyncio.wait_for(ws.recv(), self._client.timeout))
            if answer.correlation_id != frame.correlation_id:
                continue
            if answer.WhichOneof("body") == "error":
                raise LiaisonError(frame_pb2.ErrorCode.Name(answer.error.code),
                                   answer.error.message)
            return answer

    async def _send_ack(self, ws):
        ack = frame_pb2.Frame(correlation_id=self._next_cid,
                              ack=frame_pb2.Ack(consumer=self.consumer, up_to_seq=self._acked))
        self._next_cid += 1
        await ws.send(self._encode(ack))

    async def _lost(self, error):
        """The connection is gone or unusable: drop it; the next step of the
        iteration reconnects, or raises when that is not wanted."""
        ws, self._ws = self._ws, None
        if ws is not None:
            await ws.close()
        if not self._reconnect or not error.retryable:
            self._closed = True
            raise error
        log.warning("stream %s: %s; reconnecting", self.consumer, error)

    # --- frames -------------------------------------------------------------------

    def _encode(self, frame):
        if self._subprotocol == JSON:
            return json_format.MessageToJson(frame, indent=None)
        return frame.SerializeToString()

    def _decode(self, message):
        frame = frame_pb2.Frame()
        try:
            if isinstance(message, str):
                json_format.Parse(message, frame, ignore_unknown_fields=True)
            else:
                frame.ParseFromString(message)
        except (DecodeError, json_format.ParseError) as e:
            raise LiaisonError("INTERNAL", f"the server sent a malformed frame: {e}") from e
        return frame

    def _delivery(self, d):
        alert = alert_pb2.Alert()
        try:
            alert.ParseFromString(d.envelope.payload)
        except DecodeError as e:
            raise LiaisonError("INTERNAL", f"seq {d.seq}: the payload is not an Alert: {e}") from e
        return Delivery(consumer=d.consumer, seq=d.seq, envelope=d.envelope, alert=alert,
                        received_at=d.received_at.ToDatetime(tzinfo=datetime.timezone.utc),
                        recipients=list(d.recipients))

    @staticmethod
    def _close_error(closed):
        code = closed.code
        reason = f"the connection ended (close code {code}"
        reason += f": {closed.reason})" if closed.reason else ")"
        if code in _CLIENT_FAULT:
            return LiaisonError(_CLIENT_FAULT[code], reason)
        if code == 1013:
            return LiaisonError("RESOURCE_EXHAUSTED", reason)
        return LiaisonError("UNAVAILABLE", reason)
