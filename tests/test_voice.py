"""The voice disguise (app/services/casefile/voice.py).

Recordings are built here, in memory, as phones and browsers make them: Praat synthesises
speech or a vowel of known pitch and formants, PyAV encodes it with the tags phones write.
What comes out is measured with Praat: the pitch and the formants must have moved by the
configured amounts, and nothing of the original's container may be left.
"""

import io
import os
import sys
import tempfile
import tracemalloc
import wave
from concurrent.futures import ThreadPoolExecutor

import av
import numpy as np
import parselmouth
import pytest
from flask_babel import force_locale
from parselmouth.praat import call
from PIL import Image

from app import create_app
from app.services import ServiceError
from app.services.casefile import voice
from app.services.casefile.voice import disguise_voice
from config import TestConfig

RATE = 44_100
# What phones put in a recording: iPhones write the position as an ISO 6709 text.
TAGS = {
    "title": "Meeting with Jonas Jonaitis",
    "artist": "Ona Petraitienė",
    "location": "+54.6872+025.2797/",
    "com.apple.quicktime.location.ISO6709": "+54.6872+025.2797+112.000/",
    "creation_time": "2024-05-01T10:00:00Z",
    "model": "iPhone 15 Pro",
}
# How each kind is written: (muxer, encoder, rate, channels, muxer options). The M4A is
# written as iPhones do: the tags as QuickTime metadata keys, the index (moov) at the end.
KINDS = {
    "m4a": ("ipod", "aac", 48_000, "mono", {"movflags": "use_metadata_tags"}),
    "ogg": ("ogg", "libopus", 48_000, "mono", {}),
    "mp3": ("mp3", "libmp3lame", 44_100, "stereo", {}),
    "wav": ("wav", "pcm_s16le", 44_100, "stereo", {}),
    "webm": ("webm", "libopus", 48_000, "stereo", {}),
}
# Measured against configured: median pitch within 2 %, mean F1 and F2 within 4 % (formant
# tracking on a lossy, resynthesised vowel; unchanged, the same measure agrees within 0.5 %).
PITCH_TOLERANCE = 0.02
FORMANT_TOLERANCE = 0.04


@pytest.fixture(autouse=True, scope="module")
def english():
    """The refusals are translated: gettext needs an application, which outside a request
    speaks its default language, Lithuanian; the messages are matched in English."""
    with create_app(TestConfig).app_context(), force_locale("en"):
        yield


# --- recordings -----------------------------------------------------------------------------

def vowel(pitch: float, seconds: float = 2.0) -> parselmouth.Sound:
    """An [a] with a slow vibrato around ``pitch``: F1 700, F2 1220, F3 2600, F4 3300 Hz."""
    tier = call("Create PitchTier", "pitch", 0.0, seconds)
    for time in np.arange(0.0, seconds, 0.05):
        call(tier, "Add point", time, pitch * (1 + 0.05 * np.sin(2 * np.pi * 3 * time)))
    sound = call(call(tier, "To PointProcess"), "To Sound (pulse train)", RATE, 1, 0.05, 2000)
    for frequency, bandwidth in ((700, 80), (1220, 90), (2600, 120), (3300, 150)):
        call(sound, "Filter with one formant (in-place)", frequency, bandwidth)
    call(sound, "Scale peak", 0.8)
    return sound


def speech() -> parselmouth.Sound:
    """A sentence in Praat's synthetic voice, about three seconds. Its female voice: the
    male one's pitch dips below Praat's pitch floor, which blurs the measure of the original."""
    synthesiser = call("Create SpeechSynthesizer", "English (Great Britain)", "Female1")
    sound = call(synthesiser, "To Sound", "The head of procurement accepted a payment.", "no")
    return sound[0] if isinstance(sound, list) else sound


def silence(seconds: float) -> parselmouth.Sound:
    """Digital silence."""
    return parselmouth.Sound(np.zeros(round(seconds * RATE)), sampling_frequency=RATE)


