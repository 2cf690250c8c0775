"""A throwaway PostgreSQL cluster on loopback, started and removed by the test session."""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _binary(name: str) -> str:
    """A PostgreSQL server binary from Debian's versioned folders (newest first)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if found:
        return found[0]
    on_path = shutil.which(name)
    if on_path:
        return on_path
    raise RuntimeError(
        f"PostgreSQL's {name} was not found: install the Debian package 'postgresql' "
        "(make test does so when it runs as root)."
    )


class PostgresCluster:
    """initdb + pg_ctl in a temporary folder; databases are created per test."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="skaidra-pg-"))
        self.port = free_port()
        # PostgreSQL refuses to run as root; the Debian package provides the postgres user.
        self.run_as = "postgres" if os.geteuid() == 0 else None
        self.superuser = "skaidra"

    def _run(self, *args: str) -> None:
        command = list(args)
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> "PostgresCluster":
        """Create and start the cluster, listening on 127.0.0.1 only."""
        if self.run_as:
            user = pwd.getpwnam(self.run_as)
            os.chown(self.root, user.pw_uid, user.pw_gid)
        data = self.root / "data"
        self._run(_binary("initdb"), "-D", str(data), "-U", self.superuser, "--auth=trust",
                  "--encoding=UTF8", "--locale=C.UTF-8")
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(_binary("pg_ctl"), "-D", str(data), "-o", options, "-l",
                  str(self.root / "server.log"), "-w", "start")
        return self

    def stop(self) -> None:
        """Stop the server and delete every file of it."""
        try:
            self._run(_binary("pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate",
                      "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL for a database of this cluster."""
        return f"postgresql+psycopg://{self.superuser}@127.0.0.1:{self.port}/{database}"

    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user=self.superuser,
                               dbname="postgres", autocommit=True)

    def create_database(self) -> str:
        """A new empty database; returns its name."""
        name = f"test_{uuid.uuid4().hex[:12]}"
        with self._admin() as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return name

    def dump(self, name: str) -> bytes:
        """Everything a database holds, as pg_dump writes it (plain SQL, bytea as hex)."""
        return subprocess.run(
            [_binary("pg_dump"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.superuser,
             "--no-owner", name],
            check=True, capture_output=True, timeout=120,
        ).stdout

    def drop_database(self, name: str) -> None:
        """Remove a database, closing any connection left open to it."""
        with self._admin() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

