"""A year of the DPO desk for the demo city, so its figures and charts mean something.

About 700 cases received over the 365 days ending today, fewer at weekends and in August: mostly
questions (by topic), reports of devices missing from the register, some rights requests (by right)
and a few complaints; mostly on the web, some by e-mail, phone, letter or in person. The first
answer comes after a delay drawn from a log-normal with a long tail (a few cases take over 30 days,
most of those with an extension and its reason), scaled so the year's mean is Porto's 2.4 days.
Statuses follow the dates: old cases are answered and closed, recent ones open, a handful overdue.
Retention has run as it would have: contacts of cases closed over `dpo_contact_retention_days` ago
are gone. And the staff training year: ~300 people across the departments, a session a month, about
85% trained with some departments ahead of others, and new staff not yet trained.

Deterministic (one seeded generator, ids included) apart from "today", and fast: rows are inserted
in bulk (Core inserts, not one ORM object per case), with one audit entry per load rather than one
per synthetic case. Each part loads once: the cases when no demo year was recorded yet, the
training when the roster is empty.
"""

from __future__ import annotations

import hashlib
import math
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from praca.core import audit
from praca.core.auth import Department, Role, User
from praca.core.db import utcnow
from praca.dpo import clock
from praca.dpo.models import (
    Case,
    CaseKind,
    CaseMessage,
    CaseStatus,
    Channel,
    DataSubjectRight,
    QuestionTopic,
    ReportOutcome,
    Trainee,
    TrainingAttendance,
    TrainingSession,
)
from praca.registry import service as registry_service
from praca.settings import Settings

SEED = 20260615
CASES = 700
MEAN_DAYS = 2.4  # Porto's DPO: the mean time to a first answer, against a 30-day legal limit
YEAR_LOADED = "dpo.demo.year_loaded"
TRAINING_LOADED = "dpo.demo.training_loaded"
S, K = CaseStatus, CaseKind

KINDS = [(K.QUESTION, 55), (K.UNLISTED_DEVICE, 25), (K.RIGHTS_REQUEST, 15), (K.COMPLAINT, 5)]
TOPICS = [(QuestionTopic.DEVICE, 40), (QuestionTopic.WIFI, 25), (QuestionTopic.PRIVACY_POLICY, 15),
          (QuestionTopic.OTHER, 20)]
RIGHTS = [(DataSubjectRight.ACCESS, 45), (DataSubjectRight.ERASURE, 20), (DataSubjectRight.RECTIFICATION, 10),
          (DataSubjectRight.OBJECTION, 10), (DataSubjectRight.PORTABILITY, 6), (DataSubjectRight.RESTRICTION, 5),
          (DataSubjectRight.AUTOMATED_DECISION, 4)]
CHANNELS = [(Channel.WEB, 74), (Channel.EMAIL, 12), (Channel.PHONE, 6), (Channel.LETTER, 4), (Channel.IN_PERSON, 4)]
MONTH_WEIGHT = {1: 1.1, 2: 1.05, 3: 1.1, 4: 1.0, 5: 1.0, 6: 0.95, 7: 0.85, 8: 0.6, 9: 1.1, 10: 1.2, 11: 1.1,
                12: 0.8}
KIND_SPEED = {K.QUESTION: 1.0, K.UNLISTED_DEVICE: 1.3, K.RIGHTS_REQUEST: 2.2, K.COMPLAINT: 2.6}
OVERDUE_CASES = 5
TAIL_SHARE = 0.012  # of answered cases, answered after more than 30 days

FIRST_NAMES = ["Ana", "Maria", "Beatriz", "Inês", "Mariana", "Joana", "Sofia", "Catarina", "Rita", "Leonor",
               "Marta", "Sara", "Helena", "Teresa", "Filipa", "João", "José", "Pedro", "Rui", "Tiago", "Miguel",
               "Francisco", "António", "Manuel", "Nuno", "Ricardo", "Luís", "Diogo", "Gonçalo", "Bruno"]