def recording(sound: parselmouth.Sound, kind: str, tags: dict | None = None,
              codec: str | None = None) -> bytes:
    """The sound encoded as ``kind``, with ``tags`` on the container and the stream."""
    muxer, encoder, rate, layout, options = KINDS[kind]
    out = io.BytesIO()
    with av.open(out, "w", format=muxer, container_options=options) as container:
        container.metadata.update(tags or {})
        stream = container.add_stream(codec or encoder, rate=rate, layout=layout)
        stream.metadata.update(tags or {})
        resampler = av.AudioResampler(format=stream.codec_context.format.name, layout=layout,
                                      rate=rate)
        frame = av.AudioFrame.from_ndarray(sound.values.astype(np.float32), format="fltp",
                                           layout="mono")
        # A frame without a pts gives packets without one, whose timestamps the muxer makes
        # up; the resampler's last piece has one, and the MP4 muxer refuses it when it
        # falls on a made-up one (a last piece of up to 16 samples after an AAC frame).
        frame.sample_rate, frame.pts = round(sound.sampling_frequency), 0
        for converted in (*resampler.resample(frame), *resampler.resample(None), None):
            for packet in stream.encode(converted):
                container.mux(packet)
    return out.getvalue()


def decoded(content: bytes) -> parselmouth.Sound:
    """The disguised MP3 decoded back, for Praat to measure."""
    with av.open(io.BytesIO(content), format="mp3") as container:
        values = np.concatenate([frame.to_ndarray()[0] for frame in container.decode(audio=0)])
    return parselmouth.Sound(values.astype(np.float64), sampling_frequency=voice.SAMPLE_RATE)


def measured(sound: parselmouth.Sound) -> np.ndarray:
    """Median pitch and mean F1 and F2 over the voiced frames (Hz)."""
    pitch = call(sound, "To Pitch", 0.0, 75, 600)
    formants = call(sound, "To Formant (burg)", 0.0, 5, 5500, 0.025, 50)
    frames = []
    for time in np.arange(0.1, sound.duration - 0.1, 0.01):
        frequency = pitch.get_value_at_time(time)
        if not np.isnan(frequency):
            frames.append((frequency, formants.get_value_at_time(1, time),
                           formants.get_value_at_time(2, time)))
    frames = np.array(frames)
    return np.array([np.median(frames[:, 0]), *np.nanmean(frames[:, 1:], axis=0)])


def ratios(original: parselmouth.Sound, content: bytes) -> np.ndarray:
    """Disguised over original: pitch, F1, F2."""
    return measured(decoded(content)) / measured(original)


# --- the disguise ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_recording_of_each_kind_is_disguised_as_mp3(kind):
    sound = speech()
    data = recording(sound, kind, TAGS)
    if kind == "m4a":
        assert data.find(b"moov") > data.find(b"mdat")  # index last, not "faststart"

    disguised = disguise_voice(data)

    assert (disguised.mimetype, disguised.extension) == ("audio/mpeg", "mp3")
    assert disguised.source_format == kind
    assert disguised.seconds == pytest.approx(sound.duration, abs=0.05)
    with av.open(io.BytesIO(disguised.content)) as container:
        stream = container.streams.audio[0]
        assert (container.format.name, stream.codec_context.codec.canonical_name,
                stream.channels, stream.rate) == ("mp3", "mp3", 1, voice.SAMPLE_RATE)
    assert ratios(sound, disguised.content)[0] == pytest.approx(voice.PITCH_FACTOR,
                                                                rel=PITCH_TOLERANCE)


@pytest.mark.parametrize(("formant_shift_ratio", "pitch_factor"),
                         [(voice.FORMANT_SHIFT_RATIO, voice.PITCH_FACTOR), (0.87, 0.8)])
def test_pitch_and_formants_move_by_the_configured_amounts(formant_shift_ratio, pitch_factor):
    sound = vowel(120)

    disguised = disguise_voice(recording(sound, "wav"), formant_shift_ratio, pitch_factor)

    pitch, first, second = ratios(sound, disguised.content)
    assert pitch == pytest.approx(pitch_factor, rel=PITCH_TOLERANCE)
    assert first == pytest.approx(formant_shift_ratio, rel=FORMANT_TOLERANCE)
    assert second == pytest.approx(formant_shift_ratio, rel=FORMANT_TOLERANCE)


def test_default_disguise_is_plainly_heard():
    """The defaults stay a disguise: at least three semitones up, and a tenth on the formants."""
    sound = vowel(210)

    pitch, first, second = ratios(sound, disguise_voice(recording(sound, "m4a")).content)

    assert pitch > 2 ** (3 / 12)
    assert min(first, second) > 1.1


