#!/usr/bin/python3
"""A partner system for the end-to-end tests, built on clients Liaison did not
write: Python's `websockets` (Debian python3-websockets) for the stream and
`http.client` for the HTTPS API, with the protobuf bindings of the contract.

  partner_client.py --proto-path DIR --ca CA [--cert C --key K] stream URL
      --subprotocol P [--subprotocol P ...] --script FILE
  partner_client.py --proto-path DIR --ca CA [--cert C --key K] http HOST:PORT
      METHOD PATH [--body-file F] [--header NAME:VALUE ...]

Every event is printed as one JSON line on stdout; the C++ test reads them.
"""

import argparse
import asyncio
import base64
import http.client
import json
import ssl
import sys


def emit(**event):
    print(json.dumps(event), flush=True)


def tls_context(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_verify_locations(args.ca)
    if args.cert:
        ctx.load_cert_chain(args.cert, args.key)
    return ctx


class frames:
    """Frame encoding for the chosen subprotocol."""

    def __init__(self, subprotocol):
        from google.protobuf import json_format
        from liaison.v1 import alert_pb2, frame_pb2

        self.json_format = json_format
        self.alert_pb2 = alert_pb2
        self.frame_pb2 = frame_pb2
        self.is_json = subprotocol == "liaison.v1.json"

    def encode(self, frame_dict):
        if self.is_json:
            return json.dumps(frame_dict)
        frame = self.json_format.ParseDict(frame_dict, self.frame_pb2.Frame())
        return frame.SerializeToString()

    def decode(self, message):
        if isinstance(message, str):
            return json.loads(message)
        frame = self.frame_pb2.Frame()
        frame.ParseFromString(message)
        return self.json_format.MessageToDict(frame)

    def alert_of(self, deliver):
        alert = self.alert_pb2.Alert()
        alert.ParseFromString(base64.b64decode(deliver["envelope"]["payload"]))
        return alert


async def receive(ws, codec, timeout):
    message = await asyncio.wait_for(ws.recv(), timeout)
    kind = "text" if isinstance(message, str) else "binary"
    return kind, codec.decode(message)


async def run_script(ws, codec, steps):
    import websockets

    for step in steps:
        timeout = step.get("timeout", 20)
        if "send" in step:
            await ws.send(codec.encode(step["send"]))
        elif "send_text" in step:
            await ws.send(step["send_text"])
        elif "send_binary_hex" in step:
            await ws.send(bytes.fromhex(step["send_binary_hex"]))
        elif "send_raw_hex" in step:
            # Bytes straight onto the connection, bypassing the library's
            # framing: a frame header the library would never write.
            ws.transport.write(bytes.fromhex(step["send_raw_hex"]))
        elif "expect" in step:
            for _ in range(step["expect"]):
                kind, frame = await receive(ws, codec, timeout)
                emit(event="frame", kind=kind, frame=frame)
        elif "consume" in step:
            got = 0
            while got < step["consume"]:
                kind, frame = await receive(ws, codec, timeout)
                if "deliver" not in frame:
                    emit(event="frame", kind=kind, frame=frame)
                    continue
                deliver = frame["deliver"]
                alert = codec.alert_of(deliver)
                emit(event="deliver", kind=kind, seq=int(deliver["seq"]), id=alert.id, origin=alert.origin,
                     tlp=codec.alert_pb2.Tlp.Name(alert.tlp), subject=alert.subject)
                got += 1
                if step.get("ack"):
                    ack = {"ack": {"consumer": step["consumer"], "upToSeq": str(deliver["seq"])}}
                    await ws.send(codec.encode(ack))
        elif "quiet" in step:
            # Nothing more may arrive within the time given.
            try:
                kind, frame = await receive(ws, codec, step["quiet"])
                emit(event="frame", kind=kind, frame=frame)
            except asyncio.TimeoutError:
                emit(event="quiet")
        elif "expect_close" in step:
            try:
                while True:
                    kind, frame = await receive(ws, codec, timeout)
                    emit(event="frame", kind=kind, frame=frame)
            except websockets.exceptions.ConnectionClosed as closed:
                emit(event="closed", code=closed.code, reason=closed.reason)
        elif "stall" in step:
            emit(event="stalled")
            await asyncio.sleep(3600)
        elif "close" in step:
            await ws.close()
            emit(event="closed_by_client")


async def stream(args):
    import websockets

    with open(args.script) as f:
        steps = json.load(f)
    codec = frames(args.subprotocol[0] if args.subprotocol else "liaison.v1.json")
    stall = any("stall" in s for s in steps)
    try:
        async with websockets.connect(
            args.url,
            ssl=tls_context(args),
            subprotocols=args.subprotocol,
            max_size=None,
            # A stalled reader must really stop reading: tiny queue and buffer.
            max_queue=1 if stall else 32,
            read_limit=1024 if stall else 2**16,
            ping_interval=None,
            open_timeout=20,
        ) as ws:
            emit(event="open", subprotocol=ws.subprotocol,
                 extensions=ws.response_headers.get("Sec-WebSocket-Extensions"))
            codec = frames(ws.subprotocol)
            await run_script(ws, codec, steps)
    except websockets.exceptions.InvalidStatusCode as refused:
        emit(event="refused", status=refused.status_code)
    except websockets.exceptions.ConnectionClosed as closed:
        emit(event="closed", code=closed.code, reason=closed.reason)
    except ssl.SSLError as e:
        emit(event="tls_error", message=str(e))
    except (ConnectionError, OSError) as e:
        emit(event="connection_error", message=str(e))
    except asyncio.TimeoutError:
        emit(event="timeout")


def https(args):
    host, port = args.address.rsplit(":", 1)
    conn = http.client.HTTPSConnection(host, int(port), context=tls_context(args), timeout=20)
    body = None
    if args.body_file:
        with open(args.body_file, "rb") as f:
            body = f.read()
    headers = {}
    for h in args.header or []:
        name, value = h.split(":", 1)
        headers[name] = value
    try:
        conn.request(args.method, args.path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read().decode("utf-8", "replace")
        emit(event="response", status=response.status, headers=dict(response.getheaders()), body=data)
    except ssl.SSLError as e:
        emit(event="tls_error", message=str(e))
    except (ConnectionError, OSError, http.client.HTTPException) as e:
        emit(event="connection_error", message=str(e))


def resume(args):
    """Connects twice, offering the first connection's session the second
    time, and reports whether the server resumed it (it must not: a resumed
    session would skip the certificate and revocation checks)."""
    import socket

    host, port = args.address.rsplit(":", 1)
    ctx = tls_context(args)
    sessions = []
    for attempt in range(2):
        with socket.create_connection((host, int(port)), timeout=20) as raw:
            with ctx.wrap_socket(raw, server_hostname=host,
                                 session=sessions[-1] if sessions else None) as tls:
                tls.settimeout(0.5)
                try:
                    tls.recv(1)  # lets a TLS 1.3 server deliver tickets, if it sent any
                except (socket.timeout, ssl.SSLError, OSError):
                    pass
                emit(event="connected", attempt=attempt, reused=tls.session_reused,
                     ticket=bool(tls.session and tls.session.has_ticket))
                sessions.append(tls.session)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--proto-path", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("stream")
    s.add_argument("url")
    s.add_argument("--subprotocol", action="append", default=[])
    s.add_argument("--script", required=True)
    h = sub.add_parser("http")
    h.add_argument("address")
    h.add_argument("method")
    h.add_argument("path")
    h.add_argument("--body-file")
    h.add_argument("--header", action="append")
    r = sub.add_parser("resume")
    r.add_argument("address")
    args = parser.parse_args()
    sys.path.insert(0, args.proto_path)
    if args.command == "stream":
        asyncio.run(stream(args))
    elif args.command == "resume":
        resume(args)
    else:
        https(args)


if __name__ == "__main__":
    main()
