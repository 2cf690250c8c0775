"""Voice recordings disguised in memory, so that a reporter can speak instead of type.

**What the disguise protects against.** Listeners who know the reporter's voice — a
colleague, a manager, the officer reading the report — recognise it mostly by its pitch and
by its timbre, which the resonances of the speaker's throat and mouth (the formants) give it.
Both are moved here: the formants by FORMANT_SHIFT_RATIO, the pitch by PITCH_FACTOR, in one
step by Praat's "Change gender" (overlap-add resynthesis). The voice then sounds like another,
smaller speaker, and stays intelligible. Nothing else from the original file survives: its
container and every tag in it (title, the phone's model, dates, the position iPhones record)
are left behind, and the disguised sound is encoded anew, without tags.

**What it cannot hide.** Everything in the recording that is not pitch or timbre stays as
spoken: accent and dialect, word choice and turns of phrase, speech rhythm, pauses and
intonation, a stammer or a cough, and background sounds (a colleague's voice, an
announcement, a church bell, the hum of a particular office). What is said can name the
reporter as surely as a voice. The disguise is also a fixed, published transformation: anyone
who has the disguised file and reads this module can apply the inverse shift and come close to
the original voice, so it stops recognition by ear, not a determined analysis. A reporter who
must not be recognised at all should write instead.

**Output: MP3, mono, constant bit rate.** Every browser's ``<audio>`` plays MP3, including
Safari on older iPhones and Macs, which plays no Ogg at all; the patents on MP3 have expired.
Constant bit rate lets players compute the duration without the Xing header, which would
carry the encoder's name. The file holds no ID3 tag and no Xing header; the only text
left is LAME's version string, which the encoder writes into unused bits of its frames and
which cannot be switched off: it names our encoder, the same for every report.

**Limits.** Input up to MAX_INPUT_BYTES, recognised by its first bytes (M4A/AAC, including
files whose index comes last, as iPhones write them; Ogg/Opus; MP3; WAV; WebM/Opus) and
decoded only by the decoders in AUDIO_CODECS. From a video, only the sound is taken. Decoding
stops as soon as the sound passes MAX_SECONDS, so a small file that unpacks into hours cannot
exhaust memory. A recording shorter than MIN_SECONDS is refused, and so is one in which Praat
finds not a single voiced moment (digital silence, a muted microphone): there is nothing to
disguise, and the reporter had better learn that the microphone did not work. Whispering
passes (noise always has a few moments Praat takes for voiced), and its formants are moved
too. A file cut short keeps what can be decoded of it, as a recorder that stopped mid-write
leaves it, except an M4A whose index, written last, is missing: that one cannot be read.

**Memory and threads.** Everything stays in memory: the file is read from ``io.BytesIO``, no
temporary file or pipe is made. The sound is decoded, disguised and encoded in segments
(SEGMENT_SECONDS), so memory does not grow with the recording's length: ten minutes add
about 70 MB to a worker and take 9 to 11 seconds of one core (figures: ``bench/voice.py``).
Only the disguised MP3 is kept; each segment's samples are dropped once encoded. Parselmouth
holds the GIL while Praat runs, so the other threads of a worker stand still for a segment's
disguise at a time (about 0.15 s), and a disguise runs on one core however many threads wait.
"""

import io
import itertools
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import av
import numpy as np
import parselmouth
from flask_babel import gettext as _
from flask_babel import ngettext
from parselmouth.praat import call

from app.services import ServiceError

MEGABYTE = 1024 * 1024
MAX_INPUT_BYTES = 50 * MEGABYTE
MAX_SECONDS = 15 * 60
MIN_SECONDS = 1.0
# Wideband speech: the formants and the hiss of "s" lie below the 8 kHz it keeps, and Praat's
# work, which grows with the number of samples, costs a quarter less than at 22.05 kHz.
SAMPLE_RATE = 16_000
# 1.1 is Praat's example for giving a male voice "approximate female formant
# characteristics"; 15 % moves them further than that, and still far less than vowels differ
# from one another, so words stay apart. The pitch moves the same way, about 4.5 semitones up,
# more than a voice varies from day to day. The same way, because the formant shift itself
# raises the pitch by its ratio on the way, and overlap-add then corrects only what is left
# (1.3 / 1.15); opposite directions would have it stretch every period by a third and blur
# the voice.
FORMANT_SHIFT_RATIO = 1.15
PITCH_FACTOR = 1.3
# Praat's standard pitch range for speech (Hz): below 75, creaky voice; above 600, a child's.
PITCH_FLOOR = 75.0
PITCH_CEILING = 600.0
# Praat holds the whole sound in 64-bit samples and makes several copies of it: ten minutes in
# one piece added 720 MB to a worker, in segments of about SEGMENT_SECONDS 60 MB. A segment
# ends at the quietest moment (mostly a pause between words) of its last SEARCH_SECONDS, so
# no cut falls in a syllable, and other threads run between segments. Each segment's pitch is
# multiplied by the same factor, so the voice does not change from one to the next. Every
# segment but the first is at least SEARCH_SECONDS long, and the first at least
# SEGMENT_SECONDS - SEARCH_SECONDS unless it is the whole recording; Praat's pitch analysis
# needs a fraction of a second.
SEGMENT_SECONDS = 30.0
SEARCH_SECONDS = 5.0
QUIET_FRAME_SECONDS = 0.02
# 48 kbit/s is ample for one voice at 16 kHz: a minute takes 360 kB, MAX_SECONDS 5.4 MB.
BIT_RATE = 48_000
HEADROOM = 0.99  # the peak the encoded sound may reach: overlap-add can overshoot 1.0

