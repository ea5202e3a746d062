"""Builders for the open data tests: a publisher, a dataset, a CSV resource."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from praca.opendata import service
from praca.opendata.models import Dataset, Organization
from praca.opendata.schemas import DatasetIn, ResourceIn
from praca.settings import Settings

ACTOR = "user:steward-test"


def make_organization(session: Session, name: str = "ambiente") -> Organization:
    return service.ensure_organization(session, name=name, title_pt="Direção Municipal do Ambiente",
                                       title_en="Municipal Directorate of the Environment", kind="department",
                                       email="ambiente@cm-porto.example")


def dataset_in(**overrides: Any) -> DatasetIn:
    data: dict[str, Any] = {
        "name": "qualidade-do-ar", "title_pt": "Qualidade do ar", "title_en": "Air quality",
        "notes_pt": "Medições horárias das estações da cidade.", "notes_en": "Hourly readings of the city's stations.",
        "organization": "ambiente", "themes": ["ENVI"], "keywords": ["ar", "poluição"], "frequency": "HOURLY",
        "temporal_start": "2026-01-01", "spatial": "Porto", "spatial_bbox": [-8.69, 41.13, -8.55, 41.19],
        "contact_name": "Equipa de dados abertos", "contact_email": "dados@cm-porto.example",
    }
    return DatasetIn.model_validate({**data, **overrides})


def make_dataset(session: Session, **overrides: Any) -> Dataset:
    if "organization" not in overrides:
        make_organization(session)
    return service.create_dataset(session, dataset_in(**overrides), ACTOR)


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    header = list(rows[0])
    lines = [",".join(header)] + [",".join(str(r[h]) for h in header) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def add_csv(session: Session, settings: Settings, dataset: Dataset, path: Path, name: str = "Leituras"):
    return service.add_resource(session, settings, dataset, ResourceIn(name_pt=name, name_en=name), ACTOR,
                                upload=path, filename=path.name)
