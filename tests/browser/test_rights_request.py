"""A citizen exercises a data-protection right in Chromium, in Portuguese: the form, the confirmation
e-mail over real SMTP, the confirm button, the due date on the follow-up page, a message with a PDF;
and axe-core's WCAG 2.1 AA checks on the new citizen pages in both languages.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from praca.core.db import utcnow
from praca.dpo import clock, intake, notifications
from praca.dpo.schemas import RightsRequestForm
from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.browser
REQUEST = "Peço uma cópia das imagens de videovigilância em que apareço na Avenida dos Aliados, a 3 de março."
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def submit(tab, selector: str = "main button[type=submit]") -> None:
    with tab.expect_navigation(wait_until="load"):
        tab.click(selector)


def link_in(body: str, path: str) -> str:
    return re.search(rf"https?://\S+?(/{path}/[\w-]+)\?lang=pt", body).group(1)


def test_a_rights_request_confirmed_by_e_mail_in_portuguese(page, live):
    page.goto("/rights")
    assert page.locator("html").get_attribute("lang") == "pt"
    page.check("#data_right")  # Acesso (artigo 15.º)
    page.fill("#name", "Maria Silva")
    page.fill("#email", "direitos@example.org")
    page.fill("#message", REQUEST)
    submit(page)
    assert "/follow/" in page.url
    reference = re.search(r"P-\d{4}-\d{6}", page.inner_text("h1")).group(0)
    assert "Obrigado. Falta um passo: confirme o seu endereço de e-mail." in page.inner_text("main")
    assert page.is_visible("#confirm-notice")
    assert axe_violations(page) == []

    assert live.deliver_email() >= 1
    [mail] = [m for m in live.smtp.messages if m["To"] == "direitos@example.org"]
    assert mail["Subject"] == f"Confirme o seu pedido {reference}"
    body = mail.get_content()
    confirm, follow = link_in(body, "verify"), link_in(body, "follow")
    assert page.url.split("?")[0].endswith(follow)

    page.goto(confirm)  # what a mail scanner would fetch: a page with a button, nothing more
    assert reference in page.inner_text("main") and "Acesso (artigo 15.º)" in page.inner_text("main")
    assert axe_violations(page) == []
    submit(page, "#confirm")
    assert page.url.endswith("/verified")
    assert "O seu pedido está confirmado" in page.inner_text("h1")
    assert axe_violations(page) == []

    page.goto(follow)
    due = clock.due_date(clock.local_date(utcnow()), live.settings.holiday_subdivision)
    assert page.inner_text("#case-due") == notifications.format_day(due, "pt")
    assert not page.is_visible("#confirm-notice")

    page.fill("#message", "Junto o documento que me pediram.")
    page.set_input_files("#document", files=[{"name": "cartao.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    submit(page, "#add-title + form button[type=submit]")
    main = page.inner_text("main")
    assert "A sua mensagem foi acrescentada." in main and "Documento anexado: PDF, 1 KB." in main
    assert axe_violations(page) == []
    assert page.js_errors == []

    live.deliver_email()
    notice = [m for m in live.smtp.messages if m["To"] == "direitos@example.org"][-1]
    assert notice["Subject"] == f"O seu pedido {reference} está confirmado"
    assert notifications.format_day(due, "pt") in notice.get_content()


@pytest.mark.parametrize("lang", ["pt", "en"])
def test_the_new_citizen_pages_pass_axe(page, live, lang):
    with live.sessionmaker()() as session:
        form = RightsRequestForm(data_right="objection", name="Rui", email="rui@example.org", message=REQUEST)
        fresh = intake.open_rights_request(session, live.settings, form, locale=lang)[2]
        stale_case, _, stale = intake.open_rights_request(session, live.settings, form, locale=lang)
        stale_case.received_at -= timedelta(hours=live.settings.dpo_verification_hours + 1)
        session.commit()

    for path in ("/rights", "/complaint", "/ask", f"/verify/{fresh}", "/verified"):
        page.goto(f"{path}?lang={lang}")
        assert page.locator("html").get_attribute("lang") == lang
        assert axe_violations(page) == [], path

    expired = page.goto(f"/verify/{stale}?lang={lang}")
    assert expired.status == 410
    assert axe_violations(page) == []

    page.goto(f"/rights?lang={lang}")  # the refused form: error summary, invalid fields, radio group
    page.fill("#email", "not-an-address")
    submit(page)
    page.wait_for_function("document.activeElement && document.activeElement.id === 'error-summary'", timeout=3000)
    links = page.locator("#error-summary a")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [
        "#data_right", "#name", "#email", "#message"]
    assert axe_violations(page) == []
