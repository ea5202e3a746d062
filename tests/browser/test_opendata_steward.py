"""The data stewards' pages in Chromium: a steward creates a dataset, uploads a CSV with personal data and
publishes it; the gate refuses it and names the failing columns; the DPO publishes it anyway with a
reason. axe-core finds no WCAG 2.1 AA violation on the list, the dataset form (also with its errors) and
the gate report, in Portuguese and English, nor on the dataset's page, the resource form refusing a ragged
CSV, and the history."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from praca.core import auth
from praca.demo import DEMO_PASSWORD
from praca.opendata import service
from praca.opendata.models import Dataset
from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.browser
STEWARD = ("steward.browser@cm-porto.example", "steward-browser-password")
DPO = ("dpo@cm-porto.example", DEMO_PASSWORD)  # the demo city's DPO
NAME = "consumos-agua-teste-navegador"
REASON = "Os NIF e os endereços são de empresas fornecedoras, já públicos no portal BASE."


def nif(first8: str) -> str:
    total = sum(int(d) * w for d, w in zip(first8, range(9, 1, -1), strict=True))
    check = 11 - total % 11
    return first8 + str(0 if check >= 10 else check)


CSV = "freguesia,email,nif,consumo_m3\n" + "".join(
    f"Bonfim,cliente{i}@exemplo.pt,{nif(f'5{i:07d}')},{10 + i}\n" for i in range(1, 41))


@pytest.fixture(scope="module")
def seeded(live):
    with live.sessionmaker()() as session:
        service.ensure_organization(session, name="aguas-do-porto", title_pt="Águas e Energia do Porto",
                                    title_en="Porto Water and Energy", kind="municipal_company")
        if session.scalar(select(auth.User.id).where(auth.User.email == STEWARD[0])) is None:
            auth.create_user(session, email=STEWARD[0], name="Steward (browser test)", role="steward",
                             password=STEWARD[1])
        session.commit()
    yield


def sign_in(page, email: str, password: str) -> None:
    page.goto("/staff/login")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation(wait_until="load"):
        page.click("main button[type=submit]")


def submit(page, selector: str) -> None:
    with page.expect_navigation(wait_until="load"):
        page.click(selector)


@pytest.mark.parametrize("lang", ["pt", "en"])
def test_the_stewards_list_and_form_pass_axe(page, seeded, lang):
    sign_in(page, *STEWARD)
    assert page.url.endswith("/staff/data")
    for url in ("/staff/data", "/staff/data?state=draft", "/staff/data/new"):
        page.goto(f"{url}{'&' if '?' in url else '?'}lang={lang}")
        assert axe_violations(page) == [], url
    page.fill("#name", "Nome Inválido")
    page.fill("#bbox_west", "-8.69")
    submit(page, "#dataset-form button[type=submit]")
    assert page.locator("#error-summary a").count() >= 3  # the name, both titles, the publisher, the box
    assert page.get_attribute("#name", "aria-invalid") == "true"
    assert axe_violations(page) == []
    assert page.js_errors == []


def test_a_refused_dataset_and_the_dpos_override(page, seeded, tmp_path, live):
    sign_in(page, *STEWARD)
    page.click("text=Criar um conjunto de dados")
    page.fill("#name", NAME)
    page.fill("#title_pt", "Consumos de água por cliente")
    page.fill("#title_en", "Water consumption by customer")
    page.select_option("#organization", "aguas-do-porto")
    page.check("label:has-text('Ambiente')")
    page.fill("#keywords", "água, consumo")
    page.select_option("#frequency", "MONTHLY")
    submit(page, "#dataset-form button[type=submit]")
    assert "done=created" in page.url and "Rascunho" in page.inner_text("#dataset-state")
    assert axe_violations(page) == []

    page.click("main a:has-text('Adicionar um recurso') >> nth=0")
    page.fill("#name_pt", "Consumos de 2026")
    page.fill("#name_en", "Consumption in 2026")
    ragged = tmp_path / "torto.csv"
    ragged.write_text("freguesia,consumo_m3\nBonfim,12\nCampanhã,7,3\n", encoding="utf-8")
    page.set_input_files("#file", str(ragged))
    submit(page, "#resource-form button[type=submit]")
    assert "Linha 3" in page.inner_text("#conversion-errors")
    assert axe_violations(page) == []
    csv = tmp_path / "consumos.csv"
    csv.write_text(CSV, encoding="utf-8")
    page.set_input_files("#file", str(csv))
    submit(page, "#resource-form button[type=submit]")
    assert "done=resource_added" in page.url
    assert "consumo_m3" in page.inner_text("#resources")

    submit(page, "#publish")
    assert "/gate/" in page.url
    findings = page.inner_text("table.findings")
    assert "email" in findings and "nif" in findings and "Endereços de e-mail" in findings
    assert "cliente1@exemplo.pt" not in page.content()
    assert page.locator("#override-reason").count() == 0 and page.locator("#ask-the-dpo").count() == 1
    assert axe_violations(page) == []
    report_url = page.url.split("?")[0]
    page.goto(f"{report_url}?lang=en")
    assert "E-mail addresses" in page.inner_text("table.findings")
    assert axe_violations(page) == []

    page.click("header button:has-text('Sign out')")
    page.wait_for_load_state()
    sign_in(page, *DPO)
    page.goto(report_url)
    submit(page, "main form button[type=submit]:has-text('Publicar apesar do controlo')")
    assert page.locator("#error-summary").count() == 1  # no reason given
    assert axe_violations(page) == []
    page.fill("#override-reason", REASON)
    submit(page, "main form button[type=submit]:has-text('Publicar apesar do controlo')")
    assert "done=overridden" in page.url
    assert "Publicado" in page.inner_text("#dataset-state")
    page.click("main nav a:has-text('Histórico')")
    page.wait_for_load_state()
    assert REASON in page.inner_text("#versions")
    assert axe_violations(page) == []
    assert page.js_errors == []

    with live.sessionmaker()() as session:
        dataset = session.scalar(select(Dataset).where(Dataset.name == NAME))
        version = service.latest_version(session, dataset)
        assert dataset.state == "active"
        assert version.change == "published_by_override" and version.override_reason == REASON