LAST_NAMES = ["Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues", "Martins", "Sousa",
              "Fernandes", "Gonçalves", "Gomes", "Lopes", "Marques", "Alves", "Almeida", "Ribeiro", "Pinto",
              "Carvalho", "Teixeira", "Moreira", "Correia", "Mendes", "Nunes", "Soares", "Vieira", "Monteiro",
              "Cardoso", "Rocha", "Neves", "Coelho", "Cunha", "Pires", "Barbosa", "Magalhães", "Azevedo"]
PLACES = ["Avenida dos Aliados", "Praça da Batalha", "Rua de Santa Catarina", "Jardim da Cordoaria",
          "Rua das Flores", "Praça da Ribeira", "Avenida da Boavista", "Rua de Cedofeita", "Praça do Marquês",
          "Campo 24 de Agosto", "Rua do Almada", "Largo do Amor de Perdição", "Praça de Lisboa",
          "Rotunda da Boavista", "Rua Formosa", "Avenida de Fernão de Magalhães", "Parque da Cidade",
          "Estação de São Bento", "Mercado do Bolhão", "Rua de Costa Cabral"]

# What citizens write, by kind (and topic or right), in both languages. {place}: a street or square.
ASK: dict[str, dict[str, list[str]]] = {
    QuestionTopic.DEVICE: {
        "pt": ["Há uma câmara nova na {place}. Quem a gere e durante quanto tempo guardam as imagens?",
               "A câmara na {place} grava som também, ou só imagem? Está escrito em algum lado?",
               "Vi um sensor numa coluna de iluminação na {place}. Recolhe dados dos telemóveis de quem passa?",
               "Quem pode ver as imagens das câmaras de trânsito da {place}? A polícia tem acesso direto?",
               "O contador de pessoas na {place} identifica as pessoas de alguma forma?",
               "Moro na {place} e a câmara parece apontar para a minha janela. Podem verificar o ângulo?"],
        "en": ["There is a camera at {place}. Who runs it and how long is the footage kept?",
               "Does the sensor on the lamp post at {place} collect anything from phones passing by?",
               "Can I find out who operates the cameras near {place}? I could not see a sign."],
    },
    QuestionTopic.WIFI: {
        "pt": ["O Wi-Fi gratuito da cidade regista os sites que visito? Uso-o todos os dias no autocarro.",
               "Para usar o Wi-Fi do Porto pedem o meu e-mail. Para que o usam e quando o apagam?",
               "O Wi-Fi público guarda o endereço MAC do meu telemóvel? Durante quanto tempo?",
               "Os dados do Wi-Fi da {place} são partilhados com empresas de publicidade?"],
        "en": ["Does the free city Wi-Fi keep a record of the websites I visit?",
               "The public Wi-Fi at {place} asked for my e-mail address. What is it used for?",
               "Is my phone tracked across the city when Wi-Fi is switched on?"],
    },
    QuestionTopic.PRIVACY_POLICY: {
        "pt": ["Na política de privacidade fala-se em 'interesse público'. Pode explicar em que casos se aplica?",
               "Onde posso consultar a lista de tratamentos de dados da Câmara?",
               "A política de privacidade diz que os dados podem ser partilhados com 'entidades terceiras'. Quais?"],
        "en": ["The privacy policy mentions 'third parties'. Who are they?",
               "Where can I read how long the city keeps the data from its forms?"],
    },
    QuestionTopic.OTHER: {
        "pt": ["Recebi uma carta da Câmara com o meu nome mal escrito. Como sabem a minha morada?",
               "Posso pedir que não me enviem mais comunicações da junta de freguesia?",
               "Fiz um requerimento online e quero saber quem tem acesso aos documentos que anexei.",
               "A escola do meu filho pediu autorização para fotografias. Para onde vão essas fotografias?"],
        "en": ["I filled in a form for a parking permit. Who can see my car registration?",
               "How do I find out which city services hold my data?"],
    },
}
REPORT: dict[str, list[str]] = {
    "pt": ["Câmara preta num poste na {place}, virada para o passeio. Não a encontro no mapa.",
           "Caixa cinzenta com antena presa a uma árvore na {place}. Parece um sensor.",
           "Há duas câmaras novas na {place}, junto à paragem de autocarro. Não estão no registo.",
           "Um aparelho com uma luz vermelha no cimo de um semáforo na {place}. Será um radar?",
           "Pequena câmara redonda por cima da entrada do parque na {place}."],
    "en": ["A small white box with an antenna on a lamp post at {place}. Is it counting phones?",
           "Camera on a pole at {place} facing the square; I cannot find it on the map.",
           "New device on the traffic light at {place}, it looks like a number-plate camera."],
}
RIGHT_ASK: dict[str, dict[str, list[str]]] = {
    DataSubjectRight.ACCESS: {
        "pt": ["Peço cópia das imagens em que apareço, gravadas pela câmara da {place} no dia indicado, "
               "entre as 18h e as 19h.",
               "Quero saber que dados pessoais meus a Câmara trata e obter uma cópia.",
               "Peço acesso aos registos do Wi-Fi público associados ao meu telemóvel no último mês."],
        "en": ["I ask for a copy of the footage of me recorded at {place} on the day mentioned.",
               "Please tell me what personal data the city holds about me, and send me a copy."],
    },
    DataSubjectRight.ERASURE: {
        "pt": ["Peço o apagamento do meu registo na newsletter municipal e de todos os dados associados.",
               "Peço que apaguem a minha conta do Wi-Fi público e o histórico de ligações."],
        "en": ["Please delete my account for the public Wi-Fi and everything linked to it."],
    },
    DataSubjectRight.RECTIFICATION: {
        "pt": ["A minha morada está errada nos vossos registos de estacionamento de residentes. Peço a correção.",
               "O meu nome aparece mal escrito nas cartas da Câmara. Peço que o corrijam."],
        "en": ["My address is wrong in the residents' parking records. Please correct it."],
    },
    DataSubjectRight.OBJECTION: {
        "pt": ["Oponho-me ao uso do meu e-mail para inquéritos de satisfação.",
               "Oponho-me a que a câmara em frente à minha casa na {place} grave a minha entrada."],
        "en": ["I object to my e-mail being used for satisfaction surveys."],
    },
    DataSubjectRight.PORTABILITY: {
        "pt": ["Peço os dados que forneci no portal do munícipe num formato que possa reutilizar."],
        "en": ["Please send me the data I gave the citizen portal in a machine-readable format."],
    },
    DataSubjectRight.RESTRICTION: {
        "pt": ["Enquanto contestam a correção da minha morada, peço que não usem esses dados."],
        "en": ["While my rectification request is pending, please stop using my address."],
    },
    DataSubjectRight.AUTOMATED_DECISION: {
        "pt": ["A minha candidatura a habitação foi recusada automaticamente. Peço que uma pessoa a reveja."],
        "en": ["My housing application was refused by an automatic score. I ask for a person to review it."],
    },
}
COMPLAINT: dict[str, list[str]] = {
    "pt": ["Fiz um pedido de acesso há semanas e ainda não recebi resposta completa.",
           "A resposta ao meu pedido não explica por que razão as imagens não podem ser entregues.",
           "Considero excessiva a câmara instalada na {place}, que filma a esplanada inteira."],
    "en": ["I asked for my data weeks ago and the answer is incomplete.",
           "I find the camera at {place} excessive: it films the whole terrace."],
}
ANSWER: dict[str, dict[str, list[str]]] = {
    K.QUESTION: {
        "pt": ["Obrigada pela sua pergunta. O aparelho é gerido pelo serviço municipal indicado na ficha do registo, "
               "onde encontra a finalidade, os dados recolhidos e o prazo de conservação.",
               "Obrigada pelo contacto. O Wi-Fi municipal não regista os sites visitados; guarda apenas dados "
               "técnicos de ligação durante o prazo indicado na política de privacidade.",
               "Agradecemos a pergunta. A informação pedida consta do registo de atividades de tratamento, que pode "
               "consultar no portal; em resumo, os dados são usados só para a finalidade indicada.",
               "Obrigada. Encaminhámos a sua questão para o serviço responsável, que confirmou o seguinte: as imagens "
               "são conservadas no máximo 30 dias e só as vê pessoal autorizado."],
        "en": ["Thank you for your question. The device is run by the municipal service named on its register card, "
               "which also gives its purpose, the data it gathers and how long it is kept.",
               "Thank you. The city Wi-Fi does not record the websites you visit; it keeps only technical connection "
               "data for the period stated in the privacy policy."],
    },
    K.UNLISTED_DEVICE: {
        "pt": ["Obrigada pelo seu aviso. Verificámos o local e atualizámos o registo."],
        "en": ["Thank you for your report. We checked the place and updated the register."],
    },
    K.RIGHTS_REQUEST: {
        "pt": ["Em resposta ao seu pedido, enviamos em anexo a informação solicitada, nos termos do RGPD.",
               "O seu pedido foi atendido: os dados foram corrigidos em todos os sistemas indicados.",
               "Concluímos o seu pedido: os dados foram apagados, com exceção dos que a lei nos obriga a conservar."],
        "en": ["In reply to your request, please find the information you asked for, under the GDPR.",
               "Your request has been carried out in every system concerned."],
    },
    K.COMPLAINT: {
        "pt": ["A sua reclamação foi analisada pelo Provedor do Munícipe com a Encarregada de Proteção de Dados. "
               "Damos-lhe razão em parte e o serviço foi instruído a completar a resposta."],
        "en": ["Your complaint was reviewed by the Inhabitant Ombudsman together with the DPO. It is partly "
               "upheld, and the service has been asked to complete its answer."],
    },
}
NOTES = ["Pedido encaminhado ao serviço responsável.", "Confirmado com o operador do aparelho.",
         "Aguardar parecer jurídico.", "Imagens já apagadas pelo prazo de conservação; explicar ao munícipe.",
         "Verificado no local pela equipa de fiscalização."]
