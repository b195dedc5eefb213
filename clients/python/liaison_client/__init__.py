"""Liaison's client for partner systems: follow a durable consumer over the
WebSocket stream, publish signed alerts, query the history as an auditor,
and check alert signatures offline. See README.md."""

from .alerts import build_alert
from .client import Client, PublishResult
from .errors import LiaisonError
from .identity import Identity, load_identity
from .signing import ALERT_SIGNATURE_CONTEXT, sign, verify
from .stream import JSON, PROTO, Delivery, Stream

__all__ = [
    "ALERT_SIGNATURE_CONTEXT", "Client", "Delivery", "Identity", "JSON", "LiaisonError", "PROTO",
    "PublishResult", "Stream", "build_alert", "load_identity", "sign", "verify",
]
