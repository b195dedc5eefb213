"""An independent check of Liaison receipts, with nothing from Liaison but
the file it is given: each receipt's Ed25519 signature over the receipt
prefix ("liaison.v1.receipt" and a NUL byte) followed by the payload, with
the recipient member's public key (PEM), using Python's `cryptography`.

Usage: receipt_check.py FILE, where FILE holds
{"prefix_hex": ..., "receipts": [{"payload": BASE64, "signature": BASE64,
"public_key_pem": PEM}, ...]}. Prints "N receipts verified" and exits 0, or
names the first receipt that fails and exits 1."""
import base64
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import load_pem_public_key


def main(path):
    with open(path) as f:
        spec = json.load(f)
    prefix = bytes.fromhex(spec["prefix_hex"])
    if prefix != b"liaison.v1.receipt\x00":
        print("unexpected prefix", prefix, file=sys.stderr)
        return 1
    for i, r in enumerate(spec["receipts"]):
        key = load_pem_public_key(r["public_key_pem"].encode())
        payload = base64.b64decode(r["payload"])
        signature = base64.b64decode(r["signature"])
        try:
            key.verify(signature, prefix + payload)
        except InvalidSignature:
            print(f"receipt {i}: the signature does not verify", file=sys.stderr)
            return 1
        # The same signature must not pass as an alert's.
        try:
            key.verify(signature, b"liaison.v1.alert\x00" + payload)
            print(f"receipt {i}: verifies as an alert signature too", file=sys.stderr)
            return 1
        except InvalidSignature:
            pass
    print(f"{len(spec['receipts'])} receipts verified")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
