"""TLS and the HTTPS requests of the client: one connection per request,
TLS 1.3 with the client certificate, the server checked against the task
force CA."""

import dataclasses
import http.client
import json
import socket
import ssl
import urllib.parse

from .errors import LiaisonError


def tls_context(ca_file, cert_file=None, key_file=None):
    """TLS 1.3, the server's certificate checked against `ca_file` and its
    name, and our client certificate when given."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_verify_locations(ca_file)
    if cert_file:
        ctx.load_cert_chain(cert_file, key_file)
    return ctx


def split_host_port(server):
    """'HOST:PORT' or '[IPv6]:PORT' -> (host, port)."""
    host, sep, port = server.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"server address {server!r} is not HOST:PORT")
    return host.strip("[]"), int(port)


@dataclasses.dataclass
class Response:
    status: int
    headers: dict  # names in lower case
    body: bytes

    def json(self):
        return json.loads(self.body)

    def error(self):
        """The LiaisonError this answer stands for (use when status >= 400)."""
        try:
            answer = self.json()
            return LiaisonError(answer["code"], answer["message"], self.status)
        except (ValueError, KeyError, TypeError):
            return LiaisonError(f"HTTP {self.status}",
                                self.body.decode("utf-8", "replace")[:500], self.status)


def query_string(params):
    """Pairs or a dict to a query string; a list value repeats its key."""
    items = params.items() if isinstance(params, dict) else params
    pairs = []
    for key, value in items:
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if v is None:
                continue
            pairs.append((key, v.isoformat() if hasattr(v, "isoformat") else str(v)))
    return urllib.parse.urlencode(pairs)


def request(server, context, method, path, *, params=None, body=None, headers=None, timeout=10.0):
    """One HTTPS request. Returns the Response whatever its status; raises
    LiaisonError when no answer came: UNAVAILABLE, or UNAUTHENTICATED when
    the server's certificate does not verify against the CA."""
    host, port = split_host_port(server)
    target = path + ("?" + query_string(params) if params else "")
    conn = http.client.HTTPSConnection(host, port, context=context, timeout=timeout)
    try:
        conn.request(method, target, body=body, headers=headers or {})
        r = conn.getresponse()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    except ssl.SSLCertVerificationError as e:
        raise LiaisonError("UNAUTHENTICATED", f"{server}: the server's certificate does not "
                           f"verify against the CA: {e}") from e
    except (OSError, http.client.HTTPException, socket.timeout) as e:
        raise LiaisonError("UNAVAILABLE", f"no answer from {server} to {method} {path}: {e}") from e
    finally:
        conn.close()