# What we recognise a recording by: its first bytes, and FFmpeg's demuxer for it. The demuxer
# is named, never guessed: FFmpeg's guessing tries every format it knows, playlists included,
# and a playlist can make it open other files.
MP4, OGG, MATROSKA, WAV, MP3 = "m4a", "ogg", "webm", "wav", "mp3"
DEMUXERS = {MP4: "mp4", OGG: "ogg", MATROSKA: "matroska", WAV: "wav", MP3: "mp3"}
# Decoders for what phones and browsers record (AAC, Opus, Vorbis, MP3, AMR in 3GP, ALAC,
# FLAC, PCM in WAV); any other codec in a container is refused, so FFmpeg's hundreds of
# rarely used decoders never see a reporter's upload.
AUDIO_CODECS = frozenset({
    "aac", "opus", "vorbis", "mp3", "amr_nb", "amr_wb", "alac", "flac",
    "pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_f32le", "pcm_u8", "pcm_alaw", "pcm_mulaw"})


@dataclass(frozen=True)
class DisguisedAudio:
    """A disguised recording, ready to be stored as an attachment: the only copy kept."""

    content: bytes
    mimetype: str
    extension: str
    seconds: float
    source_format: str  # what the reporter sent: "m4a", "ogg", "webm", "wav" or "mp3"


