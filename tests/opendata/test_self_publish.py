"""Praça publishes itself: the register, its Wi-Fi hotspots, the DPO desk's statistics and the Wi-Fi DP
releases become datasets through the same gate, refreshed by the worker without duplicating anything."""

from __future__ import annotations

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session

from praca.opendata import self_publish, service
from praca.opendata.models import Dataset
from praca.opendata.tasks import refresh_own_datasets
from praca.settings import Settings
from tests.factories import make_device
from tests.opendata.factories import ACTOR


def _own(session: Session, key: str) -> Dataset:
    public_id = session.scalar(select(Dataset.public_id).where(Dataset.source == key))
    return service.get_dataset(session, public_id, include_unpublished=True)


def test_the_register_becomes_a_public_dataset_and_follows_it(session: Session, settings: Settings) -> None:
    make_device(session, settings, name="Câmara da Praça da Liberdade")
    outcome = refresh_own_datasets(session, settings)
    assert outcome["praca:registry"] == "published"
    assert outcome["praca:wifi-footfall"] == "nothing to publish yet"  # no release, no empty dataset
    dataset = _own(session, "praca:registry")
    assert dataset.state == service.PUBLIC and dataset.organization.name == "protecao-de-dados"
    [resource] = dataset.resources
    assert resource.rows == 1 and "name" in {f["id"] for f in resource.fields}
    assert service.latest_version(session, dataset).gate_passed is True
    names = duckdb.sql(f"SELECT name FROM '{settings.data_dir / resource.parquet}'").fetchall()
    assert names == [("Câmara da Praça da Liberdade",)]

    version = dataset.version
    assert self_publish.refresh(session, settings)["praca:registry"] == "unchanged"
    assert _own(session, "praca:registry").version == version  # an unchanged file saves no version

    make_device(session, settings, name="Sensor de ruído da Rua das Flores")
    assert self_publish.refresh(session, settings)["praca:registry"] == "refreshed"
    dataset = _own(session, "praca:registry")
    assert dataset.resources[0].rows == 2 and dataset.version == version + 1
    assert service.history(session, dataset)[0].change == "resource_replaced"


def test_a_withdrawn_own_dataset_stays_withdrawn(session: Session, settings: Settings) -> None:
    make_device(session, settings)
    self_publish.refresh(session, settings)
    service.withdraw(session, _own(session, "praca:registry"), "Revisão do registo.", ACTOR)
    make_device(session, settings, name="Outro dispositivo")
    assert self_publish.refresh(session, settings)["praca:registry"] == "left withdrawn"
    assert _own(session, "praca:registry").state == "withdrawn"


def test_the_gate_judges_real_columns_not_the_datastores_search_text(session: Session, settings: Settings,
                                                                     tmp_path) -> None:
    """A NIF in a column fails once, under that column's name; the derived `_search` text is not a column."""
    from tests.opendata.factories import add_csv, make_dataset, write_csv

    dataset = make_dataset(session)
    rows = [{"estacao": f"E{i}", "contacto": f"pessoa{i}@exemplo.pt"} for i in range(30)]
    add_csv(session, settings, dataset, write_csv(tmp_path / "leituras.csv", rows))
    version = service.publish(session, settings, dataset, ACTOR)
    assert version.gate_passed is False and dataset.state == "draft"
    [checked] = version.gate_report["resources"]
    assert {f["column"] for f in checked["findings"]} == {"contacto"}


def test_a_refused_own_dataset_is_not_refused_again_every_hour(session: Session, settings: Settings) -> None:
    """The register's text holds an e-mail address: the gate refuses it once, then waits for a person."""
    make_device(session, settings, name="Câmara", description="Contacto: encarregado.dados@exemplo.pt")
    assert self_publish.refresh(session, settings)["praca:registry"] == "refused by the gate"
    version = _own(session, "praca:registry").version
    assert self_publish.refresh(session, settings)["praca:registry"].startswith("a draft")
    assert _own(session, "praca:registry").version == version