def test_disguise_is_the_same_across_segments(monkeypatch):
    monkeypatch.setattr(voice, "SEGMENT_SECONDS", 2.0)
    monkeypatch.setattr(voice, "SEARCH_SECONDS", 1.0)
    sound = vowel(120, seconds=6.0)

    disguised = disguise_voice(recording(sound, "wav"))

    assert disguised.seconds == 6.0
    content = decoded(disguised.content)
    for start in (0.0, 2.0, 4.0):  # each segment, measured on its own
        part = content.extract_part(start, start + 2.0, preserve_times=False)
        original = sound.extract_part(start, start + 2.0, preserve_times=False)
        assert measured(part)[0] / measured(original)[0] == pytest.approx(
            voice.PITCH_FACTOR, rel=PITCH_TOLERANCE)


def test_speech_between_long_pauses_is_disguised(monkeypatch):
    """The silent segments around the speech, in which Praat finds no pitch, go through too,
    and the whole keeps its length."""
    monkeypatch.setattr(voice, "SEGMENT_SECONDS", 2.0)
    monkeypatch.setattr(voice, "SEARCH_SECONDS", 1.0)
    sound = speech()
    values = np.concatenate([np.zeros(4 * RATE), sound.values[0], np.zeros(4 * RATE)])

    disguised = disguise_voice(recording(parselmouth.Sound(values, RATE), "wav"))

    assert disguised.seconds == pytest.approx(8 + sound.duration, abs=0.01)
    assert ratios(sound, disguised.content)[0] == pytest.approx(voice.PITCH_FACTOR,
                                                                rel=PITCH_TOLERANCE)


def test_from_a_video_only_the_sound_is_kept():
    sound = vowel(120)
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        video = container.add_stream("mpeg4", rate=10)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        audio = container.add_stream("aac", rate=48_000, layout="mono")
        for number in range(20):
            picture = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), "rgb24")
            picture.pts = number
            for packet in video.encode(picture):
                container.mux(packet)
        for packet in video.encode(None):
            container.mux(packet)
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=48_000)
        frame = av.AudioFrame.from_ndarray(sound.values.astype(np.float32), format="fltp",
                                           layout="mono")
        frame.sample_rate, frame.pts = RATE, 0  # as in recording()
        for converted in (*resampler.resample(frame), *resampler.resample(None), None):
            for packet in audio.encode(converted):
                container.mux(packet)

    disguised = disguise_voice(out.getvalue())

    with av.open(io.BytesIO(disguised.content)) as container:
        assert [stream.type for stream in container.streams] == ["audio"]
    assert ratios(sound, disguised.content)[0] == pytest.approx(voice.PITCH_FACTOR,
                                                                rel=PITCH_TOLERANCE)


def test_disguises_in_threads_do_not_mix(monkeypatch):
    """Gunicorn's threads may disguise at once: each gets its own voice back, moved."""
    monkeypatch.setattr(voice, "SEGMENT_SECONDS", 1.2)
    monkeypatch.setattr(voice, "SEARCH_SECONDS", 0.2)
    app = create_app(TestConfig)
    sounds = [vowel(pitch) for pitch in (100, 140, 190, 250)]
    data = [recording(sound, "wav") for sound in sounds]

    def disguise(recorded: bytes) -> bytes:
        with app.app_context():
            return disguise_voice(recorded).content

    with ThreadPoolExecutor(len(data)) as pool:
        contents = list(pool.map(disguise, data))

    for sound, content in zip(sounds, contents, strict=True):
        assert ratios(sound, content)[0] == pytest.approx(voice.PITCH_FACTOR,
                                                          rel=PITCH_TOLERANCE)


