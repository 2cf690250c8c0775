"""A throwaway Redis on loopback, without persistence, started and removed by the tests."""

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from tests.support.postgres import free_port


class RedisServer:
    """redis-server in a temporary folder, listening on 127.0.0.1 only, saving nothing."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="skaidra-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> "RedisServer":
        """Start the server and wait until it answers PING."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server was not found: install the Debian package "
                               "'redis-server' (make test does so when it runs as root).")
        # As in production (docs/deploy.md): no snapshot or log of counters on disk.
        self.process = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.root),
             "--save", "", "--appendonly", "no", "--protected-mode", "yes",
             "--daemonize", "no", "--logfile", str(self.root / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited: {self.log()}")
            try:
                if self.client().ping():
                    return self
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not answer within 30 s")

    @property
    def url(self) -> str:
        """The RATELIMIT_STORAGE_URI of this server's database 0."""
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        """A client of database 0."""
        return redis.Redis(host="127.0.0.1", port=self.port, db=0, socket_timeout=5)

    def log(self) -> str:
        """What the server wrote to its log so far."""
        path = self.root / "redis.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Stop the server and delete its folder."""
        try:
            if self.process and self.process.poll() is None:
                self.process.terminate()
                self.process.wait(timeout=30)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
