"""Helpers for driving the desk's HTML forms through the test client, as a browser would."""

from __future__ import annotations

import io
import re
from html import unescape
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from tests.factories import PASSWORD

CSRF = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)">')
GPS_DATUM = "PRACA-TEST-GPS-DATUM"


def csrf_from(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def post_form(client: TestClient, form_url: str, data: dict[str, Any], *, action: str | None = None,
              files: dict[str, Any] | None = None) -> Any:
    """GET the form (for the CSRF cookie and token), then POST it back without following redirects."""
    page = client.get(form_url)
    assert page.status_code == 200, page.text
    return client.post(action or form_url, data={"csrf_token": csrf_from(page.text), **data}, files=files,
                       follow_redirects=False)


def error_fields(html: str) -> list[str]:
    """The fields the error summary links to, in order."""
    summary = html.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    return re.findall(r'<a href="#([\w-]+)">', summary)


def text_of(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def jpeg_with_gps() -> bytes:
    """A phone-like JPEG whose EXIF says where it was taken (Avenida dos Aliados)."""
    exif = Image.Exif()
    exif[0x010F] = "PracaTestCam"
    exif[0x8825] = {1: "N", 2: (IFDRational(41), IFDRational(8), IFDRational(5856, 100)),
                    3: "W", 4: (IFDRational(8), IFDRational(36), IFDRational(3924, 100)), 0x12: GPS_DATUM}
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, format="JPEG", exif=exif)
    return buf.getvalue()


def login(client: TestClient, email: str, password: str = PASSWORD) -> None:
    response = post_form(client, "/staff/login", {"email": email, "password": password})
    assert response.status_code == 303, response.text
