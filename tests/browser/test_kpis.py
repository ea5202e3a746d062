"""The DPO desk's figures in Chromium, over the demo city's year of cases: the public statistics in both
languages and the staff KPI page pass axe-core's WCAG 2.1 AA checks, charts and tables included."""

from __future__ import annotations

import pytest

from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.browser
DEMO_DPO = ("dpo@cm-porto.example", "praca-demo-2026")


@pytest.mark.parametrize("lang, heading", [("pt", "Com que rapidez responde"), ("en", "How fast the Data Protection")])
def test_the_public_statistics_pass_axe(page, lang, heading):
    page.goto(f"/statistics?lang={lang}")
    assert heading in page.inner_text("h1")
    assert page.locator("svg[role=img]").count() == 2
    assert page.locator("table caption").count() >= 4
    assert axe_violations(page) == []
    assert page.js_errors == []


def test_the_staff_kpi_page_passes_axe_and_filters_without_javascript(browser, page, live):
    page.goto("/staff/login")
    page.fill("#email", DEMO_DPO[0])
    page.fill("#password", DEMO_DPO[1])
    with page.expect_navigation(wait_until="load"):
        page.click("main button[type=submit]")
    page.goto("/staff/kpis?lang=en")
    assert page.locator("svg[role=img]").count() == 3
    assert axe_violations(page) == []

    page.select_option("#kind", "question")
    with page.expect_navigation(wait_until="load"):
        page.click("form.filters button[type=submit]")
    assert "kind=question" in page.url
    assert page.locator("#kinds tbody tr").count() == 1
    page.fill("#from", "2026-03-01")
    page.fill("#to", "2026-02-01")
    with page.expect_navigation(wait_until="load"):
        page.click("form.filters button[type=submit]")
    assert page.is_visible("#error-summary")
    assert axe_violations(page) == []
    assert page.js_errors == []
