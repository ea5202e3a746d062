"""The desk in a real browser (Debian's Chromium, the real server, a real SMTP server): the pin picker
by mouse, keyboard and geolocation, the forms without JavaScript, the whole report → reply journey,
and axe-core's WCAG 2.1 AA checks on every desk page.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import axe_violations
from tests.dpo.helpers import DESCRIPTION, QUESTION

pytestmark = pytest.mark.browser
DEMO_DPO = ("dpo@cm-porto.example", "praca-demo-2026")


def submit(tab, selector: str = "main button[type=submit]") -> None:
    """Click a submit button and wait until the next page has loaded."""
    with tab.expect_navigation(wait_until="load"):
        tab.click(selector)


def coordinates(page) -> tuple[float, float]:
    return float(page.input_value("#lat")), float(page.input_value("#lon"))


def test_the_pin_follows_a_click_the_keyboard_and_my_location(page, live):
    page.goto("/report?lat=41.15&lon=-8.61")
    assert page.is_visible("#pin-map") and page.is_visible("#use-location")
    assert coordinates(page) == (41.15, -8.61)
    assert page.locator("#pin-map .leaflet-marker-icon").count() == 1

    box = page.locator("#pin-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.25)
    lat, lon = coordinates(page)
    assert lat > 41.15 and lon > -8.61  # up and to the right of the centre
    assert "Marcador colocado na latitude" in page.inner_text("#pin-status")

    page.focus("#pin-map")
    for _ in range(3):
        page.keyboard.press("ArrowLeft")
    page.keyboard.press("Enter")
    assert coordinates(page)[1] < lon

    page.click("#use-location")
    page.wait_for_function("document.querySelector('#lat').value === '41.149600'")
    assert coordinates(page) == (41.1496, -8.6109)
    page.fill("#lat", "41,16")
    page.fill("#lon", "-8.62")
    page.press("#lon", "Tab")
    assert page.locator("#pin-map .leaflet-marker-icon").count() == 1
    assert page.js_errors == []


def test_the_forms_work_without_javascript(browser, live):
    context = browser.new_context(base_url=live.url, java_script_enabled=False, locale="en-GB")
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(live.url)
                  else route.abort())
    tab = context.new_page()
    tab.goto("/report?lang=en")
    assert not tab.is_visible("#pin-map") and not tab.is_visible("#use-location")
    tab.fill("#lat", "41.1496")
    tab.fill("#lon", "-8.6109")
    tab.fill("#description", DESCRIPTION)
    submit(tab)
    assert re.search(r"/follow/[\w-]{40,}", tab.url)
    assert "Thank you. We have received your report." in tab.inner_text("main")
    context.close()


def test_errors_are_summarised_and_focused(page):
    page.goto("/ask?lang=en")
    page.fill("#email", "not-an-address")
    submit(page)
    page.wait_for_function("document.activeElement && document.activeElement.id === 'error-summary'", timeout=3000)
    links = page.locator("#error-summary a")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == ["#message", "#email"]
    assert page.get_attribute("#message", "aria-invalid") == "true"
    assert axe_violations(page) == []


def test_report_reply_and_e_mail_end_to_end(page, live):
    page.goto("/report")
    assert axe_violations(page) == []
    page.click("#use-location")
    page.wait_for_function("document.querySelector('#lat').value !== ''")
    page.select_option("#device_type", "cctv_camera")
    page.fill("#description", DESCRIPTION)
    page.fill("#email", "journey@example.org")
    page.set_input_files("#photo", files=[{"name": "camera.jpg", "mimeType": "image/jpeg",
                                           "buffer": _jpeg_with_gps()}])
    submit(page)
    follow_url = page.url
    reference = re.search(r"P-\d{4}-\d{6}", page.inner_text("h1")).group(0)
    assert page.input_value("#follow-url").endswith(follow_url.split("?")[0].removeprefix(live.url))
    assert axe_violations(page) == []

    page.goto("/staff/login")
    page.fill("#email", DEMO_DPO[0])
    page.fill("#password", DEMO_DPO[1])
    submit(page)
    page.goto(f"/staff/cases?q={reference}")
    assert axe_violations(page) == []
    submit(page, f"a:text-is(\"{reference}\")")
    case_url = page.url.split("?")[0]
    assert page.is_visible("#pin-map") and page.locator("#pin-map .leaflet-marker-icon").count() == 1
    assert axe_violations(page) == []
    page.fill("#reply-body", "Obrigado. Vamos verificar este aparelho.")
    submit(page, "#reply-title + form button[type=submit]")
    assert "A sua resposta foi publicada." in page.inner_text("main")
    assert page.js_errors == []

    page.goto(follow_url)
    assert "Obrigado. Vamos verificar este aparelho." in page.inner_text("#thread")
    assert live.deliver_email() >= 2
    mine = [m for m in live.smtp.messages if m["To"] == "journey@example.org"]
    assert [m["Subject"] for m in mine] == [f"Recebemos o seu pedido {reference}",
                                            f"Nova resposta ao seu pedido {reference}"]
    assert follow_url.split("?")[0] in mine[0].get_content()

    # The DPO registers the device from the report; the photo she sees carries no location.
    page.goto(case_url)
    photo = page.request.get(f"{case_url}/photo")
    assert photo.ok and b"GPS" not in photo.body() and b"SpyCam" not in photo.body()
    page.fill("#device-name", "Câmara reportada por cidadão")
    page.select_option("#device-operator", "psp")
    submit(page, "#register-title + p + form button[type=submit], #register-title ~ form button[type=submit]")
    assert page.locator("#case-outcome a").count() == 1, page.inner_text("main")[:1500]
    device_url = page.locator("#case-outcome a").get_attribute("href")
    device = page.request.get(f"/api/v1/{device_url.lstrip('/')}").json()
    assert device["name"] == "Câmara reportada por cidadão"

    # The citizen sees the outcome, with the new register entry linked.
    page.goto(follow_url)
    assert page.locator(f"a[href='{device_url}']").count() >= 1
    assert axe_violations(page) == []


def _jpeg_with_gps() -> bytes:
    import io

    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "SpyCam"
    exif[0x8825] = {1: "N", 2: (41.0, 8.0, 56.0), 3: "W", 4: (8.0, 36.0, 39.0)}
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), "navy").save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def test_the_question_pages_pass_axe(page, live):
    page.goto("/ask")
    assert axe_violations(page) == []
    page.fill("#message", QUESTION)
    submit(page)
    assert "/follow/" in page.url
    page.fill("#message", "Mais uma coisa.")
    submit(page, "#add-title + form button[type=submit]")
    assert "A sua mensagem foi acrescentada." in page.inner_text("main")
    assert axe_violations(page) == []