EXTENSION_REASONS = ["Pedido complexo: envolve imagens de várias câmaras e dados de dois departamentos.",
                     "Grande volume de registos a rever e a expurgar de dados de terceiros.",
                     "Aguarda resposta do operador externo do sistema (subcontratante).",
                     "Número elevado de pedidos em simultâneo no serviço responsável."]
REJECTIONS = ["Não foi possível confirmar a identidade do requerente.",
              "O pedido não diz respeito a dados tratados pelo município."]
WAITING_QUESTION = {"pt": "Para podermos responder, indique por favor o dia e a hora aproximada.",
                    "en": "So that we can answer, please tell us the approximate day and time."}


def _pick(rng: random.Random, weighted: list[tuple[Any, int]]) -> Any:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _hash(rng: random.Random) -> str:
    return hashlib.sha256(rng.randbytes(32)).hexdigest()


def _lisbon(day: date, hour: float) -> datetime:
    """A moment on a Lisbon calendar day, in UTC."""
    local = datetime.combine(day, time(0), tzinfo=clock.CITY_TZ) + timedelta(hours=hour)
    return local.astimezone(UTC)


@dataclass
class _Draft:
    """One case being drawn, before it becomes rows."""

    kind: str
    received: datetime
    locale: str
    delay: float | None  # days to the first answer; None: still unanswered
    row: dict[str, Any]


