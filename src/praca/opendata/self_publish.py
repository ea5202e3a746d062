"""Praça publishes itself: the register, the public Wi-Fi hotspots, the DPO desk's statistics and the Wi-Fi
footfall releases are datasets of the portal, refreshed by the worker through the same gate as any other.

Each source module writes its own CSV through its service; here that file becomes a dataset's resource.
A refresh whose file did not change writes nothing; one the gate refuses leaves the published file as it
was and the refusal in the dataset's history.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from praca.dpo import service as dpo_service
from praca.opendata import service
from praca.opendata.models import Dataset
from praca.opendata.schemas import DatasetIn, ResourceIn
from praca.registry import service as registry_service
from praca.settings import Settings
from praca.wifi import service as wifi_service

ACTOR = "system:opendata.self_publish"


@dataclass(frozen=True)
class Source:
    key: str  # Dataset.source
    organization: dict[str, str]
    metadata: dict[str, Any]  # DatasetIn fields but organization
    resource: tuple[str, str]  # name in pt, en
    filename: str
    write: Callable[[Session, TextIO], None]


DPO_OFFICE = {"name": "protecao-de-dados", "title_pt": "Encarregado de Proteção de Dados",
              "title_en": "Data Protection Officer", "kind": "department"}
IT = {"name": "sistemas-de-informacao", "title_pt": "Direção Municipal de Sistemas de Informação",
      "title_en": "Municipal Directorate of Information Systems", "kind": "department"}
CONTACT = {"contact_name": "Gabinete do Encarregado de Proteção de Dados", "contact_email": "dpo@cm-porto.example"}

SOURCES = (
    Source("praca:registry", DPO_OFFICE, {
        "name": "registo-dispositivos", "title_pt": "Registo de dispositivos no espaço público",
        "title_en": "Register of devices in public space",
        "notes_pt": "Cada câmara, sensor e ponto de acesso Wi-Fi em espaço público: quem o opera, o que recolhe, "
                    "para quê, com que fundamento legal e por quanto tempo.",
        "notes_en": "Every camera, sensor and Wi-Fi access point in public space: who operates it, what it "
                    "collects, why, on what legal basis and for how long.",
        "themes": ["GOVE", "TECH"], "keywords": ["privacidade", "sensores", "câmaras", "RGPD"],
        "frequency": "DAILY", "spatial": "Porto", **CONTACT},
        ("Registo completo (CSV)", "Full register (CSV)"), "registo-dispositivos.csv",
        registry_service.write_open_data),
    Source("praca:wifi-hotspots", IT, {
        "name": "hotspots-wifi", "title_pt": "Pontos de acesso Wi-Fi públicos", "title_en": "Public Wi-Fi hotspots",
        "notes_pt": "Localização dos pontos de acesso da rede Wi-Fi pública municipal, fixos e em autocarros.",
        "notes_en": "Where the city's public Wi-Fi access points are, fixed and on buses.",
        "themes": ["TECH", "REGI"], "keywords": ["wi-fi", "internet"], "frequency": "WEEKLY", "spatial": "Porto",
        "contact_name": "Equipa de dados abertos", "contact_email": "dados@cm-porto.example"},
        ("Pontos de acesso", "Access points"), "hotspots-wifi.csv", registry_service.write_wifi_hotspots),
    Source("praca:dpo-statistics", DPO_OFFICE, {
        "name": "estatisticas-protecao-de-dados", "title_pt": "Tempos de resposta do Encarregado de Proteção de Dados",
        "title_en": "Response times of the Data Protection Officer",
        "notes_pt": "Pedidos recebidos e respondidos, tempos médio e mediano de resposta e cumprimento do prazo "
                    "legal (RGPD, art. 12.º, n.º 3), por tipo, departamento e mês. Valores de menos de 5 casos "
                    "são omitidos.",
        "notes_en": "Requests received and answered, mean and median response times and the legal deadline met "
                    "(GDPR Art. 12(3)), by kind, department and month. Figures from fewer than 5 cases are withheld.",
        "themes": ["GOVE", "JUST"], "keywords": ["RGPD", "transparência"], "frequency": "DAILY", "spatial": "Porto",
        **CONTACT},
        ("Estatísticas (CSV)", "Statistics (CSV)"), "estatisticas-epd.csv", dpo_service.write_public_statistics),
    Source("praca:wifi-footfall", IT, {
        "name": "afluencia-wifi", "title_pt": "Afluência à rede Wi-Fi pública (privacidade diferencial)",
        "title_en": "Public Wi-Fi footfall (differential privacy)",
        "notes_pt": "Dispositivos distintos por zona e hora, com ruído de privacidade diferencial; zonas com menos "
                    "de 10 dispositivos não são publicadas. Nenhum endereço MAC é guardado.",
        "notes_en": "Distinct devices per zone and hour, with differential-privacy noise; zones with fewer than "
                    "10 devices are not published. No MAC address is kept.",
        "themes": ["REGI", "TRAN"], "keywords": ["wi-fi", "mobilidade", "privacidade diferencial"],
        "frequency": "DAILY", "spatial": "Porto",
        "contact_name": "Equipa de dados abertos", "contact_email": "dados@cm-porto.example"},
        ("Lançamentos (CSV)", "Releases (CSV)"), "afluencia-wifi.csv", wifi_service.write_footfall_releases),
)


def refresh(session: Session, settings: Settings) -> dict[str, str]:
    """Bring every self-published dataset up to date; returns source → what happened."""
    outcome = {}
    for source in SOURCES:
        outcome[source.key] = _refresh_one(session, settings, source)
    return outcome


def _refresh_one(session: Session, settings: Settings, source: Source) -> str:
    tmp_dir = settings.data_dir / "opendata" / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tmp_dir) as folder:
        path = Path(folder) / source.filename
        with path.open("w", encoding="utf-8", newline="") as out:
            source.write(session, out)
        with path.open("rb") as written:
            if sum(1 for _ in written) < 2:
                return "nothing to publish yet"  # a header alone: no dataset of zero rows
        return _publish_file(session, settings, source, path)


def _publish_file(session: Session, settings: Settings, source: Source, path: Path) -> str:
    service.ensure_organization(session, **source.organization)
    dataset_id = session.scalar(select(Dataset.public_id).where(Dataset.source == source.key))
    if dataset_id is None:
        data = DatasetIn.model_validate({**source.metadata, "organization": source.organization["name"]})
        dataset = service.create_dataset(session, data, ACTOR, source=source.key)
    else:
        dataset = service.get_dataset(session, dataset_id, include_unpublished=True)
    if dataset.state in ("withdrawn", "deleted"):
        return f"left {dataset.state}"  # a steward took it down: the worker does not put it back
    uploads = [r for r in dataset.resources if r.file]
    if not uploads:
        meta = ResourceIn(name_pt=source.resource[0], name_en=source.resource[1], format="CSV")
        service.add_resource(session, settings, dataset, meta, ACTOR, upload=path, filename=source.filename)
        change = "created"
    else:
        before = uploads[0].sha256
        try:
            service.replace_resource_file(session, settings, uploads[0], path, ACTOR)
        except service.GateRefused:
            return "refused by the gate; the published file stays"
        change = "unchanged" if uploads[0].sha256 == before else "refreshed"
    if dataset.state == "draft" and change == "unchanged":
        return "a draft: the gate refused this file; a steward must act"  # no new refusal every hour
    if dataset.state == "draft":
        version = service.publish(session, settings, dataset, ACTOR)
        return "published" if version.gate_passed else "refused by the gate"
    return change
