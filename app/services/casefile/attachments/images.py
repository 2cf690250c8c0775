"""The image cleaner: JPEG (with cameras' MPO), PNG, WebP and TIFF rebuilt from their pixels
alone, turned upright as the EXIF said, so EXIF (GPS included), XMP, colour profiles and text
comments are left behind."""

import io
import logging

from PIL import Image, ImageSequence, PngImagePlugin, UnidentifiedImageError

from app.services import ServiceError
from app.services.casefile.attachments.files import (
    MAX_IMAGE_PIXELS,
    MEGABYTE,
    CleanedFile,
    Findings,
    PixelBudget,
    too_large,
    unreadable,
)

# Parsers of hostile files may quote those files in their log messages; the level set on
# the parent logger silences every child logger of the library too (pdf_child.py does the
# same for pypdf).
logging.getLogger("PIL").setLevel(logging.CRITICAL + 1)

# MAX_IMAGE_PIXELS is checked by hand from the header, before decoding: Pillow's own check
# only warns below twice its limit.
Image.MAX_IMAGE_PIXELS = None
# Tiny frames cost little in pixels but an object each: animations are rarely longer.
MAX_IMAGE_FRAMES = 1_000
# Compressed PNG text and colour profile chunks (zTXt, iTXt, iCCP) are unpacked while the
# header is read; Pillow already stops each at 1 MB, and all of them together here at 8 MB.
PngImagePlugin.MAX_TEXT_MEMORY = 8 * MEGABYTE

# Tags every TIFF file has, or that say how its pixels are stored; the XMP (700) and colour
# profile (34675) tags are reported under their own codes.
TIFF_LAYOUT_TAGS = frozenset({254, 255, 256, 257, 258, 259, 262, 266, 273, 277, 278, 279, 280,
                              281, 282, 283, 284, 296, 317, 320, 322, 323, 324, 325, 338, 339,
                              347, 529, 530, 531, 532, 700, 34675})
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp",
               "TIFF": "image/tiff",
               # Many cameras write JPEGs with an embedded preview; Pillow calls them MPO.
               "MPO": "image/jpeg"}
SAVED_AS = {"MPO": "JPEG"}
# How to turn a picture upright for each EXIF orientation (as ImageOps.exif_transpose does).
UPRIGHT = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
           4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
           6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
           8: Image.Transpose.ROTATE_90}
ORIENTATION = 0x0112
# Leading bytes of the picture formats we clean, to find pictures inside documents.
STILL_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*")
IMAGE_MAGIC = (*STILL_IMAGE_MAGIC, b"RIFF")


def clean_image(name: str, data: bytes, budget: PixelBudget) -> CleanedFile | None:
    """The picture rebuilt from its pixels, or None if it is no picture we clean.

    :raises ServiceError: a picture we clean that cannot be read or is too large.
    """
    try:
        image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        return None
    except Exception:  # a hostile header may break the parser in any way
        raise unreadable(name) from None
    with image:
        kind = image.format
        if kind not in IMAGE_TYPES:
            return None
        if image.width * image.height > MAX_IMAGE_PIXELS:
            raise too_large(name)
        try:
            findings = _image_findings(image)
            frames, pixels = [], 0
            for number, frame in enumerate(ImageSequence.Iterator(image)):
                # Counted over all frames before each is decoded: the frames of a TIFF may
                # each have their own size, and many frames add up like one huge picture.
                pixels += frame.width * frame.height
                if pixels > MAX_IMAGE_PIXELS or number >= MAX_IMAGE_FRAMES:
                    raise too_large(name)
                budget.spend(frame.width * frame.height, name)
                frames.append(_pixels_only(frame))
                if kind == "MPO":
                    break  # the other pictures are the camera's previews, not the photo
            image.close()  # frees the decoded pixels before the copies are encoded
            out = io.BytesIO()
            saved_as = SAVED_AS.get(kind, kind)
            options = {"quality": 95} if saved_as in ("JPEG", "WEBP") else {}
            frames[0].save(out, format=saved_as, save_all=len(frames) > 1,
                           append_images=frames[1:], **options)
        except ServiceError:
            raise
        except Exception:
            raise unreadable(name) from None
    return CleanedFile(name, IMAGE_TYPES[kind], out.getvalue(), removed=tuple(findings.removed))


def _image_findings(image: Image.Image) -> Findings:
    findings = Findings()
    info = image.info
    exif = image.getexif()
    # A TIFF file's EXIF directory is also where its pixel layout is described.
    layout = TIFF_LAYOUT_TAGS if image.format == "TIFF" else frozenset()
    if set(exif) - layout or "exif" in info:
        findings.add("exif")
        if exif.get_ifd(0x8825):  # GPSInfo
            findings.add("gps")
    if any(key in info for key in ("xmp", "XML:com.adobe.xmp")) or 700 in exif:
        findings.add("xmp")
    if "icc_profile" in info:
        findings.add("icc")
    if "comment" in info or getattr(image, "text", None):
        findings.add("comments")
    return findings


def _pixels_only(frame: Image.Image) -> Image.Image:
    """A new image holding only the pixels (turned upright as the EXIF said) and palette.

    ``transpose()`` and ``copy()`` return a plain ``Image``, not the format's own class (so
    no TIFF tags, PNG text or camera segments come along), whose only metadata is a copy of
    ``info``, replaced here. That is one copy of the pixels; tobytes() and frombytes() made
    three, and 64 megapixels took a worker past 1.3 GB.
    """
    frame.load()
    turn = UPRIGHT.get(frame.getexif().get(ORIENTATION))
    clean = frame.transpose(turn) if turn is not None else frame.copy()
    clean.info = {key: frame.info[key] for key in ("transparency",) if key in frame.info}
    return clean
