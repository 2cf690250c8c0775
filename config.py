"""Configuration classes, read from environment variables.

Choose one with ``SKAIDRA_CONFIG`` (``production`` by default, ``development``, ``test``).
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"

# Values that must never reach production: the placeholder below and the empty string.
INSECURE_SECRETS = frozenset({"", "change-me", "dev", "development", "secret"})

SURFACES = ("public", "staff", "all")


class ConfigError(RuntimeError):
    """Raised at start-up when the configuration is unsafe or incomplete."""


def _env_int(name: str, default: int) -> int:
    """Read an integer environment variable, with a clear error when it is malformed."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as error:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}.") from error


def _env_bool(name: str, default: bool) -> bool:
    """Read a yes/no environment variable."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str) -> list[str] | None:
    """Read a comma-separated environment variable; None when it names nothing."""
    items = [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]
    return items or None


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'skaidra.sqlite3'}"
    )
    # hide_parameters keeps bound values (ciphertexts, dates, categories) out of error messages.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
    # Database connections per process (kept open, and opened beyond that under load). A
    # request holds one from its first query to its end, also while its key derivation
    # waits in line: keep DB_POOL_SIZE + DB_POOL_OVERFLOW above KDF_QUEUE_LIMIT, and the sum
    # over all processes below PostgreSQL's max_connections (100 by default).
    DB_POOL_SIZE = _env_int("DB_POOL_SIZE", 10)
    DB_POOL_OVERFLOW = _env_int("DB_POOL_OVERFLOW", 10)

    # Which audiences this instance serves; lets the staff workspace live off the Internet.
    SKAIDRA_SURFACE = os.environ.get("SKAIDRA_SURFACE", "all")

    # Rate-limit counters must be shared between app nodes: use redis:// or memcached:// there.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = False
    # While that store is unreachable, each process counts on its own rather than failing
    # every limited request: an outage of Redis must not close the reporting channel.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True

    # Proxies in front of the app whose X-Forwarded-Proto we trust (for HSTS and Secure cookies).
    # X-Forwarded-For is never read: the app has no use for client addresses.
    TRUSTED_PROXY_COUNT = _env_int("TRUSTED_PROXY_COUNT", 0)

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = _env_int("MAIL_PORT", 587)
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", True)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "")
    # Implicit TLS from the first byte (usually port 465), instead of STARTTLS on 587.
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL", False)
    # Seconds each SMTP step may take. Notices of a new report are sent while the reporter
    # waits for the receipt page, so an unreachable mail server must not hold it long.
    MAIL_TIMEOUT_SECONDS = _env_int("MAIL_TIMEOUT_SECONDS", 10)
    # The staff workspace's address for links in notification e-mails (e.g.
    # https://integrity.example.lt). Empty: PUBLIC_BASE_URL, which is right when one node
    # serves both surfaces. Never taken from a request: a forged Host header would turn the
    # links into phishing links.
    STAFF_BASE_URL = os.environ.get("STAFF_BASE_URL", "").rstrip("/")

    # Argon2id cost for staff passwords and receipts. RFC 9106's second recommended option
    # (64 MiB, 3 passes) is the floor for production; tests inject cheap values.
    KDF_MEMORY_KIB = _env_int("KDF_MEMORY_KIB", 65536)
    KDF_ITERATIONS = _env_int("KDF_ITERATIONS", 3)
    KDF_LANES = _env_int("KDF_LANES", 4)
    # Derivations that may wait in line per process while one runs (about 0.13 s each at the
    # default cost on two cores); past that, a request is told the service is busy at once,
    # with what was typed kept (app/crypto/kdf.py, docs/deploy.md section 3).
    KDF_QUEUE_LIMIT = _env_int("KDF_QUEUE_LIMIT", 8)

    # The languages themselves are app.languages.LANGUAGES, a fact of the code, not a setting.
    BABEL_DEFAULT_LOCALE = "lt"
    BABEL_DEFAULT_TIMEZONE = "Europe/Vilnius"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")

    # Attachments: per file and per report (all files of a report and its messages together).
    # A request may carry a whole report's worth of files plus its text.
    MAX_FILE_BYTES = _env_int("MAX_FILE_MB", 25) * 1024 * 1024
    MAX_REPORT_BYTES = _env_int("MAX_REPORT_MB", 100) * 1024 * 1024
    MAX_CONTENT_LENGTH = MAX_REPORT_BYTES + 1024 * 1024
    # A form's text fields together: a disguised voice message rides from the check page to
    # sending in a hidden field (15 minutes of MP3 is 5.4 MB, 7.2 MB in base64).
    MAX_FORM_MEMORY_SIZE = 10 * 1024 * 1024
    # Memory per process for request bodies being received (they are never written to disk):
    # room for 290 uploads of 5 MB at once, or 15 of the largest. Cleaning and encrypting a
    # received body has room of its own, two more copies of the largest sending. A request
    # that finds no room waits this long, then is told the service is busy (app/web/capacity.py).
    UPLOAD_MEMORY_MB = _env_int("UPLOAD_MEMORY_MB", 1536)
    UPLOAD_WAIT_SECONDS = _env_int("UPLOAD_WAIT_SECONDS", 60)
    # Each PDF is cleaned in a child process with this much address space (the interpreter
    # and pypdf take about 55 MB of it) and this many seconds, wall clock and CPU.
    PDF_CLEAN_MEMORY_MB = _env_int("PDF_CLEAN_MEMORY_MB", 512)
    PDF_CLEAN_SECONDS = _env_int("PDF_CLEAN_SECONDS", 30)

    # Reporter mailbox sessions: short, and ended by inactivity.
    MAILBOX_IDLE_MINUTES = _env_int("MAILBOX_IDLE_MINUTES", 15)
    MAILBOX_ABSOLUTE_MINUTES = _env_int("MAILBOX_ABSOLUTE_MINUTES", 60)

    # Staff sessions: ended by 30 minutes without a request, and 8 hours after sign-in.
    STAFF_IDLE_MINUTES = _env_int("STAFF_IDLE_MINUTES", 30)
    STAFF_ABSOLUTE_HOURS = _env_int("STAFF_ABSOLUTE_HOURS", 8)
    STAFF_COOKIE_NAME = "skaidra_staff"
    # The inbox's full-text search decrypts each case it reads: it reads at most this many,
    # the most recent the filters select (app/services/casework/search.py).
    SEARCH_CASE_LIMIT = _env_int("SEARCH_CASE_LIMIT", 1000)
    # One CSV download of the audit log holds at most this many entries (it is built in
    # memory); a longer log is exported in parts, filtered by days.
    AUDIT_EXPORT_LIMIT = _env_int("AUDIT_EXPORT_LIMIT", 50_000)
    # Marks a browser that has signed the account in before (docs/security.md, section 7).
    STAFF_DEVICE_COOKIE_NAME = "skaidra_staff_device"
    # Sign-in attempts per account (password and two-factor steps each), whether or not the
    # account exists, so the limit says nothing about which addresses are real. A browser
    # that has signed the account in before has a counter of its own with the same limit.
    STAFF_LOGIN_RATE_LIMIT = os.environ.get("STAFF_LOGIN_RATE_LIMIT", "10 per 15 minutes")
    # Invitation and recovery links stay valid this long.
    ACCOUNT_LINK_DAYS = _env_int("ACCOUNT_LINK_DAYS", 7)
    # Key of the audit log's hash chain; derived from SECRET_KEY when empty. Keep it when
    # rotating SECRET_KEY, or `flask audit-verify` will report the old entries as broken.
    AUDIT_KEY = os.environ.get("AUDIT_KEY", "")

    # Rate limits (Flask-Limiter syntax). No client address exists to key on: reports are
    # counted per institution, receipt sign-ins for the whole service and per browser
    # session, reporters' messages per browser session. RATELIMIT_STORAGE_URI must point at a
    # shared store (redis://, memcached://) when several processes or nodes serve: memory://
    # counts per process.
    # Reports past REPORT_RATE_LIMIT per institution are accepted and marked as a possible
    # flood, never refused; one browser session may send REPORT_SESSION_RATE_LIMIT. Only
    # requests with a valid CSRF token and check-page token are counted (docs/security.md).
    REPORT_RATE_LIMIT = os.environ.get("REPORT_RATE_LIMIT", "30 per hour")
    REPORT_SESSION_RATE_LIMIT = os.environ.get("REPORT_SESSION_RATE_LIMIT", "10 per hour")
    RECEIPT_RATE_LIMIT = os.environ.get("RECEIPT_RATE_LIMIT", "120 per minute")
    RECEIPT_SESSION_RATE_LIMIT = os.environ.get("RECEIPT_SESSION_RATE_LIMIT", "10 per minute")
    MESSAGE_RATE_LIMIT = os.environ.get("MESSAGE_RATE_LIMIT", "30 per hour")
    # Survey responses per browser session, and per institution (a flood of invented
    # responses would skew the figures; the limit cannot tell people apart and must not).
    SURVEY_SESSION_RATE_LIMIT = os.environ.get("SURVEY_SESSION_RATE_LIMIT", "5 per hour")
    SURVEY_RATE_LIMIT = os.environ.get("SURVEY_RATE_LIMIT", "200 per hour")

    # The address reporters use, for links, snippets and QR codes (e.g. https://report.example.lt
    # or an onion address). Empty: taken from the request, if ALLOWED_HOSTS lists its host.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "").rstrip("/")
    # The host names this service answers to (e.g. report.example.lt,integrity.example.lt;
    # .example.lt for every subdomain); any other Host header gets 400, except on /healthz.
    # Empty: links are built only from PUBLIC_BASE_URL or from 127.0.0.1 and localhost, and
    # production refuses to start with neither, so no link, snippet or QR code repeats a
    # forged Host header. Not Flask's TRUSTED_HOSTS: when that refuses a host, the error page
    # itself fails (Flask drops the URL adapter) and each forged request logs a 500.
    ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS")
    WTF_CSRF_TIME_LIMIT = 3600
    # Flask-WTF's HTTPS check demands a same-origin Referer, which our Referrer-Policy
    # (no-referrer, to protect reporters) never lets browsers send: it would reject every form
    # over HTTPS. The signed token bound to the SameSite=Strict session cookie is the defence.
    WTF_CSRF_SSL_STRICT = False

    SESSION_COOKIE_NAME = "skaidra_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Strict"
    SESSION_COOKIE_SECURE = True

    # The demo network has published passwords: only development and tests may load it.
    SKAIDRA_ALLOW_DEMO = False

    @classmethod
    def prepare(cls) -> None:
        """Refuse settings that would make the service unsafe; say what to change."""
        if cls.SKAIDRA_SURFACE not in SURFACES:
            raise ConfigError(
                f"SKAIDRA_SURFACE must be one of {', '.join(SURFACES)}, "
                f"not {cls.SKAIDRA_SURFACE!r}."
            )
        if any("/" in host for host in cls.ALLOWED_HOSTS or ()):
            raise ConfigError(
                "ALLOWED_HOSTS lists host names such as report.example.lt, without https:// "
                "or a path."
            )
        from app.crypto.kdf import MAX_ITERATIONS, MAX_LANES, MAX_MEMORY_KIB, KdfCost

        try:
            KdfCost(cls.KDF_MEMORY_KIB, cls.KDF_ITERATIONS, cls.KDF_LANES)
        except ValueError:
            raise ConfigError(
                f"KDF_MEMORY_KIB (8 × lanes to {MAX_MEMORY_KIB}), KDF_ITERATIONS (1 to "
                f"{MAX_ITERATIONS}) and KDF_LANES (1 to {MAX_LANES}) are out of range."
            ) from None


class ProductionConfig(Config):
    """Internet-facing deployment behind a TLS-terminating reverse proxy."""

    # The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only, path /.
    SESSION_COOKIE_NAME = "__Host-skaidra_session"
    STAFF_COOKIE_NAME = "__Host-skaidra_staff"
    STAFF_DEVICE_COOKIE_NAME = "__Host-skaidra_staff_device"

    @classmethod
    def prepare(cls) -> None:
        """Also refuse a missing, default or short secret key and weak key derivation."""
        super().prepare()
        if cls.SECRET_KEY.strip().lower() in INSECURE_SECRETS or len(cls.SECRET_KEY) < 32:
            raise ConfigError(
                "Set the SECRET_KEY environment variable to a random value of at least 32 "
                'characters, e.g. python3 -c "import secrets; print(secrets.token_urlsafe(48))".'
            )
        if cls.KDF_MEMORY_KIB < 65536 or cls.KDF_ITERATIONS < 3:
            raise ConfigError(
                "KDF_MEMORY_KIB must be at least 65536 and KDF_ITERATIONS at least 3 in production."
            )
        if not cls.PUBLIC_BASE_URL and not cls.ALLOWED_HOSTS:
            raise ConfigError(
                "Set PUBLIC_BASE_URL (e.g. https://report.example.lt) or ALLOWED_HOSTS (the "
                "host names this service answers to): otherwise links, snippets and QR codes "
                "would repeat whatever Host header a request carries."
            )


def create_private_file(path: Path) -> bool:
    """Create an empty file only this user may read, in a folder only this user may open;
    False when it already exists (its mode is then left as the operator set it).

    The mode is given when the file is created, so no other user can open it in between.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return False
    return True


