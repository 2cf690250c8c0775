"""How a report's content lives at rest: JSON and files encrypted under its data key.

Each ciphertext is bound to its report, field and row (app/crypto/envelope.py). Texts are
padded to whole kilobytes before encryption, so a ciphertext's length tells roughly how long
a text is, never exactly.
"""

import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from app.crypto.envelope import decrypt, encrypt
from app.extensions import db
from app.models import Attachment, Author, Message, MessageKind, Report, User
from app.models.types import as_utc
from app.services.casefile.attachments import CleanedFile
from app.services.casefile.deadlines import today

PAD_BYTES = 1024


def new_ref() -> str:
    """A random reference for a report or a row (128 bits, hex)."""
    return secrets.token_hex(16)


def seal_json(data_key: bytes, value: dict | None, *context: str) -> bytes:
    """Encrypt a JSON object, padded with trailing spaces (which JSON ignores)."""
    raw = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % PAD_BYTES)
    return encrypt(data_key, raw, *context)


def open_json(data_key: bytes, ciphertext: bytes, *context: str) -> dict | None:
    """Inverse of :func:`seal_json`; raises DecryptionError when it does not open here."""
    return json.loads(decrypt(data_key, ciphertext, *context))


@dataclass(frozen=True)
class FileView:
    """An attachment as shown to a reader: its name and what was removed from it."""

    ref: str
    name: str
    content_type: str
    size: int
    removed: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class MessageView:
    """One decrypted message of the conversation."""

    author: Author
    sent_on: date
    text: str
    files: list[FileView] = field(default_factory=list)
    kind: MessageKind | None = None  # officer messages: what the message is
    written_at: datetime | None = None  # officer messages: to the minute


def write_content(report: Report, data_key: bytes, content: dict, identity: dict | None) -> None:
    """Encrypt the report body and, apart from it, the reporter's identity."""
    report.content = seal_json(data_key, content, report.ref, "content")
    report.identity = seal_json(data_key, identity, report.ref, "identity")


def read_content(report: Report, data_key: bytes) -> tuple[dict, dict | None]:
    """The decrypted report body and identity (None when the reporter stayed anonymous)."""
    content = open_json(data_key, report.content, report.ref, "content")
    identity = (open_json(data_key, report.identity, report.ref, "identity")
                if report.identity is not None else None)
    return content, identity


def excluded_by_reporter(report: Report, data_key: bytes) -> set[int]:
    """Ids of the officers the reporter asked to keep out of the report (its body only is
    opened, never the identity section)."""
    content = open_json(data_key, report.content, report.ref, "content")
    return set(content.get("excluded_officers", []))


def _attachment_context(report: Report, attachment: Attachment, field: str) -> tuple[str, ...]:
    """Bound to the report, the row and the message it came with ("" for the report itself),
    so a file cannot be moved to another message either."""
    return (report.ref, field, attachment.ref,
            attachment.message.ref if attachment.message is not None else "")


def add_files(report: Report, data_key: bytes, files: list[CleanedFile],
              message: Message | None = None) -> list[Attachment]:
    """Encrypt cleaned files into attachments of the report (and of a message)."""
    attachments = []
    for cleaned in files:
        attachment = Attachment(ref=new_ref())
        report.attachments.append(attachment)
        attachment.message = message
        details = {"name": cleaned.name, "type": cleaned.content_type,
                   "size": len(cleaned.data), "removed": list(cleaned.removed),
                   "notes": list(cleaned.notes)}
        attachment.details = seal_json(data_key, details, *_attachment_context(
            report, attachment, "attachment-details"))
        attachment.content = encrypt(data_key, cleaned.data, *_attachment_context(
            report, attachment, "attachment"))
        attachments.append(attachment)
    return attachments


def file_view(report: Report, data_key: bytes, attachment: Attachment) -> FileView:
    """The decrypted description of an attachment (not its bytes)."""
    details = open_json(data_key, attachment.details,
                        *_attachment_context(report, attachment, "attachment-details"))
    return FileView(attachment.ref, details["name"], details["type"], details["size"],
                    tuple(details["removed"]), tuple(details["notes"]))


def file_bytes(report: Report, data_key: bytes, attachment: Attachment) -> bytes:
    """The decrypted bytes of an attachment."""
    return decrypt(data_key, attachment.content,
                   *_attachment_context(report, attachment, "attachment"))


@dataclass(frozen=True)
class Download:
    """A decrypted attachment on its way to a reader's browser."""

    name: str
    content_type: str
    data: bytes


def decrypted_file(report: Report, data_key: bytes, attachment: Attachment) -> Download:
    """An attachment's name, type and bytes, decrypted for download."""
    view = file_view(report, data_key, attachment)
    return Download(view.name, view.content_type, file_bytes(report, data_key, attachment))


def add_message(report: Report, data_key: bytes, author: Author, text: str,
                files: list[CleanedFile] = (), officer: User | None = None,
                kind: MessageKind | None = None) -> Message:
    """Append an encrypted message (with files) to the conversation; not committed.

    The author is part of the associated data, so a database writer cannot turn an
    officer's message into one that appears to come from the reporter, or back. An officer
    message keeps its minute and its ``kind``; a reporter message only its day. Keeps the
    report's attention days: a reporter message waits to be read and answered, an officer
    message answers it.
    """
    day = today()
    message = Message(ref=new_ref(), author=author, officer=officer, sent_on=day)
    if author == Author.OFFICER:
        message.written_at = datetime.now(UTC).replace(microsecond=0)
        message.kind = kind or MessageKind.UPDATE
        report.awaiting_answer_since = None
    else:
        message.kind = kind  # None, or MessageKind.MEETING_REQUEST
        report.awaiting_answer_since = report.awaiting_answer_since or day
        report.reporter_wrote_on = report.reporter_wrote_on or day
    report.last_activity_on = day
    # An officer message's kind is sealed with its text, so what the reporter is shown as
    # feedback is what the officer sent as feedback, whatever the plaintext column says.
    sealed = {"text": text, "kind": message.kind.value} if message.kind else {"text": text}
    message.body = seal_json(data_key, sealed, report.ref, "message", message.ref,
                             author.value)
    report.messages.append(message)
    add_files(report, data_key, list(files), message)
    return message


def read_conversation(report: Report, data_key: bytes) -> list[MessageView]:
    """Every message of the report, oldest first, decrypted."""
    return [_message_view(report, data_key, message) for message in report.messages]


def _message_view(report: Report, data_key: bytes, message: Message) -> MessageView:
    body = open_json(data_key, message.body, report.ref, "message", message.ref,
                     message.author.value)
    # Messages sealed before kinds were sealed too fall back to the column.
    kind = MessageKind(body["kind"]) if "kind" in body else message.kind
    written_at = as_utc(message.written_at) if message.written_at else None
    return MessageView(author=message.author, sent_on=message.sent_on, text=body["text"],
                       files=[file_view(report, data_key, a) for a in message.attachments],
                       kind=kind, written_at=written_at)


def report_files(report: Report, data_key: bytes) -> list[FileView]:
    """The files sent with the report itself (not with later messages)."""
    return [file_view(report, data_key, a) for a in report.attachments if a.message is None]


def stored_file_bytes(report: Report) -> int:
    """Bytes of attachments the report holds (ciphertext length, as AEAD hides no length)."""
    if report.id is None:
        return 0
    return db.session.scalar(
        select(func.coalesce(func.sum(func.length(Attachment.content)), 0))
        .where(Attachment.report_id == report.id)
    )
