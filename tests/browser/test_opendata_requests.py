"""Citizens' participation in Chromium: a citizen asks for a dataset in Portuguese, a second browser supports
it, a data steward approves and answers it, and the citizen reads the answer; a reuse goes the same way;
axe-core finds no WCAG 2.1 AA violation on the request pages, the reuse pages and the moderation page, in
Portuguese and English."""

from __future__ import annotations

import re
import uuid

import pytest

from praca.core import auth
from praca.opendata import service
from praca.opendata.schemas import DatasetIn
from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.browser
TITLE = "Horários e avarias dos elevadores públicos"
DESCRIPTION = "Para cada elevador: horário, paragens por avaria e datas de manutenção, atualizados diariamente."
ANSWER = "Vamos publicar estes dados em junho, com atualização diária."
PASSWORD = "steward-browser-test"


def submit(tab, selector: str = "main button[type=submit]") -> None:
    """Click a submit button and wait until the next page has loaded."""
    with tab.expect_navigation(wait_until="load"):
        tab.click(selector)


@pytest.fixture(scope="module")
def world(live):
    """A steward to moderate, and a public dataset for reuses (names unique to this run)."""
    suffix = uuid.uuid4().hex[:8]
    email = f"steward-{suffix}@cm-porto.example"
    with live.sessionmaker()() as session:
        auth.create_user(session, email=email, name="Data steward", role="steward", password=PASSWORD)
        service.ensure_organization(session, name="mobilidade-dados", title_pt="Direção Municipal de Mobilidade",
                                    title_en="Municipal Directorate of Mobility", kind="department")
        dataset = service.create_dataset(session, DatasetIn(
            name=f"elevadores-{suffix}", title_pt="Elevadores públicos", title_en="Public lifts",
            organization="mobilidade-dados", themes=["TRAN"]), "test")
        service.publish(session, live.settings, dataset, "test")
        session.commit()
        return {"email": email, "dataset": dataset.name}


def new_tab(browser, live, locale: str):
    context = browser.new_context(base_url=live.url, bypass_csp=True, locale=locale)
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(live.url)
                  else route.abort())
    return context, context.new_page()


def sign_in(tab, email: str) -> None:
    tab.goto("/staff/login")
    tab.fill("#email", email)
    tab.fill("#password", PASSWORD)
    submit(tab)


def test_a_request_is_supported_approved_and_answered(page, browser, live, world):
    page.goto("/data/requests")
    assert page.inner_text("h1") == "Pedidos de dados"
    assert axe_violations(page) == []
    submit(page, "main a.button")
    assert axe_violations(page) == []
    submit(page)  # empty: the summary says what to fix, and takes the focus
    page.wait_for_function("document.activeElement && document.activeElement.id === 'error-summary'", timeout=3000)
    links = page.locator("#error-summary a")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == ["#title", "#description"]
    assert page.get_attribute("#title", "aria-invalid") == "true"
    assert axe_violations(page) == []

    page.fill("#title", TITLE)
    page.fill("#description", DESCRIPTION)
    page.select_option("#organization", "mobilidade-dados")
    submit(page)
    request_url = page.url.split("?")[0]
    request_id = request_url.rsplit("/", 1)[1]
    assert re.fullmatch(r"[0-9a-f-]{36}", request_id)
    assert page.inner_text("#request-status") == "A aguardar moderação"
    assert "primeiro apoiante" in page.inner_text("#notice")
    assert axe_violations(page) == []

    neighbour_context, neighbour = new_tab(browser, live, "pt-PT")
    assert neighbour.goto(request_url).status == 404  # pending: only its author's browser sees it

    staff_context, staff = new_tab(browser, live, "pt-PT")
    sign_in(staff, world["email"])
    staff.goto("/staff/data/moderation")
    assert TITLE in staff.inner_text(f"#request-{request_id}")
    assert axe_violations(staff) == []
    submit(staff, f"#request-{request_id} button[value=approve]")
    assert staff.inner_text("#notice") == "Guardado."

    neighbour.goto(request_url)
    assert neighbour.inner_text("#request-status") == "Em aberto"
    submit(neighbour, "#support")
    assert neighbour.inner_text("#notice") == "Obrigado pelo seu apoio."
    assert neighbour.inner_text("#request-supporters") == "2"
    assert neighbour.inner_text("#support-status") == "Apoia este pedido."
    assert axe_violations(neighbour) == []

    staff.goto("/staff/data/moderation")
    staff.select_option(f"#status-{request_id}", "planned")
    staff.fill(f"#request-answer-{request_id}", ANSWER)
    submit(staff, f"#active-{request_id} button[type=submit]")
    assert staff.inner_text("#notice") == "Guardado."
    assert axe_violations(staff) == []

    page.goto(request_url)
    assert page.inner_text("#request-status") == "Previsto"
    assert ANSWER in page.inner_text("#request-answer")
    assert page.inner_text("#support-status") == "Apoia este pedido."
    assert axe_violations(page) == []
    page.goto("/data/requests")
    assert TITLE in page.inner_text("#requests")
    assert page.js_errors == []
    for context in (neighbour_context, staff_context):
        context.close()


def test_a_reuse_is_listed_once_approved(browser, live, world):
    context, tab = new_tab(browser, live, "en-GB")
    tab.goto(f"/data/reuses/new?dataset={world['dataset']}&lang=en")
    assert tab.is_checked(f"input[name=datasets][value={world['dataset']}]")
    assert axe_violations(tab) == []
    tab.fill("#title", "Lift status board")
    tab.fill("#url", "https://lifts.example.org")
    tab.check("#kind")  # the first choice, application, carries the group's id
    tab.fill("#author", "Porto Civic Tech")
    submit(tab)
    assert "once a moderator has checked it" in tab.inner_text("#notice")
    assert "Lift status board" not in tab.inner_text("main")

    staff_context, staff = new_tab(browser, live, "en-GB")
    sign_in(staff, world["email"])
    staff.goto("/staff/data/moderation?lang=en")
    reuse = staff.locator("article[id^=reuse-]", has_text="Lift status board")
    with staff.expect_navigation(wait_until="load"):
        reuse.locator("button[value=approve]").click()
    staff_context.close()

    for lang, kind in (("en", "Application"), ("pt", "Aplicação")):
        tab.goto(f"/data/reuses?lang={lang}")
        card = tab.locator("#reuses li", has_text="Lift status board")
        assert kind in card.inner_text() and card.locator("a[href='https://lifts.example.org']").count() == 1
        assert axe_violations(tab) == []
    tab.goto(f"/data/{world['dataset']}/discussion?lang=en")
    assert "Lift status board" in tab.inner_text("#reuses")
    assert axe_violations(tab) == []
    context.close()


@pytest.mark.parametrize("lang", ["pt", "en"])
def test_the_request_and_reuse_pages_pass_axe_in_both_languages(page, lang, world):
    for path in ("/data/requests", "/data/requests?status=declined", "/data/requests/new", "/data/reuses",
                 "/data/reuses/new"):
        page.goto(f"{path}{'&' if '?' in path else '?'}lang={lang}")
        assert page.locator("html").get_attribute("lang") == lang
        assert axe_violations(page) == [], path
