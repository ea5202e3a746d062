"""The DP release API: public reads of datasets, releases and their CSV; releases made by a DPO or an
admin's token only; refusals in the one error body with nothing spent."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from praca.wifi import release
from praca.wifi.models import DpRelease, KeyPeriod
from tests.factories import api_headers, make_user
from tests.wifi.test_release import DAY, HOUR, T0, seed, seed_release

BODY = {"dataset": "footfall", "start": T0.isoformat(), "end": (T0 + DAY).isoformat(), "epsilon": 0.5}


def n_releases(session) -> int:
    return session.scalar(select(func.count()).select_from(DpRelease)) or 0


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


@pytest.fixture
def dataset(session, settings):
    seed(session, zones=2, days=2, counts={(0, 3): 80, (1, 3): 2})
    made = release.ensure_dataset(session, settings, "footfall", "Footfall per zone and hour", epsilon_budget=2)
    session.commit()
    return made


def test_datasets_are_public_with_their_ledger(client, session, settings, dataset):
    release.publish(session, settings, "footfall", start=T0, end=T0 + DAY, epsilon=0.75, actor="test")
    session.commit()
    response = client.get("/api/v1/wifi/datasets")
    assert response.status_code == 200
    assert response.json() == {"items": [{"slug": "footfall", "title": "Footfall per zone and hour", "budget": 2.0,
                                          "spent": 0.75, "remaining": 1.25}], "total": 1}


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("viewer", 403), ("liaison", 403)])
def test_only_the_dpo_or_an_admin_may_release(client, session, dataset, role, status):
    headers = api_headers(session, make_user(session, role, department="mobilidade" if role == "liaison" else None)
                          ) if role else {}
    session.commit()
    error = assert_error(client.post("/api/v1/wifi/releases", json=BODY, headers=headers), status,
                         "unauthenticated" if status == 401 else "forbidden")
    if status == 403:
        assert error["details"] == {"required": ["admin", "dpo"]}
    assert n_releases(session) == 0


@pytest.mark.parametrize("role", ["dpo", "admin"])
def test_a_dpo_or_admin_releases(client, session, dataset, role):
    user = make_user(session, role)
    headers = api_headers(session, user)
    session.commit()
    response = client.post("/api/v1/wifi/releases", json=BODY, headers=headers)
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["dataset"] == "footfall" and made["epsilon"] == 0.5
    assert (made["spent"], made["remaining"]) == (0.5, 1.5)
    assert made["period_from"] == "2026-03-02T00:00:00Z" and made["period_to"] == "2026-03-03T00:00:00Z"
    assert made["cells_published"] == len(made["cells"])
    assert (made["k"], made["domain_cells"]) == (10, 2 * 24)  # two zones, a day of hours
    assert all(c["devices"] >= 10 for c in made["cells"])
    assert "created_by" not in made
    row = session.scalar(select(DpRelease).where(DpRelease.public_id == made["public_id"]))
    assert row.created_by == user.actor


def test_refusals_are_structured_and_spend_nothing(client, session, dataset):
    session.add(KeyPeriod(starts_at=T0 + 2 * DAY, ends_at=T0 + 3 * DAY))
    headers = api_headers(session, make_user(session, "dpo"))
    session.commit()

    def post(**changes):
        return client.post("/api/v1/wifi/releases", json=BODY | changes, headers=headers)

    error = assert_error(post(epsilon=2.5), 409, "conflict")
    assert "2 of 2 remains" in error["message"] and error["details"]["remaining"] == 2.0
    error = assert_error(post(end=(T0 + 2 * DAY + HOUR).isoformat()), 409, "conflict")
    assert error["details"]["first_unfinished_hour"] == (T0 + 2 * DAY).isoformat()
    assert_error(post(epsilon=0), 422, "invalid_input")
    assert_error(post(epsilon=11), 422, "invalid_input")
    assert_error(post(start="2026-03-02T00:00:00"), 422, "invalid_input")  # no time zone
    assert_error(post(start=BODY["end"]), 422, "invalid_input")
    assert_error(post(start="2026-03-02T00:30:00Z"), 422, "invalid_input")
    error = assert_error(post(dataset="nope"), 422, "invalid_input")
    assert error["details"]["field"] == "dataset"
    assert_error(client.post("/api/v1/wifi/releases", json=BODY | {"extra": 1}, headers=headers), 422,
                 "invalid_input")
    assert n_releases(session) == 0
    assert client.get("/api/v1/wifi/datasets").json()["items"][0]["spent"] == 0


def test_releases_list_page_and_filter(client, session, settings, dataset):
    release.ensure_dataset(session, settings, "other", "Other")
    made = [release.publish(session, settings, slug, start=T0 + i * HOUR, end=T0 + DAY, epsilon=0.25, actor="t")
            for i, slug in enumerate(["footfall", "footfall", "other"])]
    session.commit()
    everything = client.get("/api/v1/wifi/releases").json()
    assert everything["total"] == 3 and len(everything["items"]) == 3
    page = client.get("/api/v1/wifi/releases", params={"dataset": "footfall", "limit": 1, "offset": 1}).json()
    assert page["total"] == 2
    [item] = page["items"]
    assert item["public_id"] in {made[0].public_id, made[1].public_id} and item["dataset"] == "footfall"
    assert {"epsilon", "period_from", "period_to", "sensitivity", "cells_published", "created_at"} <= set(item)
    assert_error(client.get("/api/v1/wifi/releases", params={"dataset": "nope"}), 404, "not_found")
    assert_error(client.get("/api/v1/wifi/releases", params={"limit": 0}), 422, "invalid_input")
    assert_error(client.get("/api/v1/wifi/releases", params={"lang": "pt"}), 422, "invalid_input")


def test_one_release_as_json_and_as_csv(client, session, settings):
    made = seed_release(session, settings)
    session.commit()
    response = client.get(f"/api/v1/wifi/releases/{made.public_id}")
    assert response.status_code == 200
    detail = response.json()
    assert detail["public_id"] == made.public_id and detail["dataset"] == "footfall"
    assert detail["sensitivity"] == settings.wifi_dp_max_cells and detail["epsilon"] == 1.0
    cells = [(c["zone"], c["hour"], c["devices"]) for c in detail["cells"]]
    assert cells == sorted(cells, key=lambda c: (c[1], c[0])) and len(cells) == made.cells_published

    response = client.get(f"/api/v1/wifi/releases/{made.public_id}.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert f'filename="wifi-footfall-{made.public_id}.csv"' in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["zone", "hour", "devices"]
    assert [(z, h, int(n)) for z, h, n in rows[1:]] == cells

    for path in ("00000000-0000-0000-0000-000000000000", "nope", "nope.csv",
                 "00000000-0000-0000-0000-000000000000.csv"):
        assert_error(client.get(f"/api/v1/wifi/releases/{path}"), 404, "not_found")
