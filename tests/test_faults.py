"""Faults a node recovers from by itself: a SQLite file that was read-only for a while, and a
gunicorn master killed under its workers."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.support.server import REPO, ServedApp, app_environment

# Run in a process of its own, as a user file modes apply to (root may write any file).
READ_ONLY_FOR_A_WHILE = """
import json, os, sys
sys.path.insert(0, {repo!r})
from app import create_app
from app.extensions import db
from app.services.demo.network import seed_demo_network
from config import TestConfig
from tests.helpers import send_report

path = {path!r}
app = create_app(type("C", (TestConfig,), {{"SQLALCHEMY_DATABASE_URI": "sqlite:///" + path}}))
with app.app_context():
    db.create_all()
    seed_demo_network()
client = app.test_client()
statuses = [send_report(client, what_happened="Before").status_code]
os.chmod(path, 0o444)
with app.app_context():
    db.engine.dispose()  # the connections opened from now on, as by a worker starting
statuses.append(send_report(client, what_happened="While read-only").status_code)
os.chmod(path, 0o644)
statuses.append(send_report(client, what_happened="Writable again").status_code)
statuses.append(send_report(client, what_happened="And after").status_code)
print(json.dumps(statuses))
"""


def test_a_sqlite_node_writes_again_once_its_file_is_writable_again(tmp_path):
    # Root writes read-only files anyway unless it gives up CAP_DAC_OVERRIDE (util-linux's
    # setpriv, on every Debian system), as the service's own user would be refused.
    command = [sys.executable, "-c", READ_ONLY_FOR_A_WHILE.format(
        repo=str(REPO), path=str(tmp_path / "db.sqlite3"))]
    if os.geteuid() == 0:
        command = ["setpriv", "--bounding-set", "-dac_override", *command]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True,
                            timeout=120, env={"PATH": os.environ["PATH"],
                                              "PYTHONDONTWRITEBYTECODE": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.splitlines()[-1]) == [200, 503, 200, 200]


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_workers_of_a_killed_master_leave_and_free_the_port(tmp_path):
    served = ServedApp(app_environment(f"sqlite:///{tmp_path / 'db.sqlite3'}"),
                       tmp_path / "gunicorn.log")
    served.start()
    master = served.process.pid
    workers = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
               and _parent(p) == master]
    assert workers, "gunicorn started no worker"

    os.kill(master, signal.SIGKILL)
    served.process.wait(timeout=10)
    deadline = time.monotonic() + 40  # gunicorn's graceful timeout is 30 s
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers), served.log()[-2000:]
    assert port_is_free(served.port)


def _parent(entry: Path) -> int | None:
    try:
        return int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