class _Desk:
    """The people and things the year's cases refer to."""

    def __init__(self, session: Session) -> None:
        users = session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)).all()
        self.dpo = next((u.id for u in users if u.role == Role.DPO), None) or next(
            (u.id for u in users if u.role == Role.ADMIN), None)
        self.liaisons: dict[int, list[int]] = {}
        for u in users:
            if u.role == Role.LIAISON and u.department_id:
                self.liaisons.setdefault(u.department_id, []).append(u.id)
        self.departments = dict(session.execute(select(Department.slug, Department.id)).tuples().all())
        self.devices = [(d.public_id, d.operator.department_id if d.operator else None)
                        for d in registry_service.all_devices(session)]

    def department(self, slug: str) -> int | None:
        return self.departments.get(slug)


def _receipt_days(rng: random.Random, today: date) -> list[date]:
    days = [today - timedelta(days=n) for n in range(365)]
    weights = [(1.0 if d.weekday() < 5 else 0.35) * MONTH_WEIGHT[d.month] for d in days]
    return sorted(rng.choices(days, weights, k=CASES))


def _delays(rng: random.Random, drafts: list[_Draft], now: datetime) -> None:
    """First-answer delays: log-normal by kind, a long tail over 30 days, scaled so the mean over the
    cases answered by now is the year's mean (scaling can move a recent case across "now": twice)."""
    tail: set[int] = set()
    for i, d in enumerate(drafts):
        if rng.random() < TAIL_SHARE:
            d.delay = rng.uniform(31, 80)
            tail.add(i)
        else:
            d.delay = KIND_SPEED[d.kind] * math.exp(rng.gauss(0.0, 0.95))
    for _ in range(2):
        answered = [i for i, d in enumerate(drafts)
                    if d.delay is not None and d.received + timedelta(days=d.delay) <= now]
        tail_sum = sum(drafts[i].delay or 0 for i in answered if i in tail)
        body_sum = sum(drafts[i].delay or 0 for i in answered if i not in tail)
        scale = (MEAN_DAYS * len(answered) - tail_sum) / body_sum
        for i, d in enumerate(drafts):
            if i not in tail and d.delay is not None:
                d.delay = max(d.delay * scale, 0.02)


