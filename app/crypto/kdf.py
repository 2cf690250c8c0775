"""Key derivation: Argon2id for human secrets (passwords, receipts), HKDF for random ones."""

import secrets
import threading
import unicodedata
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SALT_BYTES = 16
KEY_BYTES = 32
# Upper bounds for costs read back from the database: a tampered row must not be able to
# make a login allocate gigabytes or spin for minutes.
MAX_MEMORY_KIB = 1024 * 1024
MAX_ITERATIONS = 16
MAX_LANES = 16


class DerivationsBusy(RuntimeError):
    """More derivations are waiting in this process than it accepts (``QUEUE.bound``)."""


class DerivationQueue:
    """Argon2id runs one at a time per process, and at most ``bound`` wait for their turn.

    cryptography runs Argon2id lanes on OpenSSL's thread pool, which is capped at the CPU
    count. Two derivations with several lanes at once in one process then starve each
    other: they fail with MemoryError or hang for good (seen with cryptography 50 / OpenSSL
    4.0 under gunicorn's threads). One derivation already keeps every core busy, so running
    them one at a time costs next to nothing. During a burst the line grows instead: past
    the bound a request is told at once that the service is busy (and keeps what was typed)
    rather than waiting minutes. ``None`` waits without limit (commands, tests). A
    derivation for which :data:`PATIENT` is set waits whatever the line's length: the web
    layer sets it for requests whose uploads took long to arrive, which a busy answer would
    make the reporter send again.
    """

    def __init__(self) -> None:
        self._turn = threading.Lock()
        self._counting = threading.Lock()
        self.queued = 0  # running and waiting
        self.bound: int | None = None

    @contextmanager
    def turn(self):
        """Wait for this derivation's turn, or raise DerivationsBusy when the line is full."""
        with self._counting:
            if self.bound is not None and self.queued > self.bound and not PATIENT.get():
                raise DerivationsBusy(f"{self.queued} derivations queued")
            self.queued += 1
        try:
            with self._turn:
                yield
        finally:
            with self._counting:
                self.queued -= 1


QUEUE = DerivationQueue()
PATIENT: ContextVar[bool] = ContextVar("patient", default=False)


@dataclass(frozen=True)
class KdfCost:
    """Argon2id cost: memory in KiB, passes, lanes. Stored beside each derived key."""

    memory_kib: int
    iterations: int
    lanes: int

    def __post_init__(self) -> None:
        if not (1 <= self.lanes <= MAX_LANES and 1 <= self.iterations <= MAX_ITERATIONS
                and 8 * self.lanes <= self.memory_kib <= MAX_MEMORY_KIB):
            raise ValueError(f"Argon2id cost out of bounds: {self}")

    def as_dict(self) -> dict[str, int]:
        """Plain form for the database."""
        return asdict(self)

    def as_key(self) -> str:
        """One short text per cost, for a unique column."""
        return f"argon2id m={self.memory_kib} t={self.iterations} p={self.lanes}"

    @classmethod
    def from_dict(cls, data: dict[str, int]) -> "KdfCost":
        """Inverse of :meth:`as_dict`."""
        return cls(int(data["memory_kib"]), int(data["iterations"]), int(data["lanes"]))

    @classmethod
    def from_config(cls, config: dict) -> "KdfCost":
        """The cost configured for this deployment (KDF_* settings)."""
        return cls(config["KDF_MEMORY_KIB"], config["KDF_ITERATIONS"], config["KDF_LANES"])


def new_salt() -> bytes:
    """A fresh random salt."""
    return secrets.token_bytes(SALT_BYTES)


def derive_key(secret: str, salt: bytes, cost: KdfCost, purpose: bytes) -> bytes:
    """Derive a 32-byte key from a human secret.

    :param purpose: bound into the derivation as Argon2 associated data, so one secret used for
        two purposes gives unrelated keys.
    """
    kdf = Argon2id(
        salt=salt,
        length=KEY_BYTES,
        iterations=cost.iterations,
        lanes=cost.lanes,
        memory_cost=cost.memory_kib,
        ad=purpose,
    )
    # NFC (RFC 8265, OpaqueString): "ė" typed as one code point or as "e" + combining dot
    # must give the same key, or a staff member is locked out of their private key.
    with QUEUE.turn():
        return kdf.derive(unicodedata.normalize("NFC", secret).encode("utf-8"))


def expand_key(secret: bytes, purpose: bytes, length: int = KEY_BYTES) -> bytes:
    """HKDF-SHA256 of a high-entropy secret (a random token, a configured key) for one
    purpose. Never for human secrets: those go through :func:`derive_key`."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None,
                info=purpose).derive(secret)