def test_truncated_ogg_keeps_what_was_recorded():
    """A recorder that stopped mid-write leaves a readable beginning; it is kept."""
    data = recording(vowel(120, seconds=3.0), "ogg")

    disguised = disguise_voice(data[:len(data) * 3 // 4])

    assert 1.5 < disguised.seconds < 2.9


# --- nothing of the original ------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_disguised_recording_has_no_metadata(kind):
    data = recording(speech(), kind, TAGS)
    with av.open(io.BytesIO(data)) as original:  # the tags are really there to be removed
        assert "Jonas Jonaitis" in str(original.metadata) + str(
            original.streams.audio[0].metadata)

    content = disguise_voice(data).content

    with av.open(io.BytesIO(content)) as container:
        assert container.metadata == {}
        assert container.streams.audio[0].metadata == {}
    for value in (*TAGS.values(), "2024-05-01", "Lavf", "Lavc"):
        assert value.encode() not in content
    assert not content.startswith((b"ID3", b"RIFF"))  # no ID3 tag ahead of the first frame
    assert b"Xing" not in content and b"Info" not in content


class FileCreations:
    """What Python code creates on disk while ``watching``: files opened for writing, temporary
    files and folders. An audit hook cannot be removed, so this one is added once and stays
    idle outside the test."""

    WRITING_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT
    EVENTS = ("tempfile.mkstemp", "tempfile.mkdtemp", "os.mkdir")

    def __init__(self) -> None:
        self.watching = False
        self.seen: list[str] = []

    def __call__(self, event: str, args: tuple) -> None:
        if not self.watching:
            return
        if event == "open":
            path, mode, flags = args
            if set(mode or "") & set("wax+") or flags & self.WRITING_FLAGS:
                self.seen.append(str(path))
        elif event in self.EVENTS:
            self.seen.append(str(args[0]))


FILE_CREATIONS = FileCreations()
sys.addaudithook(FILE_CREATIONS)


def test_nothing_is_written_to_disk(tmp_path, monkeypatch):
    """Python code creates no file at all; FFmpeg and Praat, which audit hooks do not see,
    leave nothing in the temporary folder."""
    scratch = tmp_path / "empty"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    data = recording(speech(), "m4a", TAGS)
    disguise_voice(data)  # first use: imports, which may write bytecode caches

    FILE_CREATIONS.watching = True
    try:
        disguise_voice(data)
    finally:
        FILE_CREATIONS.watching = False

    assert FILE_CREATIONS.seen == []
    assert os.listdir(scratch) == []


# --- refusals ---------------------------------------------------------------------------------

def png() -> bytes:
    """A small picture."""
    out = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(out, "PNG")
    return out.getvalue()


def corrupted_m4a() -> bytes:
    """An M4A whose second half (its index) is overwritten with random bytes."""
    data = bytearray(recording(vowel(120), "m4a"))
    half = len(data) // 2
    data[half:] = np.random.default_rng(1).bytes(len(data) - half)
    return bytes(data)


def truncated_m4a() -> bytes:
    """An M4A cut off before its index, as an interrupted iPhone recording is."""
    data = recording(vowel(120), "m4a")
    return data[:data.find(b"moov")]


UNREADABLE = {
    "corrupted m4a": corrupted_m4a,
    "truncated m4a (no index)": truncated_m4a,
    "random bytes": lambda: np.random.default_rng(2).bytes(50_000),
    "Ogg header, then noise": lambda: b"OggS" + np.random.default_rng(3).bytes(50_000),
    "PNG picture": png,
    "text": lambda: b"Dear officer, please find the recording attached.",
    "WAV in a codec we do not decode (MS ADPCM)": lambda: recording(vowel(120), "wav",
                                                                    codec="adpcm_ms"),
}


@pytest.mark.parametrize("build", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_what_is_no_readable_recording_is_refused(build):
    with pytest.raises(ServiceError, match=r"^We could not read this recording\. It may be "
                                           r"damaged, or in a format we do not accept"):
        disguise_voice(build())


def test_input_over_the_byte_limit_is_refused_unread():
    with pytest.raises(ServiceError, match=r"^The recording is larger than 50 MB\."):
        disguise_voice(b"\x00" * (voice.MAX_INPUT_BYTES + 1))


def silent_wav(seconds: int, rate: int = 8000) -> bytes:
    """Unsigned 8-bit silence: small to build, ``seconds`` long once decoded."""
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(1)
        file.setframerate(rate)
        file.writeframes(b"\x80" * (seconds * rate))
    return out.getvalue()


def test_too_long_recording_is_refused_before_it_is_decoded_whole(monkeypatch):
    """Ten minutes would decode into 38 MB of samples; decoding stops past the limit."""
    monkeypatch.setattr(voice, "MAX_SECONDS", 60)
    data = silent_wav(600)

    tracemalloc.start()
    try:
        with pytest.raises(ServiceError, match=r"^The recording is longer than 1 minute\. "):
            disguise_voice(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 12 * 1024 * 1024


def test_silent_recording_is_refused():
    with pytest.raises(ServiceError, match=r"^We could not hear a voice in the recording\."):
        disguise_voice(recording(silence(3.0), "m4a"))


TOO_SHORT = {
    "empty": lambda: silent_wav(0),
    "half a second": lambda: recording(vowel(120, 0.5), "wav"),
}


@pytest.mark.parametrize("build", TOO_SHORT.values(), ids=TOO_SHORT.keys())
def test_empty_or_too_short_recording_is_refused(build):
    with pytest.raises(ServiceError, match=r"^The recording is empty or too short\."):
        disguise_voice(build())