def _texts(rng: random.Random, pool: dict[str, list[str]], locale: str) -> str:
    return rng.choice(pool[locale]).format(place=rng.choice(PLACES))


def _draft_case(rng: random.Random, desk: _Desk, day: date, refs: set[str]) -> _Draft:
    kind = _pick(rng, KINDS)
    channel = Channel.WEB if kind == K.UNLISTED_DEVICE else _pick(rng, CHANNELS)
    locale = "en" if rng.random() < 0.14 else "pt"
    hour = rng.uniform(8.5, 19.0) if channel != Channel.WEB else rng.triangular(0.0, 24.0, 14.0)
    received = _lisbon(day, hour)
    while (ref := f"P-{day.year}-{rng.randrange(1_000_000):06d}") in refs:
        pass
    refs.add(ref)
    row: dict[str, Any] = {
        "public_id": _uuid(rng), "reference": ref, "kind": kind, "channel": channel, "locale": locale,
        "token_hash": _hash(rng), "received_at": received, "status": S.RECEIVED, "extension_months": 0,
        "created_by_id": desk.dpo if channel != Channel.WEB else None,
        "contact_email": None, "requester_name": None, "topic": None, "data_right": None, "department_id": None,
        "device_public_id": None, "lat": None, "lon": None, "suspected_type": None, "verified_at": None,
    }
    first = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    if channel in (Channel.WEB, Channel.EMAIL) and rng.random() < (0.95 if kind == K.RIGHTS_REQUEST else 0.55):
        user = first.lower().replace(" ", ".").translate(str.maketrans("áâãçéêíóôõú", "aaaceeiooou"))
        row["contact_email"] = f"{user}{rng.randrange(100)}@example.org"
    if kind == K.QUESTION:
        topic = _pick(rng, TOPICS)
        row["topic"], text = topic, _texts(rng, ASK[topic], locale)
        if topic == QuestionTopic.DEVICE and desk.devices:
            row["device_public_id"], row["department_id"] = rng.choice(desk.devices)
        elif topic == QuestionTopic.WIFI:
            row["department_id"] = desk.department("sistemas-informacao")
        elif topic == QuestionTopic.OTHER and rng.random() < 0.5:
            row["department_id"] = desk.department(rng.choice(["educacao", "saude", "cultura", "mobilidade"]))
    elif kind == K.UNLISTED_DEVICE:
        text = _texts(rng, REPORT, locale)
        row |= {"lat": round(rng.uniform(41.140, 41.175), 5), "lon": round(rng.uniform(-8.650, -8.585), 5),
                "suspected_type": rng.choice(["cctv_camera", "cctv_camera", "people_counter", "noise_sensor",
                                              "lpr_camera", "air_quality_sensor", "other"]),
                "department_id": desk.department(rng.choice(["urbanismo", "seguranca", "mobilidade", "ambiente"]))}
    elif kind == K.RIGHTS_REQUEST:
        right = _pick(rng, RIGHTS)
        row |= {"data_right": right, "requester_name": first,
                "verified_at": received + timedelta(minutes=rng.uniform(3, 600)) if channel == Channel.WEB
                else received,
                "department_id": desk.department(rng.choice(["seguranca", "sistemas-informacao", "mobilidade",
                                                             "educacao", "saude", "urbanismo"]))}
        text = _texts(rng, RIGHT_ASK[right], locale)
    else:
        text = _texts(rng, COMPLAINT, locale)
    row["_text"] = text
    return _Draft(kind, received, locale, None, row)


