"""A department's liaison at work in Chromium: they see only their department's cases, answer one
publicly and mark it answered, and the citizen reads the answer on their follow-up page. axe-core
checks the new staff pages (inbox with its filters and bulk form, case page, registering a case)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from praca.core.auth import Department
from praca.dpo import service
from praca.dpo.models import Case
from praca.dpo.schemas import QuestionForm
from praca.registry.models import Device, Operator
from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.browser
LIAISON = ("liaison.ambiente@cm-porto.example", "praca-demo-2026")
ANSWER = "O sensor mede apenas o nível de ruído em decibéis; não grava conversas."


def submit(tab, selector: str) -> None:
    with tab.expect_navigation(wait_until="load"):
        tab.click(selector)


def test_a_liaison_answers_a_question_about_their_departments_device(page, live):
    with live.sessionmaker()() as session:
        ambiente = session.scalar(select(Department).where(Department.slug == "ambiente"))
        device = session.scalar(select(Device).join(Operator).where(Operator.department_id == ambiente.id).limit(1))
        case, token = service.open_question(
            session, live.settings, QuestionForm(message="Este sensor no jardim grava o que as pessoas dizem?"),
            locale="pt", device_public_id=device.public_id)
        elsewhere = session.scalar(select(Case.reference).where(Case.department_id != ambiente.id,
                                                                Case.status == "received").limit(1))
        reference, department_name = case.reference, ambiente.name_pt
        session.commit()
    assert elsewhere is not None

    page.goto("/staff/login")
    page.fill("#email", LIAISON[0])
    page.fill("#password", LIAISON[1])
    submit(page, "main button[type=submit]")
    page.goto("/staff/cases?open_only=false&limit=100")
    departments = set(page.locator("#cases tbody tr > :nth-child(6)").all_inner_texts())
    assert departments == {department_name}
    assert axe_violations(page) == []
    page.goto(f"/staff/cases?q={elsewhere}")
    assert "0 processos" in page.inner_text("#case-count")

    page.goto(f"/staff/cases?q={reference}")
    assert axe_violations(page) == []
    submit(page, f'a:text-is("{reference}")')
    assert axe_violations(page) == []
    assert "Faltam" in page.inner_text("#case-due")
    page.fill("#reply-body", ANSWER)
    assert page.is_checked("#reply-mark-answered")
    submit(page, "#reply-title + form button[type=submit]")
    assert "A sua resposta foi publicada." in page.inner_text("main")
    assert page.inner_text("#case-status") == "Respondido"
    assert page.js_errors == []

    page.goto(f"/follow/{token}")
    assert ANSWER in page.inner_text("#thread")

    page.goto("/staff/cases/new")
    assert axe_violations(page) == []
    page.select_option("#kind", "question")
    page.select_option("#topic", "wifi")
    page.select_option("#channel", "phone")
    page.fill("#message", "Telefonou a perguntar se a rede Wi-Fi da câmara regista os sites visitados.")
    submit(page, "main form button[type=submit]")
    registered = page.inner_text("#reference")
    assert re.fullmatch(r"P-\d{4}-\d{6}", registered) and "/follow/" in page.inner_text("#follow-url")
    assert axe_violations(page) == []
