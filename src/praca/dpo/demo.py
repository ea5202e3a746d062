"""The DPO desk's part of the demo city: a few open reports and questions, one already answered,
then a year of cases and of staff training (demo_year.py) so the figures and charts mean something.

Idempotent: the few cases are added only while there is no case at all, the year only once, the
training only while the roster is empty. Runs after the register's demo, so questions can be about
real demo devices; the answer is written by the demo DPO account when it exists.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from praca.core.auth import Role, User
from praca.dpo import clock, demo_year, service
from praca.dpo.models import Case
from praca.dpo.schemas import QuestionForm, ReportForm, StaffMessageForm
from praca.registry import service as registry_service
from praca.settings import Settings

REPORTS = [
    ("pt", ReportForm(lat=41.1488, lon=-8.6060, device_type="cctv_camera", email="maria@example.org",
                      description="Câmara preta num poste à porta de uma loja na Rua de Santa Catarina, virada "
                                  "para o passeio. Não a encontro no mapa.")),
    ("en", ReportForm(lat=41.1456, lon=-8.6063, device_type="people_counter",
                      description="A small white box with an antenna on a lamp post next to the bus stop at "
                                  "Praça da Batalha. Is it counting phones?")),
    ("pt", ReportForm(lat=41.1465, lon=-8.6167, device_type="noise_sensor", email="joao.silva@example.org",
                      description="Caixa cinzenta com o que parece um microfone, presa a uma árvore no Jardim "
                                  "da Cordoaria.")),
]
QUESTIONS = [
    ("en", QuestionForm(email="alex@example.org",
                        message="Does the city's free Wi-Fi keep a record of the websites I visit? "
                                "I use it every day on the bus.")),
    ("pt", QuestionForm(message="Posso pedir acesso às imagens de videovigilância em que apareço? "
                                "A quem me devo dirigir?")),
]
DEVICE_QUESTION = QuestionForm(email="maria@example.org",
                               message="Quanto tempo ficam guardadas as imagens desta câmara e quem as pode ver?")


def _a_camera(session: Session) -> tuple[str, int | None] | None:
    for device in registry_service.all_devices(session):
        if device.type == "cctv_camera":
            return device.public_id, device.retention_days
    return None


def _backdate(case: Case, settings: Settings, days: int) -> None:
    """Move a case back in time, its legal deadline with it."""
    case.received_at -= timedelta(days=days)
    case.due_date = clock.due_date(clock.local_date(case.received_at), settings.holiday_subdivision)
    for message in case.messages:
        message.created_at -= timedelta(days=days)


def seed(session: Session, settings: Settings) -> list[str]:
    lines = seed_examples(session, settings)
    lines += demo_year.seed_cases(session, settings)
    lines += demo_year.seed_training(session, settings)
    return lines


def seed_examples(session: Session, settings: Settings) -> list[str]:
    """A few cases made through the service, as citizens and the DPO would; one to follow by its link."""
    if session.scalar(select(func.count(Case.id))):
        return ["DPO desk: demo cases already there."]
    follow_token = ""
    for age, (locale, form) in enumerate(REPORTS, start=1):
        case, token = service.open_report(session, settings, form, locale=locale)
        _backdate(case, settings, age)
        follow_token = follow_token or token
    for age, (locale, form) in enumerate(QUESTIONS, start=2):
        case, _ = service.open_question(session, settings, form, locale=locale)
        _backdate(case, settings, age)
    count = len(REPORTS) + len(QUESTIONS)

    camera = _a_camera(session)
    dpo = session.scalar(select(User).where(User.role.in_([Role.DPO, Role.ADMIN])).order_by(User.role.desc(), User.id))
    if camera is not None:
        device_id, retention_days = camera
        case, _ = service.open_question(session, settings, DEVICE_QUESTION, locale="pt", device_public_id=device_id)
        _backdate(case, settings, 5)
        count += 1
        if dpo is not None:
            kept = f"{retention_days} dias" if retention_days else "o prazo indicado na ficha do aparelho"
            answer = (f"Obrigada pela sua pergunta. As imagens desta câmara são guardadas durante {kept} e "
                      "apagadas automaticamente depois disso. Só os agentes autorizados as podem ver, e apenas "
                      "quando há uma ocorrência. Pode pedir acesso às imagens em que aparece respondendo aqui.")
            service.reply(session, settings, dpo, case.public_id, StaffMessageForm(body=answer, mark_answered=True))
    session.flush()
    link = f"{settings.base_url.rstrip('/')}/follow/{follow_token}"
    return [f"DPO desk: {count} demo cases; follow one as its citizen would at {link}"]