def _assign(rng: random.Random, desk: _Desk, row: dict[str, Any]) -> None:
    liaisons = desk.liaisons.get(row["department_id"] or -1, [])
    row["assignee_id"] = rng.choice(liaisons) if liaisons and rng.random() < 0.85 else desk.dpo


def _settle(rng: random.Random, desk: _Desk, settings: Settings, d: _Draft, now: datetime,
            messages: list[dict[str, Any]]) -> None:
    """Status, dates, thread and alarms, consistent with the delay and today."""
    row = d.row
    start = clock.local_date(row["verified_at"] or d.received)
    _assign(rng, desk, row)
    messages.append({"_case": row["reference"], "author": "citizen", "body": row.pop("_text"),
                     "created_at": d.received, "internal": False})
    answered = d.received + timedelta(days=d.delay) if d.delay is not None else None
    if answered is not None and answered > now:
        answered = None
    if d.delay is not None and d.delay > 30 and rng.random() < 0.7:
        row["extension_months"] = 1 if d.delay < 55 else 2
        row["extension_reason"] = rng.choice(EXTENSION_REASONS)
    row["due_date"] = clock.due_date(start, settings.holiday_subdivision, row["extension_months"])
    last = d.received
    if rng.random() < 0.2:
        note_at = d.received + timedelta(days=(d.delay or 1) / 2)
        if note_at < now:
            messages.append({"_case": row["reference"], "author": "staff", "author_user_id": row["assignee_id"],
                             "body": rng.choice(NOTES), "created_at": note_at, "internal": True})
    if answered is None:
        age = (now - d.received).total_seconds() / 86_400
        row["status"] = S.RECEIVED if age < 1 else rng.choice([S.ACKNOWLEDGED, S.IN_PROGRESS, S.IN_PROGRESS,
                                                               S.WAITING_CITIZEN])
        if age < 2 and rng.random() < 0.5:
            row["assignee_id"] = None  # not picked up yet
        if row["status"] == S.WAITING_CITIZEN:
            messages.append({"_case": row["reference"], "author": "staff", "author_user_id": row["assignee_id"],
                             "body": WAITING_QUESTION[d.locale], "created_at": d.received + timedelta(hours=6),
                             "internal": False})
    else:
        rejected = (d.kind in (K.RIGHTS_REQUEST, K.COMPLAINT) and rng.random() < 0.08)
        if rejected:
            row["rejection_reason"] = rng.choice(REJECTIONS)
            body = row["rejection_reason"]
        else:
            body = _texts(rng, ANSWER[d.kind], d.locale)
        messages.append({"_case": row["reference"], "author": "staff", "author_user_id": row["assignee_id"],
                         "body": body, "created_at": answered, "internal": False})
        row["first_answer_at"] = last = answered
        closes = answered if (rejected or d.kind == K.UNLISTED_DEVICE) else answered + timedelta(
            days=rng.uniform(0.5, 12))
        if d.kind == K.UNLISTED_DEVICE:
            outcome = _pick(rng, [(ReportOutcome.ALREADY_REGISTERED, 50), (ReportOutcome.REGISTERED_NOW, 20),
                                  (ReportOutcome.NOT_A_DEVICE, 30)])
            row["outcome"] = outcome
            if outcome != ReportOutcome.NOT_A_DEVICE and desk.devices:
                row["outcome_device_public_id"] = rng.choice(desk.devices)[0]
        if closes <= now:
            row["status"], row["closed_at"], last = (S.REJECTED if rejected else S.CLOSED), closes, closes
            erase_at = closes + timedelta(days=settings.dpo_contact_retention_days, hours=rng.uniform(0, 6))
            if row["contact_email"] and erase_at <= now:
                row["contact_email"], row["contact_erased_at"] = None, erase_at
        else:
            row["status"] = S.ANSWERED
    # The alarms, as the worker would have rung them.
    until = clock.local_date(answered or now)
    opens = row["due_date"] - timedelta(days=settings.dpo_reminder_days)
    if until >= opens:
        row["reminded_at"] = _lisbon(max(opens, start), 8.0)
    if until > row["due_date"]:
        row["escalated_at"] = _lisbon(row["due_date"] + timedelta(days=1), 8.0)
    row["updated_at"] = max(last, row.get("contact_erased_at") or last)


