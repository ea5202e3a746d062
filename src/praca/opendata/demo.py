"""The demo portal: Porto's publishers and a dozen datasets, uploaded and published through the real gate,
plus Praça's own datasets. The terrace licences carry personal data: the gate refuses them and they stay
a draft with the report, as a steward would find them. Idempotent: a second run adds nothing."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from praca.opendata import demo_data, participation, self_publish, service
from praca.opendata.models import Dataset
from praca.opendata.participation_schemas import CommentIn, Decision, RequestIn, RequestUpdate, ReuseIn
from praca.opendata.schemas import DatasetIn, ResourceIn
from praca.settings import Settings

ACTOR = "demo"
PORTO_BBOX = [-8.6915, 41.1383, -8.5526, 41.1859]

ORGANIZATIONS = [
    {"name": "ambiente", "title_pt": "Direção Municipal do Ambiente", "title_en": "Municipal Directorate of the "
     "Environment", "kind": "department", "email": "ambiente@cm-porto.example"},
    {"name": "porto-ambiente", "title_pt": "Porto Ambiente, E.M.", "title_en": "Porto Ambiente (municipal company)",
     "kind": "municipal_company", "website": "https://portoambiente.example"},
    {"name": "mobilidade", "title_pt": "Direção Municipal de Mobilidade e Transportes",
     "title_en": "Municipal Directorate of Mobility and Transport", "kind": "department"},
    {"name": "stcp", "title_pt": "STCP — Sociedade de Transportes Coletivos do Porto",
     "title_en": "STCP — Porto's bus company", "kind": "partner", "website": "https://stcp.example"},
    {"name": "financas", "title_pt": "Direção Municipal de Finanças", "title_en": "Municipal Directorate of Finance",
     "kind": "department"},
    {"name": "urbanismo", "title_pt": "Direção Municipal de Urbanismo", "title_en": "Municipal Directorate of "
     "Urban Planning", "kind": "department"},
]

TEAM = {"contact_name": "Equipa de dados abertos", "contact_email": "dados@cm-porto.example"}


def _meta(name: str, org: str, title: tuple[str, str], notes: tuple[str, str], themes: list[str],
          keywords: list[str], frequency: str, start: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "organization": org, "title_pt": title[0], "title_en": title[1], "notes_pt": notes[0],
            "notes_en": notes[1], "themes": themes, "keywords": keywords, "frequency": frequency,
            "temporal_start": start, "spatial": "Porto", "spatial_bbox": PORTO_BBOX, **TEAM, **extra}


DATASETS: list[tuple[dict[str, Any], tuple[str, str]]] = [
    (_meta("qualidade-do-ar", "ambiente", ("Qualidade do ar", "Air quality"),
           ("Concentrações horárias de NO2, PM10, PM2.5 e O3 nas estações da cidade.",
            "Hourly NO2, PM10, PM2.5 and O3 concentrations at the city's stations."),
           ["ENVI", "HEAL"], ["ar", "poluição", "saúde"], "HOURLY", "2026-10-01"),
     ("Leituras horárias", "Hourly readings")),
    (_meta("contentores-residuos", "porto-ambiente", ("Contentores de resíduos", "Waste bins"),
           ("Localização e tipo dos contentores de recolha seletiva e indiferenciada.",
            "Where the city's sorted and general waste bins are, and of what kind."),
           ["ENVI"], ["resíduos", "reciclagem"], "MONTHLY", "2018-01-01"),
     ("Contentores (GeoJSON)", "Bins (GeoJSON)")),
    (_meta("circuitos-recolha", "porto-ambiente", ("Circuitos de recolha de resíduos", "Waste collection rounds"),
           ("Circuitos semanais de recolha por fluxo e freguesia, com a hora de início e as toneladas médias.",
            "Weekly collection rounds by waste stream and parish, with start time and average tonnes."),
           ["ENVI", "REGI"], ["resíduos", "recolha"], "ANNUAL", "2026-01-01"),
     ("Circuitos", "Rounds")),
    (_meta("parques-estacionamento", "mobilidade", ("Parques de estacionamento", "Car parks"),
           ("Parques públicos: lugares, lugares para mobilidade reduzida, horário e preço.",
            "Public car parks: spaces, accessible spaces, opening hours and price."),
           ["TRAN"], ["estacionamento", "mobilidade"], "MONTHLY", "2026-01-01"),
     ("Parques", "Car parks")),
    (_meta("paragens-autocarro", "stcp", ("Paragens de autocarro", "Bus stops"),
           ("Paragens da rede de autocarros, com as linhas que as servem e se têm abrigo.",
            "The bus network's stops, the lines that serve them and whether they have a shelter."),
           ["TRAN"], ["autocarro", "transportes públicos"], "WEEKLY", "2026-01-01"),
     ("Paragens", "Stops")),
    (_meta("arvoredo-urbano", "ambiente", ("Arvoredo urbano", "Street trees"),
           ("Árvores de arruamento e jardins: espécie, altura, perímetro e estado.",
            "Street and garden trees: species, height, girth and condition."),
           ["ENVI", "AGRI"], ["árvores", "espaços verdes"], "ANNUAL", "2025-01-01"),
     ("Árvores (GeoJSON)", "Trees (GeoJSON)")),
    (_meta("ruido-ambiente", "ambiente", ("Ruído ambiente", "Environmental noise"),
           ("Indicadores mensais Lden e Ln por sensor de ruído.", "Monthly Lden and Ln indicators per noise sensor."),
           ["ENVI", "HEAL"], ["ruído", "saúde"], "MONTHLY", "2026-01-01"),
     ("Indicadores mensais (XLSX)", "Monthly indicators (XLSX)")),
    (_meta("orcamento-municipal", "financas", ("Orçamento municipal por área", "Municipal budget by area"),
           ("Dotação e execução da despesa por área de intervenção, 2024–2026.",
            "Budgeted and executed spending by policy area, 2024–2026."),
           ["ECON", "GOVE"], ["orçamento", "finanças", "transparência"], "ANNUAL", "2024-01-01"),
     ("Orçamento", "Budget")),
    (_meta("inquerito-mobilidade", "mobilidade", ("Inquérito à mobilidade 2026", "Mobility survey 2026"),
           ("Respostas anonimizadas: modo principal, tempo de deslocação e satisfação, por faixa etária, sexo e "
            "código postal de 4 dígitos.", "Anonymised answers: main mode, commuting time and satisfaction, by age "
            "band, sex and 4-digit postcode."),
           ["TRAN", "SOCI"], ["mobilidade", "inquérito"], "ANNUAL", "2026-03-01",
           quasi_identifiers=["faixa_etaria", "sexo", "codigo_postal"], k_threshold=10),
     ("Respostas", "Answers")),
    (_meta("licencas-esplanadas", "urbanismo", ("Licenças de esplanadas", "Café terrace licences"),
           ("Licenças de ocupação da via pública por esplanadas.", "Licences for café terraces on public space."),
           ["REGI", "ECON"], ["esplanadas", "licenciamento"], "MONTHLY", "2026-01-01"),
     ("Licenças", "Licences")),
]


def seed(session: Session, settings: Settings) -> list[str]:
    for org in ORGANIZATIONS:
        service.ensure_organization(session, **org)
    created = refused = 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for meta, resource_name in DATASETS:
            if session.scalar(select(Dataset.id).where(Dataset.name == meta["name"])) is not None:
                continue
            dataset = service.create_dataset(session, DatasetIn.model_validate(meta), ACTOR)
            path = demo_data.GENERATORS[meta["name"]](folder)
            service.add_resource(session, settings, dataset, ResourceIn(name_pt=resource_name[0],
                                                                        name_en=resource_name[1]),
                                 ACTOR, upload=path, filename=path.name)
            version = service.publish(session, settings, dataset, ACTOR)
            created += 1
            refused += not version.gate_passed
    own = self_publish.refresh(session, settings)
    if created:
        _participation(session)
    published = service.search(session, rows=0).count
    return [f"Open data: {published} public datasets at /data ({created} created now, {refused} refused by the "
            f"publication gate — see /staff/data), Praça's own: {', '.join(f'{k} {v}' for k, v in own.items())}; "
            f"CKAN API at /api/3/action/package_search, DCAT-AP at /catalog.ttl (as of {date.today():%Y-%m-%d})."]


APPROVE = Decision(action="approve")
COMMENTS = [
    ("qualidade-do-ar", "question", "As leituras de PM2.5 da estação da Baixa incluem os dias de obras na Avenida?",
     "Sim: as leituras são publicadas tal como medidas; os dias com obras estão assinalados como provisórios até "
     "serem validados.", "Marta"),
    ("qualidade-do-ar", "comment", "Seria útil ter também a média diária por estação, para comparar com os limites "
     "legais.", None, None),
    ("paragens-autocarro", "question", "Os horários das linhas vão ser publicados em GTFS?",
     "Estamos a preparar esse conjunto com a STCP; acompanhe o pedido na página de pedidos.", None),
]
REQUESTS = [
    ("Horários dos autocarros em GTFS", "Os horários completos das linhas, no formato GTFS, para usar em aplicações "
     "de mobilidade.", "stcp", 37, "planned", "Em preparação com a STCP; previsto para o próximo trimestre."),
    ("Ocupação dos parques em tempo real", "Lugares livres por parque de estacionamento, atualizados de minuto a "
     "minuto.", "mobilidade", 21, None, None),
    ("Consumo de água por freguesia", "Consumo mensal agregado por freguesia, sem dados de clientes.", None, 9, None,
     None),
]
REUSES = [
    ("Respira Porto", "https://respira-porto.example", "application", "Uma aplicação que avisa quando o ar da sua "
     "rua piora.", "Associação Ar Limpo", ["qualidade-do-ar"]),
    ("Onde reciclar?", "https://reciclar.example/porto", "visualization", "Mapa do contentor mais próximo para cada "
     "tipo de resíduo.", "Estudantes da FEUP", ["contentores-residuos"]),
    ("Sombras da cidade", "https://jornal.example/sombras", "article", "Uma reportagem sobre as árvores e o calor "
     "nas ruas do Porto.", "Jornal de Notícias do Porto", ["arvoredo-urbano", "qualidade-do-ar"]),
]


def _participation(session: Session) -> None:
    """A lived-in portal: questions answered, comments, requests with supporters, reuses — all moderated."""
    for name, kind, body, answer, author in COMMENTS:
        dataset = service.get_dataset(session, name)
        comment = participation.submit_comment(session, dataset, CommentIn(kind=kind, body=body, author=author))
        participation.moderate_comment(session, comment, APPROVE, ACTOR)
        if answer:
            participation.answer_comment(session, comment, answer, ACTOR)
    for title, description, org, supporters, status, answer in REQUESTS:
        request = participation.submit_request(session, RequestIn(title=title, description=description,
                                                                  organization=org),
                                               participation.new_supporter_token())
        participation.moderate_request(session, request, APPROVE, ACTOR)
        for _ in range(supporters - 1):
            participation.support(session, request, participation.new_supporter_token())
        if status:
            participation.update_request(session, request, RequestUpdate(status=status, answer=answer), ACTOR)
    for title, url, kind, description, author, datasets in REUSES:
        reuse = participation.submit_reuse(session, ReuseIn(title=title, url=url, kind=kind, description=description,
                                                            author=author, datasets=datasets))
        participation.moderate_reuse(session, reuse, APPROVE, ACTOR)