def _development_secret() -> str:
    """A per-checkout random secret kept in instance/, so `make run` needs no setup."""
    path = INSTANCE_DIR / "secret_key"
    if create_private_file(path):
        import secrets

        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


class DevelopmentConfig(Config):
    """Local demo on http://127.0.0.1:8000 with the embedded SQLite database."""

    SESSION_COOKIE_SECURE = False
    SKAIDRA_ALLOW_DEMO = True

    @classmethod
    def prepare(cls) -> None:
        """Use a per-checkout secret when SECRET_KEY is not set."""
        super().prepare()
        if not cls.SECRET_KEY:
            cls.SECRET_KEY = _development_secret()


class TestConfig(Config):
    """The test suite: cheap key derivation, a database chosen by the fixtures."""

    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production-use-0123456789"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    SESSION_COOKIE_SECURE = False
    SKAIDRA_ALLOW_DEMO = True
    RATELIMIT_STORAGE_URI = "memory://"
    KDF_MEMORY_KIB = 8
    KDF_ITERATIONS = 1
    KDF_LANES = 1


CONFIGS = {
    "production": ProductionConfig,
    "development": DevelopmentConfig,
    "test": TestConfig,
}


def config_from_environment() -> type[Config]:
    """The configuration class named by SKAIDRA_CONFIG (production when unset)."""
    name = os.environ.get("SKAIDRA_CONFIG", "production")
    try:
        return CONFIGS[name]
    except KeyError:
        raise ConfigError(
            f"SKAIDRA_CONFIG must be one of {', '.join(CONFIGS)}, not {name!r}."
        ) from None