def seed_cases(session: Session, settings: Settings, *, now: datetime | None = None) -> list[str]:
    if session.scalar(select(audit.AuditEntry.seq).where(audit.AuditEntry.action == YEAR_LOADED).limit(1)):
        return ["DPO desk: the demo year is already there."]
    now = now or utcnow()
    rng = random.Random(SEED)
    desk = _Desk(session)
    refs = set(session.scalars(select(Case.reference)))
    drafts = [_draft_case(rng, desk, day, refs) for day in _receipt_days(rng, clock.local_date(now))]
    # A handful of cases that slipped: received 35 to 70 days ago and still unanswered.
    slipped = [d for d in drafts if 35 <= (now - d.received).days <= 70 and d.kind != K.UNLISTED_DEVICE]
    overdue = rng.sample(slipped, min(OVERDUE_CASES, len(slipped)))
    _delays(rng, drafts, now)
    for d in overdue:
        d.delay = None
    messages: list[dict[str, Any]] = []
    for d in drafts:
        _settle(rng, desk, settings, d, now, messages)
    rows = [d.row for d in drafts]
    columns = {key for row in rows for key in row}
    rows = [{key: row.get(key) for key in columns} for row in rows]  # one shape, for one bulk insert
    ids = dict(session.execute(insert(Case).returning(Case.reference, Case.id), rows).tuples().all())
    for m in messages:
        m["case_id"] = ids[m.pop("_case")]
        m.setdefault("author_user_id", None)
    session.execute(insert(CaseMessage), messages)
    answered = [d for d in drafts if d.row.get("first_answer_at")]
    mean = sum((d.row["first_answer_at"] - d.received).total_seconds() for d in answered) / 86_400 / len(answered)
    audit.record(session, "demo", YEAR_LOADED, "dpo:cases", {"cases": len(rows), "messages": len(messages)})
    session.flush()
    return [f"DPO desk: a year of {len(rows)} demo cases ({len(answered)} answered, mean {mean:.1f} days to "
            f"the first answer; {len(overdue)} overdue)."]


# --- staff training --------------------------------------------------------------------------------------------

