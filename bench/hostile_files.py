"""Peak memory of cleaning hostile uploads, each in a fresh process.

For each file (zip bombs, pictures with huge declared sizes, PDFs with huge flate streams or
millions of numbers, and ordinary files for comparison) a new Python process imports the
app, reads the file from a pipe (never a temporary file), then cleans it with
``clean_upload``. It prints the resident memory before cleaning, the peak during cleaning
(VmHWM, reset just before), what the cleaning added to that process (the worker), the peak
of the child process that cleans a PDF (RUSAGE_CHILDREN; alone, one takes some 36 MiB for
an ordinary PDF), the time and the outcome. Prints figures and asserts nothing. Run with
`make bench`.
"""

import io
import json
import random
import resource
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.test_attachments import (
    MIB,
    declared_png,
    docx_with_part,
    entries,
    flate_pdf,
    numbers_pdf,
    ooxml,
    png_chunk,
)

CHUNK = b"\x00" * MIB


def status_mib(field: str) -> float:
    """A memory figure of this process from /proc/self/status, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def clean_in_this_process() -> None:
    """The child: clean the file on stdin, print the figures as JSON on stdout."""
    from app import create_app
    from app.services import ServiceError
    from app.services.casefile.attachments import Upload, clean_upload
    from config import TestConfig

    name, data = sys.argv[2], sys.stdin.buffer.read()
    app = create_app(TestConfig)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        before = status_mib("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        started = time.perf_counter()
        try:
            cleaned = clean_upload(Upload(name, data))
            outcome = f"cleaned, {len(cleaned.data) / MIB:.1f} MiB"
        except ServiceError as error:
            outcome = f"refused: {error}"
        seconds = time.perf_counter() - started
        peak = status_mib("VmHWM")
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"before": before, "peak": peak, "child": child, "seconds": seconds,
                      "outcome": outcome}))


# --- the files (the hostile ones built as the tests build them) -------------------------

def many_parts_docx(parts: int, each_mib: int) -> bytes:
    """A .docx of many parts, each deflating about 150 times: below the ratio of a bomb."""
    out = io.BytesIO()
    block = random.Random(1).randbytes(4096) * (each_mib * 256)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, part in entries(ooxml()).items():
            archive.writestr(name, part)
        for n in range(parts):
            archive.writestr(f"word/media/part{n}.xml", block)
    return out.getvalue()


def normal_docx() -> bytes:
    """A 2 MiB document of varied text with a 4 MP photo inside."""
    rng = random.Random(2)
    words = [rng.choice(("teisė", "sutartis", "pirkimas", "savivaldybė", "report", "tender",
                         "invoice", "meeting", "2024", "EUR")) for _ in range(300_000)]
    body = f"<w:document><w:body>{' '.join(words)}</w:body></w:document>".encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr("word/document.xml", body)
        archive.writestr("word/media/image1.jpeg", photo(2400, 1600))
        archive.writestr("docProps/core.xml", "<cp:coreProperties>someone</cp:coreProperties>")
    return out.getvalue()


def photo(width: int, height: int) -> bytes:
    """A JPEG with a photo's texture: smooth gradients plus sensor noise."""
    from PIL import Image

    gradient = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 24)
    picture = Image.merge("RGB", (gradient, noise, gradient.transpose(Image.Transpose.ROTATE_180)
                                  .resize((width, height))))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=90, exif=camera_exif())
    return out.getvalue()


def camera_exif():
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "Phone maker"
    exif[0x0112] = 6  # taken upright: the cleaner turns it
    return exif


def blank_png(width: int, height: int) -> bytes:
    """An RGB PNG of one colour: tiny on disk, ``width × height × 3`` bytes once decoded."""
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * (width * 3)
    rows = b"".join(compressor.compress(row) for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + png_chunk(b"IDAT", rows + compressor.flush()) + png_chunk(b"IEND", b""))


