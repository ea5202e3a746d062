"""The catalogue's metadata: creation, validation, edits with their history, search and facets."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from praca.core.audit import AuditEntry
from praca.core.errors import Conflict, NotFound
from praca.opendata import service
from tests.opendata.factories import ACTOR, dataset_in, make_dataset, make_organization


def test_a_new_dataset_is_a_draft_with_its_first_version(session: Session) -> None:
    dataset = make_dataset(session)
    assert dataset.state == "draft" and dataset.version == 1
    assert dataset.license_id == "CC-BY-4.0"
    [version] = service.history(session, dataset)
    assert version.change == "created" and version.snapshot["title_pt"] == "Qualidade do ar"
    with pytest.raises(NotFound):
        service.get_dataset(session, "qualidade-do-ar")  # drafts are not public
    assert service.get_dataset(session, dataset.public_id, include_unpublished=True).id == dataset.id
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.subject == f"dataset:{dataset.public_id}"))
    assert list(actions) == ["opendata.dataset.created"]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "Qualidade do Ar", "should match pattern"),
    ("name", "requests", "name of a portal page"),
    ("themes", ["WEATHER"], "unknown theme 'WEATHER'"),
    ("license_id", "proprietary", "unknown licence"),
    ("frequency", "SOMETIMES", "unknown frequency"),
    ("temporal_end", "2025-01-01", "temporal_end is before temporal_start"),
    ("spatial_bbox", [10, 41, -8, 42], "spatial_bbox"),
    ("title_pt", "a\x00b", "NUL"),
    ("contact_email", "not-an-address", "email"),
])
def test_invalid_metadata_is_refused_with_the_reason(field: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        dataset_in(**{field: value})


def test_an_edit_saves_a_version_naming_the_changed_fields(session: Session) -> None:
    dataset = make_dataset(session)
    service.update_dataset(session, dataset, {"title_en": "Air quality readings", "keywords": ["ar"]}, ACTOR)
    service.update_dataset(session, dataset, {"title_en": "Air quality readings"}, ACTOR)  # nothing changes
    versions = service.history(session, dataset)
    assert [v.number for v in versions] == [2, 1]
    assert versions[0].changed_fields == ["title_en", "keywords"]
    assert versions[1].snapshot["title_en"] == "Air quality" and versions[0].snapshot["keywords"] == ["ar"]


def test_names_are_unique(session: Session) -> None:
    make_dataset(session)
    with pytest.raises(Conflict):
        make_dataset(session)
    other = make_dataset(session, name="ruido")
    with pytest.raises(Conflict):
        service.update_dataset(session, other, {"name": "qualidade-do-ar"}, ACTOR)


def test_search_matches_words_without_accents_and_counts_facets(session: Session) -> None:
    make_organization(session, "mobilidade")
    air = make_dataset(session)
    bins = make_dataset(session, name="contentores", title_pt="Contentores de resíduos", title_en="Waste bins",
                        keywords=["resíduos"], themes=["ENVI", "REGI"])
    parking = make_dataset(session, name="estacionamento", title_pt="Parques de estacionamento",
                           title_en="Car parks", organization="mobilidade", themes=["TRAN"], keywords=["carro"])
    for d in (air, bins, parking):
        d.state = service.PUBLIC
    session.flush()

    found = service.search(session, q="RESIDUOS")
    assert [d.name for d in found.datasets] == ["contentores"]
    everything = service.search(session)
    assert everything.count == 3
    assert everything.facets["organization"] == {"ambiente": 2, "mobilidade": 1}
    assert everything.facets["groups"] == {"envi": 2, "regi": 1, "tran": 1}
    env = service.search(session, filters={"groups": ["envi"]}, sort=[("name", True)])
    assert [d.name for d in env.datasets] == ["qualidade-do-ar", "contentores"]
    assert service.search(session, rows=1, start=2, sort=[("name", False)]).datasets[0].name == "qualidade-do-ar"


def test_withdrawn_and_deleted_datasets_leave_the_public_lists(session: Session) -> None:
    dataset = make_dataset(session)
    dataset.state = service.PUBLIC
    service.withdraw(session, dataset, "Os sensores foram substituídos.", ACTOR)
    assert service.search(session).count == 0
    service.delete_dataset(session, dataset, ACTOR)
    assert service.search(session, include_unpublished=True).count == 0
    assert [v.change for v in service.history(session, dataset)][:2] == ["deleted", "withdrawn"]
