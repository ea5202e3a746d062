"""The CKAN write actions: tokens and roles, CKAN's package dictionary in, versions and audit through the
service, publication by `private: false`, CKAN's validation errors with its field names."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from praca.core import auth
from praca.core.audit import AuditEntry
from praca.opendata import service
from tests.factories import make_user
from tests.opendata.test_ckan_world import call, make_world, token

NEW = {"name": "ruido", "title": "Ruído urbano", "notes": "Níveis de ruído por hora.", "owner_org": "ambiente",
       "tags": [{"name": "ruído"}, {"name": "som"}], "groups": [{"name": "envi"}], "license_id": "cc-by",
       "maintainer": "Equipa do ruído", "maintainer_email": "ruido@cm-porto.example",
       "extras": [{"key": "notes_en", "value": "Hourly noise levels."},
                  {"key": "temporal_start", "value": "2025-06-01"}, {"key": "frequency", "value": "DAILY"},
                  {"key": "quasi_identifiers", "value": '["freguesia"]'}, {"key": "k_threshold", "value": "5"}]}


def actions_on(session: Session, public_id: str) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).where(AuditEntry.subject == f"dataset:{public_id}")
                                .order_by(AuditEntry.seq)))


@pytest.mark.parametrize(("role", "status"), [(None, 403), ("bad", 403), ("viewer", 403), ("liaison", 403),
                                              ("steward", 200), ("admin", 200), ("dpo", 200)])
def test_only_stewards_the_dpo_and_admins_write(client: TestClient, session: Session, role: str | None,
                                                status: int) -> None:
    make_world(session)
    raw: str | None = None
    if role == "liaison":
        raw = auth.issue_api_token(session, make_user(session, "liaison", department="ambiente"), "t")
        session.commit()
    elif role == "bad":
        raw = "praca_not-a-token"
    elif role is not None:
        raw = token(session, role)
    body = call(client, "package_create", NEW, token=raw, status=status)
    assert body["success"] is (status == 200)
    if status == 403:
        assert body["error"]["__type"] == "Authorization Error"
        assert body["error"]["message"].startswith("Access denied: ")
        assert call(client, "package_list")["result"] == ["contentores", "qualidade-do-ar"]


def test_bearer_and_ckans_own_header_carry_the_token_too(client: TestClient, session: Session) -> None:
    make_world(session)
    raw = token(session)
    bearer = client.post("/api/action/package_patch", json={"id": "contentores", "notes": "Novas notas."},
                         headers={"Authorization": f"Bearer {raw}"})
    assert bearer.status_code == 200 and bearer.json()["result"]["notes"] == "Novas notas."
    legacy = client.post("/api/action/package_patch", json={"id": "contentores", "notes": "Outras."},
                         headers={"X-CKAN-API-Key": raw})
    assert legacy.status_code == 200 and legacy.json()["result"]["notes"] == "Outras."


def test_package_create_maps_ckans_dict_and_keeps_a_draft(client: TestClient, session: Session) -> None:
    make_world(session)
    pkg = call(client, "package_create", NEW, token=token(session))["result"]
    assert pkg["name"] == "ruido" and pkg["state"] == "draft" and pkg["private"] is True
    assert pkg["title"] == "Ruído urbano" and pkg["license_id"] == "CC-BY-4.0"
    assert [t["name"] for t in pkg["tags"]] == ["ruído", "som"] and [g["name"] for g in pkg["groups"]] == ["envi"]
    assert pkg["organization"]["name"] == "ambiente" and pkg["maintainer"] == "Equipa do ruído"
    extras = {e["key"]: e["value"] for e in pkg["extras"]}
    assert extras["title_en"] == "Ruído urbano"  # the title stands for both languages until title_en is given
    assert extras["notes_en"] == "Hourly noise levels." and extras["temporal_start"] == "2025-06-01"
    assert extras["quasi_identifiers"] == '["freguesia"]' and extras["k_threshold"] == "5"
    dataset = service.get_dataset(session, "ruido", include_unpublished=True)
    assert dataset.frequency == "DAILY" and dataset.contact_email == "ruido@cm-porto.example"
    assert actions_on(session, dataset.public_id) == ["opendata.dataset.created"]
    assert call(client, "package_show", {"id": "ruido"}, status=404)["success"] is False  # a draft is not public


def test_private_false_publishes_through_the_gate(client: TestClient, session: Session) -> None:
    make_world(session)
    pkg = call(client, "package_create", {**NEW, "private": False}, token=token(session))["result"]
    assert pkg["state"] == "active" and pkg["private"] is False
    assert call(client, "package_show", {"id": "ruido"})["result"]["id"] == pkg["id"]
    dataset = service.get_dataset(session, "ruido")
    assert [v.change for v in service.history(session, dataset)] == ["published", "created"]
    assert service.latest_version(session, dataset).gate_passed is True


@pytest.mark.parametrize(("change", "error"), [
    ({"name": None}, {"name": ["Missing value"]}),
    ({"name": "Ruído Urbano"}, {"name": ["String should match pattern '^[a-z0-9_-]{2,100}$'"]}),
    ({"owner_org": "nenhuma"}, {"owner_org": ["Organization does not exist: 'nenhuma'"]}),
    ({"owner_org": None}, {"owner_org": ["Missing value"]}),
    ({"license_id": "proprietary"}, {"license_id": ["unknown licence 'proprietary'; use one of: CC-BY-4.0, "
                                                    "CC-BY-SA-4.0, CC0-1.0, ODbL-1.0"]}),
    ({"name": "contentores"}, {"name": ["A dataset named 'contentores' already exists."]}),
    ({"tags": "ruído"}, {"tags": ["Must be a list"]}),
])
def test_validation_errors_name_ckans_fields(client: TestClient, session: Session, change: dict,
                                            error: dict) -> None:
    make_world(session)
    data = {k: v for k, v in {**NEW, **change}.items() if v is not None}
    body = call(client, "package_create", data, token=token(session), status=409)
    assert body["error"] == {"__type": "Validation Error", **error}
    assert service.search(session, include_unpublished=True).count == 3  # nothing stored


def test_unknown_groups_and_extras_are_refused_not_lost(client: TestClient, session: Session) -> None:
    make_world(session)
    steward = token(session)
    groups = call(client, "package_create", {**NEW, "groups": [{"name": "weather"}]}, token=steward, status=409)
    assert groups["error"]["groups"][0].startswith("That group name or ID does not exist: 'weather'")
    extras = call(client, "package_create", {**NEW, "extras": [{"key": "colour", "value": "red"}]}, token=steward,
                  status=409)
    assert extras["error"]["extras"][0].startswith("Unknown extra 'colour'")
    dates = call(client, "package_create", {**NEW, "extras": [{"key": "temporal_start", "value": "2026-02-01"},
                                                              {"key": "temporal_end", "value": "2026-01-01"}]},
                 token=steward, status=409)
    assert dates["error"] == {"__type": "Validation Error", "temporal_end": ["temporal_end is before temporal_start"]}


def test_package_update_replaces_but_keeps_the_gates_settings(client: TestClient, session: Session) -> None:
    world = make_world(session)
    steward = token(session)
    world.bins.quasi_identifiers, world.bins.k_threshold = ["idade"], 20
    session.commit()
    pkg = call(client, "package_update", {"id": world.bins.public_id, "title": "Contentores",
                                          "owner_org": "mobilidade"}, token=steward)["result"]
    assert pkg["title"] == "Contentores" and pkg["tags"] == [] and pkg["groups"] == [] and pkg["notes"] == ""
    assert pkg["organization"]["name"] == "mobilidade" and pkg["license_id"] == "CC-BY-4.0"
    extras = {e["key"]: e["value"] for e in pkg["extras"]}
    assert extras["title_en"] == "Contentores" and "frequency" not in extras
    assert extras["quasi_identifiers"] == '["idade"]' and extras["k_threshold"] == "20"
    assert pkg["state"] == "active"  # still published
    [last, *_] = service.history(session, service.get_dataset(session, "contentores"))
    assert last.change == "updated" and {"title_pt", "keywords", "themes", "organization"} <= set(last.changed_fields)


def test_a_shown_dataset_updates_back_unchanged(client: TestClient, session: Session) -> None:
    """The usual client loop: package_show, change a field, package_update the whole dict."""
    world = make_world(session)
    steward = token(session)
    shown = call(client, "package_show", {"id": "qualidade-do-ar"}, token=steward)["result"]
    same = call(client, "package_update", shown, token=steward)["result"]
    assert same == shown  # no version was saved for a change to nothing
    shown["notes"] = "Medições de hora a hora."
    changed = call(client, "package_update", shown, token=steward)["result"]
    assert changed["notes"] == "Medições de hora a hora." and changed["version"] == "2"
    assert {k: v for k, v in changed.items() if k not in ("notes", "version", "metadata_modified")} == {
        k: v for k, v in shown.items() if k not in ("notes", "version", "metadata_modified")}
    assert [v.change for v in service.history(session, world.air)][:1] == ["updated"]


def test_package_patch_changes_only_what_it_names(client: TestClient, session: Session) -> None:
    make_world(session)
    steward = token(session)
    pkg = call(client, "package_patch", {"id": "estacionamento", "extras": [{"key": "title_en", "value": "Parking"}]},
               token=steward)["result"]
    assert pkg["title"] == "Parques de estacionamento" and pkg["tags"][0]["name"] == "carro"
    assert {e["key"]: e["value"] for e in pkg["extras"]}["title_en"] == "Parking"
    published = call(client, "package_patch", {"id": "estacionamento", "private": "false"}, token=steward)["result"]
    assert published["state"] == "active" and published["private"] is False
    refused = call(client, "package_patch", {"id": "estacionamento", "private": True}, token=steward, status=409)
    assert refused["error"]["private"] == ["Say why the dataset is withdrawn: send the extra 'withdrawn_reason'."]
    withdrawn = call(client, "package_patch", {
        "id": "estacionamento", "private": True,
        "extras": [{"key": "withdrawn_reason", "value": "Os dados estavam errados."}]}, token=steward)["result"]
    assert withdrawn["private"] is True and withdrawn["state"] == "active"  # CKAN's private, active dataset
    assert {e["key"]: e["value"] for e in withdrawn["extras"]}["withdrawn_reason"] == "Os dados estavam errados."
    assert service.get_dataset(session, "estacionamento", include_unpublished=True).state == "withdrawn"
    assert call(client, "package_show", {"id": "estacionamento"}, status=404)["success"] is False


def test_package_delete_is_a_soft_delete(client: TestClient, session: Session) -> None:
    world = make_world(session)
    steward = token(session)
    body = call(client, "package_delete", {"id": "contentores"}, token=steward)
    assert body["success"] is True and body["result"] is None
    assert call(client, "package_list")["result"] == ["qualidade-do-ar"]
    assert call(client, "package_show", {"id": "contentores"}, status=404)["success"] is False
    assert call(client, "package_show", {"id": "contentores"}, token=steward)["result"]["state"] == "deleted"
    assert call(client, "package_delete", {"id": "contentores"}, token=steward)["success"] is True  # idempotent
    assert actions_on(session, world.bins.public_id)[-1] == "opendata.dataset.deleted"
    edit = call(client, "package_patch", {"id": "contentores", "notes": "x"}, token=steward, status=409)
    assert edit["error"]["message"] == "This dataset was deleted; it cannot be edited."

