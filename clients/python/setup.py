"""Build hook: generates liaison_client/v1/{alert,frame}_pb2.py from the
repository's proto/liaison/v1/*.proto with protoc while the package is built,
so the classes always match the contract of the checkout they come from.

The .proto files are looked for in LIAISON_PROTO_DIR, else in ../../proto
(this folder is clients/python/ of the repository); protoc in LIAISON_PROTOC,
else on PATH (Debian: protobuf-compiler).
"""

import os
import pathlib
import re
import shutil
import subprocess
import tempfile

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = pathlib.Path(__file__).resolve().parent
PROTOS = ("liaison/v1/alert.proto", "liaison/v1/receipt.proto", "liaison/v1/frame.proto")


def proto_dir():
    d = pathlib.Path(os.environ.get("LIAISON_PROTO_DIR", HERE.parent.parent / "proto"))
    missing = [p for p in PROTOS if not (d / p).is_file()]
    if missing:
        raise SystemExit(
            f"liaison_client: {', '.join(missing)} not found in {d}; build from a checkout "
            "of the repository or set LIAISON_PROTO_DIR to its proto/ folder"
        )
    return d


def generate(out_dir):
    """Runs protoc into a scratch folder, then writes the modules into out_dir
    with their one cross-import made relative (protoc writes
    `from liaison.v1 import alert_pb2`; here the modules live in
    liaison_client.v1)."""
    protoc = os.environ.get("LIAISON_PROTOC") or shutil.which("protoc")
    if not protoc:
        raise SystemExit("liaison_client: protoc not found; install protobuf-compiler")
    src = proto_dir()
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run([protoc, f"-I{src}", f"--python_out={scratch}", *PROTOS], check=True)
        for proto in PROTOS:
            generated = pathlib.Path(scratch) / proto.replace(".proto", "_pb2.py")
            text = generated.read_text()
            text = re.sub(r"^from liaison\.v1 import (\w+_pb2) as", r"from . import \1 as", text,
                          flags=re.M)
            if "liaison.v1 import" in text:
                raise SystemExit(f"liaison_client: unexpected import left in {generated.name}")
            (out_dir / generated.name).write_text(text)


class build_py_with_protos(build_py):
    def run(self):
        super().run()
        # An editable install imports from the source tree, so the modules go there.
        if getattr(self, "editable_mode", False):
            generate(HERE / "liaison_client" / "v1")
        else:
            generate(pathlib.Path(self.build_lib) / "liaison_client" / "v1")


setup(cmdclass={"build_py": build_py_with_protos})
