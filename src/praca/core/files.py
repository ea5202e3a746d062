"""Uploads: size and type checks, decompression-bomb guard, EXIF stripped by re-encoding.

Documents (`sanitise_document`) are pictures, cleaned as photos are, or PDFs, which cannot be
re-encoded safely and so are recognised by their magic bytes, size-checked and kept byte for byte;
they are only ever served as downloads (`Content-Disposition: attachment`, `nosniff`).
"""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

from praca.core.errors import InvalidInput, TooLarge, UnsupportedMedia

# "MPO" is how Pillow names a JPEG carrying an MPF segment (a second preview/depth picture), which
# many phone cameras write; it is a JPEG, and only its first picture is kept.
ALLOWED_FORMATS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp"}
MAX_SIDE = 2048  # stored photos are resized to this; nobody needs more to identify a device


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    extension: str
    content_type: str
    width: int
    height: int


def read_capped(stream: BinaryIO, max_bytes: int, field: str) -> bytes:
    """Read at most max_bytes; a longer upload is refused without reading it all."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise TooLarge(f"The file is larger than {max_bytes // (1024 * 1024)} MB.", field=field,
                       details={"max_bytes": max_bytes})
    return data


def sanitise_image(stream: BinaryIO, *, max_bytes: int, max_pixels: int, field: str = "photo") -> CleanImage:
    """Return a re-encoded copy with no metadata at all (EXIF, GPS, XMP, ICC comments)."""
    raw = read_capped(stream, max_bytes, field)
    if not raw:
        raise InvalidInput("The file is empty.", field=field)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                fmt = probe.format
                width, height = probe.size
                if fmt not in ALLOWED_FORMATS:
                    raise UnsupportedMedia("Only JPEG, PNG or WebP photos are accepted.", field=field)
                if width * height > max_pixels:
                    raise TooLarge("The image has too many pixels.", field=field,
                                   details={"max_pixels": max_pixels})
                probe.load()
                image = ImageOps.exif_transpose(probe)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise TooLarge("The image has too many pixels.", field=field, details={"max_pixels": max_pixels}) from None
    except UnidentifiedImageError:
        raise UnsupportedMedia("The file is not an image we can read (JPEG, PNG or WebP).", field=field) from None
    except (OSError, SyntaxError, ValueError):
        raise InvalidInput("The image is damaged or truncated.", field=field) from None

    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    if fmt == "PNG":
        clean = Image.new(image.mode if image.mode in ("RGB", "RGBA", "L", "LA") else "RGBA", image.size)
        clean.paste(image.convert(clean.mode))
        clean.save(out, format="PNG", optimize=True)
        ext, ctype = "png", "image/png"
    else:
        # A fresh image from the pixels alone carries no metadata forward.
        clean = Image.new("RGB", image.size)
        clean.paste(image.convert("RGB"))
        clean.save(out, format="JPEG", quality=85, optimize=True)
        ext, ctype = "jpg", "image/jpeg"
    return CleanImage(out.getvalue(), ext, ctype, clean.width, clean.height)


PDF_MAGIC = b"%PDF-"
PDF_END = b"%%EOF"


@dataclass(frozen=True)
class CleanDocument:
    """A PDF as uploaded: only its type (magic bytes) and size were checked."""

    data: bytes
    extension: str = "pdf"
    content_type: str = "application/pdf"


def sanitise_document(stream: BinaryIO, *, max_bytes: int, max_pixels: int,
                      field: str = "document") -> CleanDocument | CleanImage:
    """A PDF (by its first bytes, whatever its name or declared type says), or a picture cleaned like a photo."""
    raw = read_capped(stream, max_bytes, field)
    if not raw:
        raise InvalidInput("The file is empty.", field=field)
    if raw.startswith(PDF_MAGIC):
        if PDF_END not in raw[-1024:]:  # where readers look for it; its absence means a cut or fake file
            raise InvalidInput("The PDF is damaged or truncated.", field=field)
        return CleanDocument(raw)
    try:
        return sanitise_image(io.BytesIO(raw), max_bytes=max_bytes, max_pixels=max_pixels, field=field)
    except UnsupportedMedia:
        raise UnsupportedMedia("Only PDF documents or JPEG, PNG or WebP pictures are accepted.",
                               field=field) from None


def store(upload_dir: Path, image: CleanImage | CleanDocument) -> str:
    """Write under a random name; returns the name (never a citizen-chosen path)."""
    upload_dir.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_urlsafe(18)}.{image.extension}"
    tmp = upload_dir / f".{name}.tmp"
    tmp.write_bytes(image.data)
    tmp.replace(upload_dir / name)
    return name


def resolve(upload_dir: Path, name: str) -> Path | None:
    """The stored file for a name we issued, or None; refuses anything that could escape the dir."""
    if "/" in name or "\\" in name or name.startswith("."):
        return None
    path = upload_dir / name
    return path if path.is_file() else None


def sweep_orphans(upload_dir: Path, referenced: set[str], min_age_s: float = 3600) -> list[str]:
    """Delete stored files no row refers to (a commit that failed after the file was written)."""
    import time

    removed: list[str] = []
    if not upload_dir.exists():
        return removed
    cutoff = time.time() - min_age_s
    for path in upload_dir.iterdir():
        if path.is_file() and path.name not in referenced and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed
