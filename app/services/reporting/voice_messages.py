"""A reporter's voice message: disguised as it arrives, heard on the check page, then sent.

The recording is disguised at once (:mod:`app.services.casefile.voice`); the original is
never stored. Between the check page and sending, the disguised sound travels through the
reporter's own browser, in a hidden field sealed with an HMAC bound to the browser session:
the server keeps nothing between the two requests, and what is sent must be the disguised
sound Skaidra made, never a file swapped in (an undisguised voice, or anything that is no
sound of ours). The check page plays it from a ``data:`` address, so no script and no
request of its own is needed.
"""

import base64
import hashlib
import hmac
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _

from app.crypto.kdf import expand_key
from app.services import ServiceError
from app.services.casefile.attachments import CleanedFile, Upload
from app.services.casefile.voice import BIT_RATE, disguise_voice

VOICE_FILE_NAME = "voice-message.mp3"
VOICE_TYPE = "audio/mpeg"


@dataclass(frozen=True)
class VoicePreview:
    """A disguised voice message, ready to be heard and carried to the send step."""

    audio: str  # the disguised MP3, base64
    seal: str  # HMAC over it for this browser session
    seconds: float

    @property
    def data_uri(self) -> str:
        """What the check page's ``<audio>`` plays."""
        return f"data:{VOICE_TYPE};base64,{self.audio}"

    @property
    def minutes(self) -> str:
        """The length as m:ss."""
        whole = int(self.seconds)  # as the browser's player counts
        return f"{whole // 60}:{whole % 60:02d}"


def prepare_voice(upload: Upload, session_secret: str) -> VoicePreview:
    """Disguise a recording in memory and seal the result for this browser session.

    :raises ServiceError: too large (``MAX_FILE_BYTES``, as any file), not a recording we
        read, too long, too short or silent.
    """
    disguised = disguise_voice(upload.data, max_bytes=current_app.config["MAX_FILE_BYTES"])
    audio = base64.b64encode(disguised.content).decode("ascii")
    return VoicePreview(audio, _seal(audio, session_secret), disguised.seconds)


def carried_voice(audio: str, seal: str, session_secret: str | None) -> VoicePreview | None:
    """The voice message carried from the check page, if any, checked against its seal.

    :raises ServiceError: a seal that does not fit (another session's page, or a changed
        recording): the reporter is asked to add the recording again.
    """
    if not audio:
        return None
    if not (session_secret and seal
            and hmac.compare_digest(seal, _seal(audio, session_secret))):
        raise ServiceError(_("Your voice message could not be checked. Add the recording "
                             "again."))
    # Sealed, so it is the base64 this module wrote.
    return VoicePreview(audio, seal, _seconds_of(base64.b64decode(audio)))


def voice_file(preview: VoicePreview) -> CleanedFile:
    """The disguised message as an attachment, with what was changed and what was not."""
    return CleanedFile(VOICE_FILE_NAME, VOICE_TYPE, base64.b64decode(preview.audio),
                       removed=("voice", "audio_metadata"), notes=("voice_limits",))


def _seal(audio: str, session_secret: str) -> str:
    key = expand_key(current_app.config["SECRET_KEY"].encode("utf-8"),
                     b"skaidra/voice-preview/v1")
    message = session_secret.encode("utf-8") + b"\0" + hashlib.sha256(
        audio.encode("ascii")).digest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _seconds_of(content: bytes) -> float:
    """The length of a constant-bit-rate MP3 of ours, from its size."""
    return len(content) * 8 / BIT_RATE
