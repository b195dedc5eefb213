"""A real liaisond for the tests, set up the way tests/e2e/server_fixture.cpp
and tests/support/test_database.cpp do it: a development PKI made by
`liaison pki init`, a database of its own on the PostgreSQL named by
LIAISON_TEST_DB (a superuser URL) owned by the role liaison_owner and served
with the runtime role liaison, and liaisond on free ports, which migrates at
start-up and writes its bound addresses to a port file.

Environment: LIAISON_TEST_DB (required), LIAISOND and LIAISON_CLI (the
binaries; default: build/bin/ of this repository), LIAISON_MEMBERS (default:
config/members.toml of this repository)."""

import json
import os
import pathlib
import random
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.parse

REPO = pathlib.Path(__file__).resolve().parents[3]


def eventually(condition, timeout=30.0, step=0.1):
    """Waits until condition() is truthy, at most `timeout` seconds; returns
    its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def with_database(url, dbname, user=None):
    """The URL `url` pointing at database `dbname`, as `user` when given
    (tests/support/test_database.cpp's with_database)."""
    if not url.startswith(("postgresql://", "postgres://")):
        return f"{url} dbname={dbname}" + (f" user={user}" if user else "")
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc
    if user:
        netloc = user + "@" + netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit((parts.scheme, netloc, "/" + dbname, parts.query, ""))


class LiveServer:
    """start() sets everything up; stop() ends the server and drops the
    database. Identities: self.identity("AT/desk"), "partner-HU", "auditor",
    "ops"."""

    def __init__(self):
        self.super_url = os.environ.get("LIAISON_TEST_DB", "")
        if not self.super_url:
            raise RuntimeError("LIAISON_TEST_DB is not set: give a PostgreSQL superuser URL, e.g. "
                               "postgresql://postgres@127.0.0.1:56500/postgres")
        bin_dir = REPO / "build" / "bin"
        self.liaisond = os.environ.get("LIAISOND", str(bin_dir / "liaisond"))
        self.cli = os.environ.get("LIAISON_CLI", str(bin_dir / "liaison"))
        self.members = os.environ.get("LIAISON_MEMBERS", str(REPO / "config" / "members.toml"))
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="liaison-pyclient-"))
        self.dbname = f"liaison_pyclient_{os.getpid()}_{random.randrange(10**6)}"
        self.db_url = with_database(self.super_url, self.dbname, "liaison")
        self.owner_url = with_database(self.super_url, self.dbname, "liaison_owner")
        self.process = None
        self.native = self.https = None
        self._starts = 0
        self._database_made = False

    # --- set-up and tear-down -----------------------------------------------------

    def start(self):
        try:
            self._make_database()
            subprocess.run([self.cli, "pki", "init", "--members", self.members, "--out",
                            str(self.pki), "--db-url", self.db_url, "--db-owner-url",
                            self.owner_url, "--native-listen", "127.0.0.1:0", "--https-listen",
                            "127.0.0.1:0"], check=True, capture_output=True, text=True)
            self.run_liaisond()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        """Ends liaisond, drops the database and removes the folder."""
        self.terminate()
        if self._database_made:
            self._psql(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def pki(self):
        return self.dir / "pki"

    def identity(self, name):
        return str(self.pki / name)

    def _psql(self, sql):
        subprocess.run(["psql", self.super_url, "-v", "ON_ERROR_STOP=1", "-Atqc", sql],
                       check=True, capture_output=True, text=True)

    def _make_database(self):
        # Both roles, as in production; other test runs may race to create them.
        for role in ("liaison", "liaison_owner"):
            self._psql("DO $$ BEGIN "
                       f"IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN "
                       f"CREATE ROLE {role} LOGIN NOSUPERUSER; END IF; "
                       "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$")
        self._psql(f'CREATE DATABASE "{self.dbname}" OWNER liaison_owner')
        self._database_made = True

    # --- the process --------------------------------------------------------------

    def run_liaisond(self, same_ports=False):
        """Starts liaisond and waits for its port file; on the previous
        addresses when same_ports (a restart that clients can find again)."""
        self._starts += 1
        port_file = self.dir / "ports.json"
        port_file.unlink(missing_ok=True)
        args = [self.liaisond, "--config", str(self.pki / "liaison.toml"), "--db", self.db_url,
                "--db-owner", self.owner_url, "--port-file", str(port_file)]
        if same_ports:
            args += ["--native-listen", self.native, "--https-listen", self.https]
        with open(self.dir / f"liaisond-{self._starts}.log", "wb") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        up = eventually(lambda: port_file.exists() or self.process.poll() is not None, 60)
        if not up or not port_file.exists():
            raise RuntimeError("liaisond did not start; its log:\n" + self.log())
        ports = json.loads(eventually(port_file.read_text, 5))
        self.native, self.https = ports["native"], ports["https"]

    def kill9(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def terminate(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def log(self):
        return "".join((self.dir / f"liaisond-{i}.log").read_text(errors="replace")
                       for i in range(1, self._starts + 1)
                       if (self.dir / f"liaisond-{i}.log").exists())
