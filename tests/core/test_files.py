"""Uploads: core/files.sanitise_image strips every bit of metadata and refuses what it cannot trust;
store/resolve/sweep_orphans keep the upload directory closed to citizen-chosen paths."""

from __future__ import annotations

import io
import os
import resource
import struct
import time
import zlib

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from PIL.TiffImagePlugin import IFDRational

from praca.core import files
from praca.core.errors import InvalidInput, TooLarge, UnsupportedMedia

MB = 1024 * 1024
LIMITS = {"max_bytes": 8 * MB, "max_pixels": 40_000_000}

# Distinctive values, so we can look for them byte by byte in the output.
CAMERA_MAKE = "PracaTestCam"
CAMERA_MODEL = "Model-X42"
GPS_DATUM = "WGS-84-PRACA-GPS"


def gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = CAMERA_MAKE  # Make
    exif[0x0110] = CAMERA_MODEL  # Model
    if orientation is not None:
        exif[0x0112] = orientation  # Orientation
    exif[0x8825] = {  # GPSInfo IFD: Porto, Avenida dos Aliados
        1: "N", 2: (IFDRational(41), IFDRational(8), IFDRational(5856, 100)),
        3: "W", 4: (IFDRational(8), IFDRational(36), IFDRational(3924, 100)),
        0x12: GPS_DATUM,  # GPSMapDatum
    }
    return exif


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **params)
    return buf.getvalue()


def sanitise(data: bytes, **overrides) -> files.CleanImage:
    return files.sanitise_image(io.BytesIO(data), **{**LIMITS, **overrides})