def ztxt_bomb_png(unpacked_mib: int) -> bytes:
    """A 1×1 PNG with a compressed text chunk of ``unpacked_mib`` MiB of zeros."""
    compressor = zlib.compressobj(9)
    text = b"".join(compressor.compress(CHUNK) for _ in range(unpacked_mib)) + compressor.flush()
    return (b"\x89PNG\r\n\x1a\n"
            + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + png_chunk(b"zTXt", b"Comment\x00\x00" + text)
            + png_chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
            + png_chunk(b"IEND", b""))


def zip_bomb(unpacked_mib: int) -> bytes:
    return docx_with_part("word/document.xml", unpacked_mib * MIB)


def normal_pdf(pages: int = 50) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    writer.add_metadata({"/Author": "someone"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


FILES = [
    ("zip bomb .docx, 500 MiB", "bomb.docx", lambda: zip_bomb(500)),
    ("zip bomb .docx, 4 GiB", "bomb4g.docx", lambda: zip_bomb(4096)),
    ("zip bomb .docx, 200 MiB", "bomb200.docx", lambda: zip_bomb(200)),
    ("30 parts × 8 MiB .docx", "parts.docx", lambda: many_parts_docx(30, 8)),
    ("normal .docx with photo", "notes.docx", normal_docx),
    ("PNG 8000×8000", "big.png", lambda: blank_png(8000, 8000)),
    ("PNG 7000×7000 (49 MP)", "allowed.png", lambda: blank_png(7000, 7000)),
    ("PNG declares 8000×8000", "declared.png", lambda: declared_png(8000, 8000)),
    ("PNG declares 60000×60000", "huge.png", lambda: declared_png(60_000, 60_000)),
    ("PNG zTXt of 1 GiB", "text.png", lambda: ztxt_bomb_png(1024)),
    ("JPEG 8160×6120 (50 MP phone)", "phone50.jpg", lambda: photo(8160, 6120)),
    ("JPEG 4000×3000 (12 MP phone)", "photo.jpg", lambda: photo(4000, 3000)),
    ("PDF, 500 MiB content stream", "content.pdf",
     lambda: flate_pdf(500 * MIB, object_stream=False)),
    ("PDF, 500 MiB object stream", "objects.pdf", lambda: flate_pdf(500 * MIB)),
    ("PDF, 70 MiB object stream", "objects70.pdf", lambda: flate_pdf(70 * MIB)),
    ("PDF, 20 MB of numbers", "numbers.pdf", lambda: numbers_pdf(100)),
    ("normal PDF, 50 pages", "pages.pdf", normal_pdf),
    ("normal PDF, 1 page", "page.pdf", lambda: normal_pdf(1)),
]


def main() -> None:
    """Build each file here, clean it in a fresh child process, print one line per file."""
    print(f"{'file':<30} {'size':>10} {'RSS before':>11} {'peak':>8} {'added':>8} "
          f"{'child':>8} {'seconds':>8}  outcome")
    for label, name, build in FILES:
        data = build()
        child = subprocess.run([sys.executable, __file__, "--child", name], input=data,
                               capture_output=True, check=True)
        figures = json.loads(child.stdout)
        size = f"{len(data) / 1024:,.0f} KiB"
        # Linux counts a child's RSS from before it ran Python (then that of the process
        # that started it) in its peak, so a peak at the spawner's RSS means "at most".
        child = ("-" if not figures["child"] else f"{figures['child']:.0f} MiB"
                 if figures["child"] > figures["peak"] + 1 else f"<={figures['peak']:.0f} MiB")
        print(f"{label:<30} {size:>10} {figures['before']:>7.0f} MiB {figures['peak']:>4.0f} MiB"
              f" {figures['peak'] - figures['before']:>4.0f} MiB {child:>8}"
              f" {figures['seconds']:>8.2f}  {figures['outcome'][:90]}", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        clean_in_this_process()
    else:
        main()