# Per department: staff, and the chance that someone there for over 90 days has been trained.
DEPARTMENT_STAFF = {"mobilidade": (55, 0.89), "ambiente": (50, 0.86), "seguranca": (45, 0.95),
                    "educacao": (35, 0.77), "saude": (35, 0.88), "cultura": (25, 0.82),
                    "sistemas-informacao": (30, 0.97), "urbanismo": (25, 0.82)}
SESSION_TITLES = ["RGPD: princípios e deveres de quem trabalha no município",
                  "Videovigilância e proteção de dados", "Pedidos de direitos dos titulares: como responder",
                  "Acolhimento de novos trabalhadores: proteção de dados",
                  "Segurança da informação e phishing", "Partilha de dados entre serviços e com subcontratantes"]
TRAINERS = ["Encarregada de Proteção de Dados", "Equipa de Segurança da Informação", "Gabinete Jurídico"]


def seed_training(session: Session, settings: Settings, *, today: date | None = None) -> list[str]:
    if session.scalar(select(func.count(Trainee.id))):
        return ["Training: the roster is already there."]
    today = today or clock.local_date(utcnow())
    rng = random.Random(SEED + 1)
    departments = dict(session.execute(select(Department.slug, Department.id)).tuples().all())
    held: list[date] = []
    for months_ago in range(12, 0, -1):
        day = clock.add_months(today.replace(day=1), -months_ago) + timedelta(days=rng.randrange(8, 20))
        held.append(clock.next_working_day(day, settings.holiday_subdivision))
    sessions = [{"public_id": _uuid(rng), "title": SESSION_TITLES[i % len(SESSION_TITLES)], "held_on": day,
                 "hours": rng.choice([2.0, 2.5, 3.0, 3.5]), "trainer": rng.choice(TRAINERS)}
                for i, day in enumerate(held)]
    session_ids = list(session.execute(insert(TrainingSession).returning(TrainingSession.id,
                                                                         sort_by_parameter_order=True),
                                       sessions).scalars())
    trainees: list[dict[str, Any]] = []
    attend: list[tuple[int, float]] = []  # per trainee: index into trainees, chance of being trained
    number = 10_000
    for slug, (count, rate) in DEPARTMENT_STAFF.items():
        if slug not in departments:
            continue
        for _ in range(count):
            number += rng.randrange(1, 40)
            new = rng.random() < 0.13
            started = today - timedelta(days=rng.randrange(1, 365) if new else rng.randrange(400, 9000))
            left = today - timedelta(days=rng.randrange(1, 200)) if not new and rng.random() < 0.04 else None
            trainees.append({"employee_ref": f"CMP-{number}", "department_id": departments[slug],
                             "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {rng.choice(LAST_NAMES)}",
                             "started_on": started, "left_on": left})
            attend.append((len(trainees) - 1, rate))
    trainee_ids = list(session.execute(insert(Trainee).returning(Trainee.id, sort_by_parameter_order=True),
                                       trainees).scalars())
    rows = []
    for index, rate in attend:
        person = trainees[index]
        possible = [sid for sid, day in zip(session_ids, held, strict=True)
                    if day >= person["started_on"] and (person["left_on"] is None or day < person["left_on"])]
        recent = (today - person["started_on"]).days <= 90
        if possible and rng.random() < (0.35 if recent else rate):
            for sid in rng.sample(possible, 2 if len(possible) > 3 and rng.random() < 0.15 else 1):
                rows.append({"session_id": sid, "trainee_id": trainee_ids[index]})
    if rows:
        session.execute(insert(TrainingAttendance), rows)
    audit.record(session, "demo", TRAINING_LOADED, "dpo:trainees",
                 {"trainees": len(trainees), "sessions": len(sessions), "attendance": len(rows)})
    session.flush()
    return [f"Training: {len(trainees)} staff across {len(DEPARTMENT_STAFF)} departments, {len(sessions)} sessions, "
            f"{len(rows)} attendances."]
