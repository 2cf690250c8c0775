"""Time and peak memory of disguising voice recordings of 30 seconds, 2 and 10 minutes.

Each recording is synthetic speech (Praat's speech synthesiser, sentences and pauses repeated
to the length) encoded as an iPhone does it: AAC in an M4A file whose index (``moov``) comes
last, mono at 48 kHz. A new Python process imports the app, reads the recording from a pipe
(never a temporary file) and disguises it with ``disguise_voice``, while a second thread
sleeps 5 ms at a time and notes its longest wait: Praat holds the GIL, and that wait is how
long the other threads of a worker stand still. Prints per recording the resident memory
before, the peak during the disguise (VmHWM, reset just before), what the disguise added, the
seconds, that longest wait and the sizes. Asserts nothing. Run with `make bench`.
"""

import io
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import av
import numpy as np
import parselmouth
from parselmouth.praat import call

LENGTHS = (30, 120, 600)  # seconds
INPUT_RATE = 48_000
INPUT_BIT_RATE = 64_000  # what iPhone Voice Memos records at its "compressed" setting
PAUSE_SECONDS = 0.4
SENTENCES = (
    "The head of procurement accepted a payment from a supplier.",
    "The next day the tender was changed, and only that supplier could still meet it.",
    "I saw the minutes of the meeting, and the register was changed after my report.",
)
MIB = 1024 * 1024


def status_mib(field: str) -> float:
    """A memory figure of this process from /proc/self/status, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


class LongestWait:
    """A thread that sleeps SLEEP seconds at a time and keeps the longest wait beyond it."""

    SLEEP = 0.005

    def __init__(self) -> None:
        self.longest = 0.0
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while self.running:
            began = time.perf_counter()
            time.sleep(self.SLEEP)
            self.longest = max(self.longest, time.perf_counter() - began - self.SLEEP)

    def __enter__(self) -> "LongestWait":
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.running = False
        self.thread.join()


def disguise_in_this_process() -> None:
    """The child: disguise the recording on stdin, print the figures as JSON on stdout."""
    from app import create_app
    from app.services import ServiceError
    from app.services.casefile.voice import disguise_voice
    from config import TestConfig

    data = sys.stdin.buffer.read()
    app = create_app(TestConfig)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        before = status_mib("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        with LongestWait() as wait:
            started = time.perf_counter()
            try:
                disguised = disguise_voice(data)
                outcome = (f"disguised, {disguised.seconds:.0f} s, "
                           f"{len(disguised.content) / MIB:.1f} MiB MP3")
            except ServiceError as error:
                outcome = f"refused: {error}"
            seconds = time.perf_counter() - started
        peak = status_mib("VmHWM")
    print(json.dumps({"before": before, "peak": peak, "seconds": seconds,
                      "wait": wait.longest, "outcome": outcome}))


def speech() -> np.ndarray:
    """The sentences, each followed by a pause, as samples at INPUT_RATE."""
    synthesiser = call("Create SpeechSynthesizer", "English (Great Britain)", "Female1")
    parts = []
    for sentence in SENTENCES:
        sound = call(synthesiser, "To Sound", sentence, "no")
        sound = call(sound[0] if isinstance(sound, list) else sound, "Resample", INPUT_RATE, 50)
        parts += [sound.values[0], np.zeros(round(PAUSE_SECONDS * INPUT_RATE))]
    return np.concatenate(parts).astype(np.float32)


def recording(samples: np.ndarray, seconds: int) -> bytes:
    """``seconds`` of the speech, repeated, as an M4A with its index at the end."""
    values = np.resize(samples, seconds * INPUT_RATE).reshape(1, -1)
    out = io.BytesIO()
    with av.open(out, "w", format="ipod") as container:
        stream = container.add_stream("aac", rate=INPUT_RATE, layout="mono")
        stream.bit_rate = INPUT_BIT_RATE
        frame = av.AudioFrame.from_ndarray(values, format="fltp", layout="mono")
        frame.sample_rate = INPUT_RATE
        for packet in (*stream.encode(frame), *stream.encode(None)):
            container.mux(packet)
    data = out.getvalue()
    if data.find(b"moov") < data.find(b"mdat"):
        raise RuntimeError("the index came first: not how iPhones write")
    return data


def main() -> None:
    """Build each recording here, disguise it in a fresh child process, print its line."""
    print(f"Praat {parselmouth.PRAAT_VERSION} (parselmouth {parselmouth.__version__}), "
          f"PyAV {av.__version__}")
    print(f"{'recording':<12} {'M4A':>9} {'RSS before':>11} {'peak':>9} {'added':>9} "
          f"{'seconds':>8} {'x real time':>12} {'longest wait':>13}  outcome")
    samples = speech()
    for seconds in LENGTHS:
        data = recording(samples, seconds)
        child = subprocess.run([sys.executable, __file__, "--child"], input=data,
                               capture_output=True, check=True)
        figures = json.loads(child.stdout)
        label = f"{seconds // 60} min" if seconds >= 60 else f"{seconds} s"
        print(f"{label:<12} {len(data) / MIB:>5.1f} MiB {figures['before']:>7.0f} MiB "
              f"{figures['peak']:>5.0f} MiB {figures['peak'] - figures['before']:>5.0f} MiB "
              f"{figures['seconds']:>8.1f} {seconds / figures['seconds']:>11.0f}x "
              f"{figures['wait'] * 1000:>10.0f} ms  {figures['outcome']}", flush=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["--child"]:
        disguise_in_this_process()
    else:
        main()
