"""The alert signature scheme (server/crypto/alert_signature.hpp): Ed25519
over "liaison.v1.alert" and one NUL byte, followed by the exact serialised
Alert bytes (Envelope.payload). The prefix keeps a Liaison signature from
ever passing for a signature over anything else."""

import base64

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .v1 import alert_pb2

ALERT_SIGNATURE_CONTEXT = b"liaison.v1.alert\x00"


def load_signing_key(path):
    """The Ed25519 private key of a PEM (PKCS#8) file such as signing-key.pem."""
    with open(path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def sign(alert, signing_key, key_id):
    """Serialises `alert` once and signs those bytes. Returns the Envelope to
    publish; send this same Envelope on every retry."""
    payload = alert.SerializeToString()
    return alert_pb2.Envelope(payload=payload,
                              signature=signing_key.sign(ALERT_SIGNATURE_CONTEXT + payload),
                              key_id=key_id)


def verify(envelope, public_key_pem):
    """True when the envelope's signature is the signature of its payload by
    the Ed25519 public key in `public_key_pem` (PEM text or bytes, such as a
    member's <key id>.pub.pem). `envelope` is an alert_pb2.Envelope (as in a
    Delivery) or the "envelope" object of GET /v1/alerts/{id} (payload and
    signature in base64). Works offline; says nothing about whether the key
    belongs to the alert's origin or was revoked."""
    if isinstance(envelope, dict):
        envelope = alert_pb2.Envelope(payload=base64.b64decode(envelope["payload"]),
                                      signature=base64.b64decode(envelope["signature"]))
    if isinstance(public_key_pem, str):
        public_key_pem = public_key_pem.encode()
    key = serialization.load_pem_public_key(public_key_pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the public key is not an Ed25519 key")
    try:
        key.verify(bytes(envelope.signature), ALERT_SIGNATURE_CONTEXT + bytes(envelope.payload))
        return True
    except InvalidSignature:
        return False
