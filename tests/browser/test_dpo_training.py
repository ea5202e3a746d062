"""The DPO's dashboard and the training pages in Chromium, on the demo year: axe-core's WCAG 2.1 AA
checks in both languages, and recording a session's attendance with the keyboard-reachable form."""

from __future__ import annotations

import pytest

from praca.demo import DEMO_PASSWORD
from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.browser
PAGES = ["/staff/dashboard", "/staff/training", "/staff/training/trainees?department=cultura",
         "/staff/training/import", "/staff/training/sessions/new?department=urbanismo"]


def sign_in(page, email: str) -> None:
    page.goto("/staff/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.parametrize("lang", ["pt", "en"])
def test_the_dpos_training_pages_pass_axe(page, lang):
    sign_in(page, "dpo@cm-porto.example")
    assert page.url.endswith("/staff/dashboard")
    for url in PAGES:
        page.goto(f"{url}{'&' if '?' in url else '?'}lang={lang}")
        assert axe_violations(page) == [], url
    page.goto(f"/staff/training?lang={lang}")
    page.click("#training-sessions tbody a >> nth=0")
    assert axe_violations(page) == []
    assert page.js_errors == []


def test_recording_a_session(page):
    sign_in(page, "dpo@cm-porto.example")
    page.goto("/staff/training/sessions/new?department=cultura&lang=en")
    page.fill("#title", "Induction: data protection")
    page.fill("#hours", "2")
    boxes = page.locator("input[name=trainees]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.click("main form.dpo-form button[type=submit]")
    page.wait_for_load_state()
    assert page.inner_text("#attended-count") == "2"
    assert page.locator("main [role=status]").count() == 1 and "done=recorded" in page.url


def test_a_liaison_sees_the_dashboard_of_their_department(page):
    sign_in(page, "liaison.mobilidade@cm-porto.example")
    page.goto("/staff/dashboard?lang=en")
    rows = page.locator("#training-completion tbody tr")
    assert rows.count() == 1 and "Mobility" in rows.inner_text()
    assert axe_violations(page) == []
