"""Where the suite keeps its throwaway files: in memory when the machine has room there.

Every test copies a database (a SQLite file, or a PostgreSQL template), and the servers,
browsers and clusters write profiles, logs and data files. On a virtual disk those writes
were paced by the disk: a PostgreSQL ``CREATE DATABASE … TEMPLATE`` took 0.03 s on an idle
disk and 0.3 s on a busy one, 0.015 s on a RAM disk. Nothing here must outlive the session.
"""

import os

RAM_DISK = "/dev/shm"
NEEDED_BYTES = 2 * 1024**3  # the suite's files peak well below this


def scratch_folder() -> str | None:
    """A RAM disk with room for the suite's files, or None to keep the system's default."""
    if not (os.path.isdir(RAM_DISK) and os.access(RAM_DISK, os.W_OK | os.X_OK)):
        return None
    stats = os.statvfs(RAM_DISK)
    return RAM_DISK if stats.f_bavail * stats.f_frsize >= NEEDED_BYTES else None