def disguise_voice(data: bytes, formant_shift_ratio: float = FORMANT_SHIFT_RATIO,
                   pitch_factor: float = PITCH_FACTOR,
                   max_bytes: int = MAX_INPUT_BYTES) -> DisguisedAudio:
    """Decode a recording, move its formants and pitch, and encode it as a tagless MP3.

    Decoding, disguise and encoding run segment by segment, so memory does not grow with the
    recording's length (apart from the MP3 itself).

    :param formant_shift_ratio: what the formant frequencies are multiplied by.
    :param pitch_factor: what the pitch is multiplied by.
    :param max_bytes: the largest input taken (the pages pass the upload limit).
    :raises ServiceError: not a recording we read, too large, too long, too short or silent.
    """
    if len(data) > max_bytes:
        raise ServiceError(_("The recording is larger than %(limit)d MB. Record a shorter "
                             "one, or split it into parts.", limit=max_bytes // MEGABYTE))
    source_format = recognise(data)
    if source_format is None:
        raise unreadable()
    out = io.BytesIO()
    samples, voiced = 0, False
    with av.open(out, "w", format="mp3",
                 container_options={"id3v2_version": "0", "write_xing": "0"}) as container:
        stream = container.add_stream("libmp3lame", rate=SAMPLE_RATE, layout="mono")
        stream.bit_rate = BIT_RATE
        for segment in _segments(_decode(data, source_format)):
            if not samples and segment.size < MIN_SECONDS * SAMPLE_RATE:
                raise too_short()  # a first segment this short is the whole recording
            disguised, segment_voiced = _disguise(segment, formant_shift_ratio, pitch_factor)
            voiced = voiced or segment_voiced
            frame = av.AudioFrame.from_ndarray(disguised.reshape(1, -1), format="fltp",
                                               layout="mono")
            frame.sample_rate, frame.pts = SAMPLE_RATE, samples
            samples += segment.size
            for packet in stream.encode(frame):
                container.mux(packet)
        if not samples:
            raise too_short()
        if not voiced:
            raise ServiceError(_("We could not hear a voice in the recording. Check that the "
                                 "microphone works, then record again."))
        for packet in stream.encode(None):
            container.mux(packet)
    return DisguisedAudio(content=out.getvalue(), mimetype="audio/mpeg", extension="mp3",
                          seconds=round(samples / SAMPLE_RATE, 2), source_format=source_format)


def recognise(data: bytes) -> str | None:
    """The kind of recording the bytes start like, or None."""
    if data[4:8] == b"ftyp":
        return MP4
    if data.startswith(b"OggS"):
        return OGG
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return MATROSKA
    if data.startswith(b"RIFF") and data[8:12] == b"WAVE":
        return WAV
    # An ID3 tag, or the first frame's sync bits followed by "layer III".
    if data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF
                                   and data[1] & 0xE6 == 0xE2):
        return MP3
    return None


def _decode(data: bytes, source_format: str) -> Iterator[np.ndarray]:
    """The first audio stream, mono at SAMPLE_RATE, in 32-bit float pieces as decoded.

    :raises ServiceError: unreadable, or longer than MAX_SECONDS (as soon as it is).
    """
    limit, samples = MAX_SECONDS * SAMPLE_RATE, 0
    try:
        with av.open(io.BytesIO(data), format=DEMUXERS[source_format]) as container:
            if not container.streams.audio:
                raise unreadable()
            stream = container.streams.audio[0]
            if stream.codec_context.codec.canonical_name not in AUDIO_CODECS:
                raise unreadable()
            resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
            for frame in itertools.chain(container.decode(stream), [None]):  # None: flush
                for mono in resampler.resample(frame):
                    piece = mono.to_ndarray()[0]
                    samples += piece.size
                    if samples > limit:
                        raise too_long()
                    # A 32-bit float WAV may hold anything, NaN included.
                    np.nan_to_num(piece, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
                    yield np.clip(piece, -1.0, 1.0, out=piece)
    except ServiceError:
        raise
    except Exception:  # a hostile file may break a demuxer or decoder in any way
        raise unreadable() from None


def _segments(pieces: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """The sound in segments, each ending at the quietest moment of the SEARCH_SECONDS before
    SEGMENT_SECONDS; the last is what remains (less than SEGMENT_SECONDS + SEARCH_SECONDS)."""
    frame = round(QUIET_FRAME_SECONDS * SAMPLE_RATE)
    frames = round(SEARCH_SECONDS / QUIET_FRAME_SECONDS)
    segment = round(SEGMENT_SECONDS * SAMPLE_RATE)
    start = segment - frames * frame
    buffered, size = [], 0
    for piece in pieces:
        buffered.append(piece)
        size += piece.size
        if size < segment + frames * frame:
            continue
        sound = np.concatenate(buffered)
        energy = np.square(sound[start:segment].reshape(frames, frame)).sum(axis=1)
        cut = start + int(np.argmin(energy)) * frame + frame // 2
        yield sound[:cut]
        buffered, size = [sound[cut:].copy()], sound.size - cut
    if size:
        yield np.concatenate(buffered)


def _disguise(segment: np.ndarray, formant_shift_ratio: float,
              pitch_factor: float) -> tuple[np.ndarray, bool]:
    """The segment with formants and pitch moved (as many samples, within HEADROOM), and
    whether Praat found any voiced sound in it."""
    sound = parselmouth.Sound(segment, sampling_frequency=SAMPLE_RATE)
    pitch = call(sound, "To Pitch", 0.0, PITCH_FLOOR, PITCH_CEILING)
    voiced = call(pitch, "Count voiced frames") > 0
    if voiced:
        median = call(pitch, "Get quantile", 0.0, 0.0, 0.5, "Hertz")
        changed = call([sound, pitch], "Change gender", formant_shift_ratio,
                       median * pitch_factor, 1.0, 1.0)
    else:
        with warnings.catch_warnings():
            # A segment without voice (a long pause) still has its formants moved, but
            # Praat warns that it found no pitch to change. The filters are process-wide:
            # another thread may lose a Praat warning meanwhile, nothing more.
            warnings.simplefilter("ignore", parselmouth.PraatWarning)
            changed = call([sound, pitch], "Change gender", formant_shift_ratio, 0.0, 1.0,
                           1.0)
    values = changed.values[0, :segment.size].astype(np.float32)
    values = np.pad(values, (0, segment.size - values.size))
    return np.clip(values, -HEADROOM, HEADROOM, out=values), voiced


def unreadable() -> ServiceError:
    """The refusal of a file that is no recording we read, or a damaged one."""
    return ServiceError(_("We could not read this recording. It may be damaged, or in a "
                          "format we do not accept: send M4A, MP3, Ogg, WebM or WAV."))


def too_short() -> ServiceError:
    """The refusal of an empty recording, or one shorter than MIN_SECONDS."""
    return ServiceError(_("The recording is empty or too short. Record at least a few words."))


def too_long() -> ServiceError:
    """The refusal of a recording longer than MAX_SECONDS."""
    return ServiceError(ngettext(
        "The recording is longer than %(num)d minute. Record a shorter one, or split it into "
        "parts.",
        "The recording is longer than %(num)d minutes. Record a shorter one, or split it into "
        "parts.", MAX_SECONDS // 60))