def png_declaring(width: int, height: int) -> bytes:
    """A valid 1-bit greyscale PNG of width×height, all black: a few kB on disk, huge once decoded.

    Written chunk by chunk (Pillow would need the whole bitmap in memory to produce it).
    """
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    row = b"\x00" + bytes((width + 7) // 8)  # filter byte "none", then packed pixels
    z = zlib.compressobj(9)
    idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # bit depth 1, greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


# --- metadata is stripped -----------------------------------------------------------------------------

def test_jpeg_with_gps_exif_comes_out_with_no_exif_at_all():
    original = encode(Image.new("RGB", (120, 80), (200, 30, 30)), "JPEG", exif=gps_exif())
    # The fixture really carries what we claim it does.
    with Image.open(io.BytesIO(original)) as src:
        assert src.getexif()[0x010F] == CAMERA_MAKE
        assert src.getexif().get_ifd(0x8825)[0x12] == GPS_DATUM
    assert GPS_DATUM.encode() in original and b"Exif" in original

    clean = sanitise(original)

    assert (clean.extension, clean.content_type) == ("jpg", "image/jpeg")
    assert (clean.width, clean.height) == (120, 80)
    for marker in (b"Exif", CAMERA_MAKE.encode(), CAMERA_MODEL.encode(), GPS_DATUM.encode()):
        assert marker not in clean.data
    with Image.open(io.BytesIO(clean.data)) as out:
        assert out.format == "JPEG"
        assert out.size == (120, 80)
        assert len(out.getexif()) == 0
        assert "exif" not in out.info
        assert "xmp" not in out.info and "icc_profile" not in out.info
        assert out.getpixel((60, 40)) == pytest.approx((200, 30, 30), abs=6)


def test_png_text_chunks_are_dropped():
    meta = PngInfo()
    meta.add_text("Comment", "taken at Rua de Santa Catarina 123")
    meta.add_text("Author", "Maria Silva")
    meta.add_itxt("Description", "casa da Maria", lang="pt")
    original = encode(Image.new("RGBA", (50, 40), (10, 120, 200, 255)), "PNG", pnginfo=meta)
    with Image.open(io.BytesIO(original)) as src:
        assert src.text["Author"] == "Maria Silva"

    clean = sanitise(original)

    assert (clean.extension, clean.content_type) == ("png", "image/png")
    assert b"Maria" not in clean.data and b"Santa Catarina" not in clean.data
    for kind in (b"tEXt", b"iTXt", b"zTXt", b"eXIf"):
        assert kind not in clean.data
    with Image.open(io.BytesIO(clean.data)) as out:
        assert out.text == {}
        assert out.size == (50, 40)
        assert out.getpixel((0, 0)) == (10, 120, 200, 255)


def test_webp_is_accepted_and_stored_as_jpeg_without_exif():
    original = encode(Image.new("RGB", (64, 48), (0, 160, 0)), "WEBP", exif=gps_exif())
    assert GPS_DATUM.encode() in original

    clean = sanitise(original)

    assert clean.content_type == "image/jpeg"
    assert GPS_DATUM.encode() not in clean.data and b"Exif" not in clean.data


def test_orientation_is_applied_then_dropped():
    # Stored landscape, left half red and right half blue; Orientation 6 = "rotate 90° clockwise to view".
    image = Image.new("RGB", (200, 100), (255, 0, 0))
    image.paste((0, 0, 255), (100, 0, 200, 100))
    original = encode(image, "JPEG", exif=gps_exif(orientation=6), quality=95)

    clean = sanitise(original)

    assert (clean.width, clean.height) == (100, 200)
    with Image.open(io.BytesIO(clean.data)) as out:
        assert out.size == (100, 200)
        assert 0x0112 not in out.getexif()  # nothing left to rotate it a second time
        # The stored left edge is now the top.
        assert out.getpixel((50, 20)) == pytest.approx((255, 0, 0), abs=20)
        assert out.getpixel((50, 180)) == pytest.approx((0, 0, 255), abs=20)


def test_large_images_are_downscaled_to_max_side():
    original = encode(Image.new("RGB", (files.MAX_SIDE * 2, files.MAX_SIDE // 2), "white"), "JPEG")
    clean = sanitise(original)
    assert (clean.width, clean.height) == (files.MAX_SIDE, files.MAX_SIDE // 4)
    with Image.open(io.BytesIO(clean.data)) as out:
        assert out.size == (files.MAX_SIDE, files.MAX_SIDE // 4)


def test_small_images_are_not_upscaled():
    clean = sanitise(encode(Image.new("RGB", (30, 20)), "PNG"))
    assert (clean.width, clean.height) == (30, 20)


@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "RGB", "RGBA", "I;16"])
def test_png_modes_are_normalised(mode):
    clean = sanitise(encode(Image.new(mode, (16, 16)), "PNG"))
    with Image.open(io.BytesIO(clean.data)) as out:
        assert out.mode in ("RGB", "RGBA", "L", "LA")
        assert out.size == (16, 16)


def test_phone_jpeg_with_multi_picture_data_is_accepted():
    # Many phones append a second (preview/depth) image with an MPF segment; Pillow calls that "MPO".
    first = Image.new("RGB", (80, 60), (250, 200, 0))
    original = encode(first, "MPO", save_all=True, append_images=[Image.new("RGB", (40, 30))], exif=gps_exif())
    with Image.open(io.BytesIO(original)) as src:
        assert src.format == "MPO"

    clean = sanitise(original)

    assert clean.content_type == "image/jpeg"
    assert (clean.width, clean.height) == (80, 60)
    assert b"Exif" not in clean.data and b"MPF" not in clean.data and GPS_DATUM.encode() not in clean.data


# --- refusals ------------------------------------------------------------------------------------------

def test_file_over_max_bytes_is_too_large():
    data = encode(Image.new("RGB", (64, 64)), "PNG")
    with pytest.raises(TooLarge) as err:
        sanitise(data, max_bytes=len(data) - 1)
    assert err.value.status == 413
    assert err.value.details["field"] == "photo"
    assert err.value.details["max_bytes"] == len(data) - 1
    assert err.value.body()["error"]["code"] == "too_large"


def test_file_of_exactly_max_bytes_is_accepted():
    data = encode(Image.new("RGB", (64, 64)), "PNG")
    assert sanitise(data, max_bytes=len(data)).width == 64


def test_oversized_stream_is_not_read_to_the_end():
    class Endless(io.RawIOBase):
        served = 0

        def readable(self) -> bool:
            return True

        def readinto(self, b) -> int:
            n = len(b)
            b[:n] = b"\xff" * n
            self.served += n
            return n

    stream = Endless()
    with pytest.raises(TooLarge):
        files.sanitise_image(io.BufferedReader(stream), max_bytes=MB, max_pixels=LIMITS["max_pixels"])
    assert stream.served < 2 * MB


def test_field_name_is_reported():
    with pytest.raises(InvalidInput) as err:
        files.sanitise_image(io.BytesIO(b""), field="evidence", **LIMITS)
    assert err.value.details["field"] == "evidence"


@pytest.mark.parametrize("data", [
    b"just some text, not a picture\n" * 10,
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
    b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
], ids=["text", "pdf", "svg"])
def test_non_images_are_unsupported_media(data):
    with pytest.raises(UnsupportedMedia) as err:
        sanitise(data)
    assert err.value.status == 415
    assert err.value.details["field"] == "photo"


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_image_formats_are_unsupported_media(fmt):
    with pytest.raises(UnsupportedMedia) as err:
        sanitise(encode(Image.new("RGB", (10, 10)), fmt))
    assert err.value.status == 415


def test_empty_file_is_invalid_input():
    with pytest.raises(InvalidInput) as err:
        sanitise(b"")
    assert err.value.status == 422
    assert err.value.details["field"] == "photo"


def test_truncated_jpeg_is_invalid_input():
    whole = encode(Image.effect_noise((400, 300), 80).convert("RGB"), "JPEG", quality=90)
    with pytest.raises(InvalidInput) as err:
        sanitise(whole[: len(whole) // 2])
    assert err.value.status == 422
    assert err.value.details["field"] == "photo"


def test_too_many_pixels_for_the_configured_limit():
    data = encode(Image.new("RGB", (200, 100)), "PNG")
    with pytest.raises(TooLarge) as err:
        sanitise(data, max_pixels=200 * 100 - 1)
    assert err.value.details == {"field": "photo", "max_pixels": 200 * 100 - 1}
    assert sanitise(data, max_pixels=200 * 100).width == 200


def test_bomb_helper_builds_a_readable_png():
    with Image.open(io.BytesIO(png_declaring(37, 5))) as im:
        im.load()
        assert (im.format, im.mode, im.size) == ("PNG", "1", (37, 5))


@pytest.mark.parametrize("side", [
    7_000,   # 49 Mpx: over our 40 Mpx limit, under Pillow's own warning threshold
    10_000,  # 100 Mpx: Pillow warns (DecompressionBombWarning)
    20_000,  # 400 Mpx: Pillow refuses (DecompressionBombError)
])
def test_decompression_bomb_is_refused_cheaply(side):
    bomb = png_declaring(side, side)
    assert len(bomb) < 200_000  # tiny on disk …
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with pytest.raises(TooLarge) as err:
        sanitise(bomb, max_pixels=40_000_000)
    elapsed = time.perf_counter() - started
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    assert err.value.status == 413
    assert err.value.details["field"] == "photo"
    assert elapsed < 1.0  # … and refused before decoding a single row
    assert grown_kib < 100 * 1024


# --- storage -------------------------------------------------------------------------------------------

@pytest.fixture
def clean_image() -> files.CleanImage:
    return sanitise(encode(Image.new("RGB", (8, 8), "red"), "JPEG"))


def test_store_writes_under_a_random_name(tmp_path, clean_image):
    upload_dir = tmp_path / "uploads"  # created on first use
    names = {files.store(upload_dir, clean_image) for _ in range(20)}
    assert len(names) == 20
    for name in names:
        assert name.endswith(".jpg")
        stem = name.removesuffix(".jpg")
        assert len(stem) >= 24 and "/" not in stem and not name.startswith(".")
        assert (upload_dir / name).read_bytes() == clean_image.data
        assert files.resolve(upload_dir, name) == upload_dir / name
    assert sorted(p.name for p in upload_dir.iterdir()) == sorted(names)  # no temporary files left


def test_resolve_unknown_name_is_none(tmp_path):
    assert files.resolve(tmp_path, "never-issued.jpg") is None


@pytest.mark.parametrize("name", [
    "../x", "../secret_key", "..", ".", "", ".hidden", ".env",
    "sub/x.jpg", "/etc/passwd", "sub\\x.jpg", "..\\x",
])
def test_resolve_refuses_escapes_and_hidden_names(tmp_path, name):
    upload_dir = tmp_path / "uploads"
    (upload_dir / "sub").mkdir(parents=True)
    for p in (upload_dir / ".hidden", upload_dir / ".env", upload_dir / "sub" / "x.jpg", tmp_path / "x",
              tmp_path / "secret_key", upload_dir / "sub\\x.jpg"):
        p.write_bytes(b"data")
    assert files.resolve(upload_dir, name) is None


def test_resolve_refuses_directories(tmp_path):
    (tmp_path / "adir").mkdir()
    assert files.resolve(tmp_path, "adir") is None


def test_sweep_orphans_deletes_only_old_unreferenced_files(tmp_path):
    old = time.time() - 2 * 3600
    for name in ("kept-referenced.jpg", "orphan-old.jpg", "orphan-new.jpg", ".crashed.jpg.tmp"):
        (tmp_path / name).write_bytes(b"x")
    for name in ("kept-referenced.jpg", "orphan-old.jpg", ".crashed.jpg.tmp"):
        os.utime(tmp_path / name, (old, old))
    (tmp_path / "a-directory").mkdir()
    os.utime(tmp_path / "a-directory", (old, old))

    removed = files.sweep_orphans(tmp_path, referenced={"kept-referenced.jpg"}, min_age_s=3600)

    assert sorted(removed) == [".crashed.jpg.tmp", "orphan-old.jpg"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-directory", "kept-referenced.jpg", "orphan-new.jpg"]


def test_sweep_orphans_on_missing_dir_is_a_no_op(tmp_path):
    assert files.sweep_orphans(tmp_path / "nope", referenced=set()) == []
