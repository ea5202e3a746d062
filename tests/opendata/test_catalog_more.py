"""What the stewards' pages need of the catalogue beyond the basics: a dataset read afresh, the stewards' list
with each dataset's last gate check, and a resource taken off a dataset with its files."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from praca.core.audit import AuditEntry
from praca.core.errors import Conflict, InvalidInput, NotFound
from praca.opendata import rowindex, service
from praca.opendata.models import Resource
from praca.opendata.schemas import ResourceIn
from tests.opendata.factories import ACTOR, add_csv, make_dataset, make_organization, write_csv


def link(session, settings, dataset, name: str = "Portal"):
    meta = ResourceIn(name_pt=name, name_en=name, url=f"https://dados.cm-porto.example/{name}.html")
    return service.add_resource(session, settings, dataset, meta, ACTOR)


def test_a_dataset_read_for_staff_is_fresh_and_in_any_state(session, settings):
    dataset = make_dataset(session)
    assert dataset.resources == []
    session.add(Resource(dataset_id=dataset.id, name_pt="A", name_en="A", format="HTML", url="https://a.example"))
    session.flush()
    assert dataset.resources == []  # the session's copy was loaded before the row existed
    fresh = service.get_dataset_for_staff(session, dataset.public_id)
    assert fresh is dataset and [r.name_pt for r in fresh.resources] == ["A"]
    service.delete_dataset(session, dataset, ACTOR)
    assert service.get_dataset_for_staff(session, dataset.public_id).state == "deleted"
    with pytest.raises(NotFound):
        service.get_dataset_for_staff(session, "00000000-0000-4000-8000-000000000000")


def test_the_stewards_list_filters_and_pages(session):
    make_organization(session, "mobilidade")
    air = make_dataset(session)
    parks = make_dataset(session, name="estacionamento", organization="mobilidade")
    bins = make_dataset(session, name="contentores")
    service.delete_dataset(session, bins, ACTOR)
    service.update_dataset(session, air, {"title_en": "Air quality readings"}, ACTOR)  # now the last changed

    rows, total = service.staff_datasets(session)
    assert total == 2 and [r.dataset.name for r in rows] == ["qualidade-do-ar", "estacionamento"]
    assert rows[0].dataset.organization.name == "ambiente" and rows[0].gate is None
    rows, total = service.staff_datasets(session, organization="mobilidade")
    assert (total, [r.dataset.id for r in rows]) == (1, [parks.id])
    rows, total = service.staff_datasets(session, state="deleted")
    assert (total, [r.dataset.id for r in rows]) == (1, [bins.id])
    rows, total = service.staff_datasets(session, limit=1, offset=1)
    assert total == 2 and [r.dataset.id for r in rows] == [parks.id]
    with pytest.raises(InvalidInput):
        service.staff_datasets(session, state="published")
    with pytest.raises(NotFound):
        service.staff_datasets(session, organization="nobody")


def test_each_row_carries_the_last_gate_check(session, settings, tmp_path):
    clean = make_dataset(session)
    add_csv(session, settings, clean, write_csv(tmp_path / "ar.csv", [{"estacao": "Aliados", "no2": 21.5}]))
    personal = make_dataset(session, name="consumos")
    add_csv(session, settings, personal, write_csv(tmp_path / "consumos.csv", [
        {"email": f"pessoa{i}@exemplo.pt", "consumo": i} for i in range(20)]))
    overridden = make_dataset(session, name="fornecedores")
    add_csv(session, settings, overridden, write_csv(tmp_path / "fornecedores.csv", [
        {"email": f"empresa{i}@exemplo.pt", "valor": i} for i in range(20)]))
    never = make_dataset(session, name="nunca")

    service.publish(session, settings, clean, ACTOR)
    refused = service.publish(session, settings, personal, ACTOR)
    service.update_dataset(session, personal, {"title_en": "Consumption"}, ACTOR)  # a later version, unchecked
    service.publish(session, settings, overridden, ACTOR)
    service.override_gate(session, overridden, "Endereços de empresas, públicos.", ACTOR, actor_is_dpo=True)

    rows = {r.dataset.name: r for r in service.staff_datasets(session)[0]}
    assert rows["qualidade-do-ar"].gate == "passed"
    assert rows["consumos"].gate == "refused" and rows["consumos"].gate_version.number == refused.number
    assert rows["fornecedores"].gate == "overridden"
    assert rows[never.name].gate is None and rows[never.name].gate_version is None
    assert service.last_gate_check(session, personal).number == refused.number
    assert service.get_version(session, personal, refused.number).gate_report["passed"] is False
    with pytest.raises(NotFound):
        service.get_version(session, personal, 99)


def test_removing_a_resource_renumbers_the_rest_and_saves_a_version(session, settings):
    dataset = make_dataset(session)
    first, second, third = (link(session, settings, service.get_dataset_for_staff(session, dataset.public_id), n)
                            for n in ("um", "dois", "tres"))
    dataset = service.get_dataset_for_staff(session, dataset.public_id)
    files = service.remove_resource(session, settings, dataset, second.public_id, ACTOR)
    assert files == []  # links have no files
    dataset = service.get_dataset_for_staff(session, dataset.public_id)
    assert [(r.name_pt, r.position) for r in dataset.resources] == [("um", 0), ("tres", 1)]
    version = service.latest_version(session, dataset)
    assert version.change == "resource_removed" and version.changed_fields == [f"resource:{second.public_id}"]
    assert [r["id"] for r in version.snapshot["resources"]] == [first.public_id, third.public_id]
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry.action == "opendata.dataset.resource_removed" and entry.subject == f"dataset:{dataset.public_id}"
    with pytest.raises(NotFound):
        service.remove_resource(session, settings, dataset, second.public_id, ACTOR)
    service.delete_dataset(session, dataset, ACTOR)
    with pytest.raises(Conflict):
        service.remove_resource(session, settings, dataset, first.public_id, ACTOR)


def test_a_removed_uploads_files_are_all_discarded(session, settings, tmp_path, monkeypatch):
    monkeypatch.setattr(rowindex, "MIN_ROWS", 0)  # every datastore copy gets a row index
    dataset = make_dataset(session)
    resource = add_csv(session, settings, dataset, write_csv(tmp_path / "ar.csv", [{"estacao": "Aliados"}]))
    service.replace_resource_file(session, settings, service.get_resource(session, resource.public_id,
                                                                          include_unpublished=True),
                                  write_csv(tmp_path / "ar2.csv", [{"estacao": "Boavista"}]), ACTOR)
    kept = sorted(p for p in (settings.data_dir / "opendata").rglob("*") if p.is_file())
    assert len(kept) == 6  # two uploads, two datastore copies and their indexes: a replaced file stays
    dataset = service.get_dataset_for_staff(session, dataset.public_id)
    files = service.remove_resource(session, settings, dataset, resource.public_id, ACTOR)
    assert sorted(files) == kept
    assert all(p.exists() for p in kept)  # nothing is deleted before the caller commits
    service.discard_files(settings, files)
    assert not any(p.is_file() for p in (settings.data_dir / "opendata").rglob("*"))
    assert not (settings.data_dir / "opendata" / "files" / resource.public_id).exists()


def test_an_override_cannot_be_repeated(session, settings, tmp_path) -> None:
    """An override keeps the refusal's report (gate_passed stays False); a second one has nothing to override."""
    dataset = make_dataset(session, name="contactos")
    add_csv(session, settings, dataset, write_csv(tmp_path / "c.csv", [{"email": f"a{i}@b.pt"} for i in range(20)]))
    assert service.publish(session, settings, dataset, ACTOR).gate_passed is False
    service.override_gate(session, dataset, "Endereços institucionais, públicos.", ACTOR, actor_is_dpo=True)
    with pytest.raises(Conflict):
        service.override_gate(session, dataset, "Outra vez.", ACTOR, actor_is_dpo=True)
