"""Identity folders as `liaison pki init` writes them (server/pki/identity.hpp):
identity.toml (principal, member, role, key_id, keys_dir), cert.pem, key.pem,
ca.pem and, for desks, signing-key.pem."""

import dataclasses
import pathlib
import tomllib


@dataclasses.dataclass(frozen=True)
class Identity:
    principal: str  # the client certificate's common name, e.g. "AT.desk"
    member: str  # the member it acts for; "" for auditors and admins
    role: str  # desk, partner, auditor or admin
    cert_file: str
    key_file: str
    ca_file: str
    key_id: str = ""  # the key in signing_key_file; "" when there is none
    signing_key_file: str = ""
    keys_dir: str = ""  # the members' public signing keys, <key id>.pub.pem

    def public_key_pem(self, key_id):
        """The PEM text of a member's public signing key from keys_dir, the
        way the CLI finds it. Raises FileNotFoundError."""
        if not self.keys_dir or "/" in key_id or key_id in ("", ".", ".."):
            raise FileNotFoundError(f"no public key file for key id {key_id!r}")
        return (pathlib.Path(self.keys_dir) / f"{key_id}.pub.pem").read_bytes()


def load_identity(folder):
    """Reads FOLDER/identity.toml and checks that the files it implies exist.
    Raises FileNotFoundError or ValueError naming the folder and the problem."""
    folder = pathlib.Path(folder).resolve()
    toml = folder / "identity.toml"
    if not toml.is_file():
        raise FileNotFoundError(f"identity folder {folder}: missing identity.toml "
                                "(make one with `liaison pki init`)")
    with toml.open("rb") as f:
        data = tomllib.load(f)
    for key in ("principal", "role"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise ValueError(f"{toml}: '{key}' is missing")
    key_id = data.get("key_id", "")
    keys_dir = data.get("keys_dir", "")
    identity = Identity(
        principal=data["principal"],
        member=data.get("member", ""),
        role=data["role"],
        cert_file=str(folder / "cert.pem"),
        key_file=str(folder / "key.pem"),
        ca_file=str(folder / "ca.pem"),
        key_id=key_id,
        signing_key_file=str(folder / "signing-key.pem") if key_id else "",
        keys_dir=str(folder / keys_dir) if keys_dir else "",
    )
    files = (identity.cert_file, identity.key_file, identity.ca_file, identity.signing_key_file)
    missing = [pathlib.Path(f).name for f in files if f and not pathlib.Path(f).is_file()]
    if missing:
        raise FileNotFoundError(f"identity folder {folder}: missing {', '.join(missing)}")
    return identity
