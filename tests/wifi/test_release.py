"""DP releases of Wi-Fi footfall: the budget ledger, the refusals (nothing written), the domain of every
zone × hour, the k threshold on noisy counts, the noise's scale, and Footfall left as it was."""

from __future__ import annotations

import io
import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from praca.core import audit
from praca.core.audit import AuditEntry
from praca.core.errors import Conflict, InvalidInput, NotFound
from praca.settings import Settings
from praca.wifi import release
from praca.wifi.models import DpRelease, DpReleaseCell, Footfall, KeyPeriod, Zone

T0 = datetime(2026, 3, 2, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
PLUS_ONE = timezone(timedelta(hours=1))  # Lisbon in summer


def seed(session: Session, *, zones: int = 3, days: int = 1, final: bool = True,
         counts: dict[tuple[int, int], int] | None = None) -> list[str]:
    """`zones` zones and `days` daily key periods from T0; Footfall only for `counts`:
    (zone index, hour index from T0) → distinct devices (bounded and not)."""
    codes = [f"z{i:02d}" for i in range(zones)]
    session.add_all(Zone(code=c, kind="h3", name=f"Zone {c}") for c in codes)
    for d in range(days):
        session.add(KeyPeriod(starts_at=T0 + d * DAY, ends_at=T0 + (d + 1) * DAY,
                              aggregated_at=T0 + (d + 1) * DAY + 2 * HOUR if final else None))
    for (z, h), n in (counts or {}).items():
        session.add(Footfall(zone=codes[z], hour=T0 + h * HOUR, devices=n, sessions=n, median_dwell_s=600,
                             devices_bounded=n))
    session.flush()
    return codes


def seed_release(session: Session, settings: Settings, slug: str = "footfall") -> DpRelease:
    """A published release over one final day (for the API and schemathesis tests)."""
    seed(session, zones=2, counts={(0, 10): 400, (1, 10): 3, (0, 11): 250})
    release.ensure_dataset(session, settings, slug, "Footfall per zone and hour")
    return release.publish(session, settings, slug, start=T0, end=T0 + DAY, epsilon=1.0, actor="test")


def counts(session: Session) -> dict[str, int]:
    return {t.__tablename__: session.scalar(select(func.count()).select_from(t)) or 0
            for t in (DpRelease, DpReleaseCell, AuditEntry)}


def footfall(session: Session) -> list[tuple]:
    session.expire_all()
    return [tuple(r) for r in session.execute(
        select(Footfall.zone, Footfall.hour, Footfall.devices, Footfall.sessions, Footfall.median_dwell_s,
               Footfall.devices_bounded).order_by(Footfall.zone, Footfall.hour))]


class StubNoise:
    """Replaces OpenDP's mechanism: adds chosen offsets, records what it was given and with what epsilon."""

    def __init__(self, offsets: dict[int, int] | None = None):
        self.offsets = offsets or {}
        self.calls: list[tuple[int, float, list[int]]] = []

    def __call__(self, sensitivity: int, epsilon: float):
        def measure(values: list[int]) -> list[int]:
            self.calls.append((sensitivity, epsilon, list(values)))
            return [v + self.offsets.get(i, 0) for i, v in enumerate(values)]
        return measure


# --- datasets ------------------------------------------------------------------------------------------------

def test_a_dataset_takes_the_default_budget_once_and_is_audited(session, settings):
    made = release.ensure_dataset(session, settings, "footfall", "Footfall", actor="user:7")
    assert made.epsilon_budget == settings.wifi_dp_budget
    assert release.budget(session, made) == (0.0, settings.wifi_dp_budget)
    again = release.ensure_dataset(session, settings, "footfall", "Another title")
    assert again.id == made.id and again.title == "Footfall"
    entries = audit.entries_for(session, "wifi-dp:footfall")
    assert [(e.action, e.actor, e.details["epsilon_budget"]) for e in entries] == [
        ("wifi.dp.dataset_created", "user:7", settings.wifi_dp_budget)]
    with pytest.raises(Conflict, match="budgets are not changed"):
        release.ensure_dataset(session, settings, "footfall", "Footfall", epsilon_budget=50)
    for bad in ("", "Footfall", "a b", "x" * 81):
        with pytest.raises(InvalidInput):
            release.ensure_dataset(session, settings, bad, "Footfall")
    for bad_budget in (0, -1, math.inf, math.nan):
        with pytest.raises(InvalidInput):
            release.ensure_dataset(session, settings, "other", "Other", epsilon_budget=bad_budget)


# --- the ledger ------------------------------------------------------------------------------------------------

def test_releases_up_to_exactly_the_budget_then_refused_with_nothing_written(session, settings):
    seed(session, counts={(0, 1): 50})
    dataset = release.ensure_dataset(session, settings, "footfall", "Footfall", epsilon_budget=1.0)
    for eps in (0.1, 0.2, 0.7):  # 1.0 exactly in decimals, a hair over in binary floats
        release.publish(session, settings, "footfall", start=T0, end=T0 + DAY, epsilon=eps, actor="test")
    assert release.budget(session, dataset) == (1.0, 0.0)
    before, rows = counts(session), footfall(session)
    with pytest.raises(Conflict, match=r"0 of 1 remains") as refused:
        release.publish(session, settings, "footfall", start=T0, end=T0 + DAY, epsilon=0.001, actor="test")
    assert refused.value.details == {"field": "epsilon", "budget": 1.0, "spent": 1.0, "remaining": 0.0}
    assert counts(session) == before and footfall(session) == rows
    assert release.budget(session, dataset) == (1.0, 0.0)


def test_a_release_over_the_remaining_budget_says_what_remains(session, settings):
    seed(session)
    dataset = release.ensure_dataset(session, settings, "footfall", "Footfall", epsilon_budget=1.0)
    release.publish(session, settings, "footfall", start=T0, end=T0 + DAY, epsilon=0.6, actor="test")
    before = counts(session)
    with pytest.raises(Conflict, match=r"Epsilon 0.5 exceeds the budget of 'footfall': 0.4 of 1 remains"):
        release.publish(session, settings, "footfall", start=T0, end=T0 + DAY, epsilon=0.5, actor="test")
    assert counts(session) == before
    assert release.budget(session, dataset) == (0.6, 0.4)
    release.publish(session, settings, "footfall", start=T0, end=T0 + DAY, epsilon=0.4, actor="test")
    assert release.budget(session, dataset) == (1.0, 0.0)


def test_datasets_are_listed_with_their_own_ledgers(session, settings):
    seed(session)
    release.ensure_dataset(session, settings, "b-set", "B", epsilon_budget=3)
    release.ensure_dataset(session, settings, "a-set", "A", epsilon_budget=2)
    release.publish(session, settings, "b-set", start=T0, end=T0 + DAY, epsilon=0.25, actor="test")
    release.publish(session, settings, "b-set", start=T0, end=T0 + DAY, epsilon=0.5, actor="test")
    assert [(d.slug, spent, remaining) for d, spent, remaining in release.datasets(session)] == [
        ("a-set", 0.0, 2.0), ("b-set", 0.75, 2.25)]


# --- refusals ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("eps", [0, -1, 0.0001, 10.0001, 100, math.inf, math.nan])
def test_absurd_epsilons_are_refused(session, settings, eps):
    seed(session)
    release.ensure_dataset(session, settings, "footfall", "Footfall")
    before = counts(session)
    with pytest.raises(InvalidInput, match="Epsilon must be") as refused:
        release.publish(session, settings, "footfall", start=T0, end=T0 + DAY, epsilon=eps, actor="test")
    assert refused.value.details["field"] == "epsilon"
    assert counts(session) == before


@pytest.mark.parametrize(("start", "end", "message"), [
    (T0, T0, "empty"),
    (T0 + HOUR, T0, "empty"),
    (T0, T0 + timedelta(days=93, hours=1), "at most 93 days"),
    (T0.replace(tzinfo=None), T0 + DAY, "time zone"),
    (T0 + timedelta(minutes=30), T0 + DAY, "whole hour"),
    (datetime(1, 1, 1, tzinfo=PLUS_ONE), T0, "out of range"),
])
def test_bad_ranges_are_refused(session, settings, start, end, message):
    seed(session)
    release.ensure_dataset(session, settings, "footfall", "Footfall")
    before = counts(session)
    with pytest.raises(InvalidInput, match=message):
        release.publish(session, settings, "footfall", start=start, end=end, epsilon=1, actor="test")
    assert counts(session) == before


def test_a_whole_hour_in_another_zone_offset_is_accepted(session, settings):
    seed(session)
    release.ensure_dataset(session, settings, "footfall", "Footfall")
    made = release.publish(session, settings, "footfall", start=T0.astimezone(PLUS_ONE), end=T0 + DAY,
                           epsilon=1, actor="test")
    assert made.period_from == T0


def test_93_days_is_the_longest_range(session, settings):
    seed(session, zones=1, days=93)
    release.ensure_dataset(session, settings, "footfall", "Footfall")
    made = release.publish(session, settings, "footfall", start=T0, end=T0 + 93 * DAY, epsilon=1, actor="test")
    assert made.period_to - made.period_from == 93 * DAY


def test_hours_of_unfinished_or_missing_key_periods_are_refused(session, settings):
    seed(session, days=2)
    session.add(KeyPeriod(starts_at=T0 + 2 * DAY, ends_at=T0 + 3 * DAY))  # not aggregated yet
    session.add(KeyPeriod(starts_at=T0 + 4 * DAY, ends_at=T0 + 5 * DAY, aggregated_at=T0 + 5 * DAY))
    session.flush()
    release.ensure_dataset(session, settings, "footfall", "Footfall")
    before = counts(session)
    cases = [
        (T0 + DAY + 20 * HOUR, T0 + 2 * DAY + HOUR, T0 + 2 * DAY),  # runs into the open period
        (T0 + 2 * DAY + 5 * HOUR, T0 + 2 * DAY + 6 * HOUR, T0 + 2 * DAY + 5 * HOUR),  # inside it
        (T0 + 4 * DAY, T0 + 6 * DAY, T0 + 5 * DAY),  # past the last period
        (T0 - HOUR, T0 + HOUR, T0 - HOUR),  # before the first one
        (T0 + 3 * DAY + 23 * HOUR, T0 + 4 * DAY + HOUR, T0 + 3 * DAY + 23 * HOUR),  # no period that day
    ]
    for start, end, first in cases:
        with pytest.raises(Conflict, match="not final") as refused:
            release.publish(session, settings, "footfall", start=start, end=end, epsilon=0.5, actor="test")
        assert refused.value.details["first_unfinished_hour"] == first.isoformat(), (start, end)
    assert counts(session) == before
    made = release.publish(session, settings, "footfall", start=T0 + 5 * HOUR, end=T0 + 2 * DAY, epsilon=0.5,
                           actor="test")
    assert made.period_to == T0 + 2 * DAY


def test_an_unknown_dataset_or_no_zones_is_refused(session, settings):
    session.add(KeyPeriod(starts_at=T0, ends_at=T0 + DAY, aggregated_at=T0 + DAY))
    with pytest.raises(InvalidInput, match="No DP dataset 'nope'"):
        release.publish(session, settings, "nope", start=T0, end=T0 + DAY, epsilon=1, actor="test")
    release.ensure_dataset(session, settings, "footfall", "Footfall")
    with pytest.raises(Conflict, match="no Wi-Fi zones"):
        release.publish(session, settings, "footfall", start=T0, end=T0 + DAY, epsilon=1, actor="test")
    assert counts(session)["wifi_dp_release"] == 0


# --- what is published ---------------------------------------------------------------------------------------

def test_the_domain_is_every_zone_by_every_hour_and_only_noisy_counts_of_k_are_published(
        session, settings, monkeypatch):
    codes = seed(session, zones=3, counts={(0, 0): 40, (1, 0): 9, (2, 0): 1, (0, 1): 10, (1, 5): 2})
    release.ensure_dataset(session, settings, "footfall", "Footfall")
    # Domain order: hour by hour, zones by code. Index 2 = (z02, hour 0), true 1, pushed to 21;
    # index 4 = (z01, hour 1), true 0, pushed to 12; index 0 = (z00, hour 0), true 40, pulled to -5.
    noise = StubNoise({2: 20, 4: 12, 0: -45, 3: -3})
    monkeypatch.setattr(release, "_mechanism", noise)
    made = release.publish(session, settings, "footfall", start=T0, end=T0 + 6 * HOUR, epsilon=1.5, actor="test")
    [(sensitivity, epsilon, values)] = noise.calls
    assert (sensitivity, epsilon) == (settings.wifi_dp_max_cells, 1.5)
    assert len(values) == 3 * 6  # absent cells (true 0) are in the domain too
    assert values[:6] == [40, 9, 1, 10, 0, 0] and values[15:] == [0, 2, 0]
    published = {(c.zone, c.hour - T0): c.devices for c in release.release_rows(session, made)}
    assert published == {(codes[2], 0 * HOUR): 21, (codes[1], 1 * HOUR): 12}  # 40 → -5 dropped, 10 → 7 dropped
    assert made.cells_published == 2 and made.sensitivity == settings.wifi_dp_max_cells


def test_with_real_noise_every_published_cell_reaches_k_and_empty_cells_can_be_published(session, settings):
    codes = seed(session, zones=3, counts={(0, h): 1 for h in range(24)})
    release.ensure_dataset(session, settings, "footfall", "Footfall")
    # Epsilon 0.01: a scale of 1200, so about half the true zeros and ones come out at k or more.
    made = release.publish(session, settings, "footfall", start=T0, end=T0 + DAY, epsilon=0.01, actor="test")
    cells = release.release_rows(session, made)
    assert cells and all(c.devices >= settings.wifi_k for c in cells)
    assert {c.zone for c in cells} - {codes[0]}  # zones without a single Footfall row
    assert made.cells_published == len(cells) < 3 * 24
    [entry] = [e for e in audit.entries_for(session, "wifi-dp:footfall") if e.action == "wifi.dp.released"]
    assert entry.details["domain_cells"] == 3 * 24


def test_footfall_is_never_modified(session, settings):
    seed(session, zones=2, counts={(0, 3): 120, (1, 3): 4, (1, 7): 33})
    release.ensure_dataset(session, settings, "footfall", "Footfall")
    rows = footfall(session)
    release.publish(session, settings, "footfall", start=T0, end=T0 + DAY, epsilon=0.5, actor="test")
    release.publish(session, settings, "footfall", start=T0, end=T0 + DAY, epsilon=5, actor="test")
    assert footfall(session) == rows


@pytest.mark.parametrize(("max_cells", "epsilon"), [(12, 1.0), (1, 0.5)])
def test_the_noise_is_discrete_laplace_of_scale_sensitivity_over_epsilon(session, settings, max_cells, epsilon):
    """OpenDP's RNG cannot be seeded: many cells over a few releases, and the mean absolute error within
    15% of the discrete Laplace's (2a / (1 - a²), a = exp(-epsilon / sensitivity)); true counts far
    above k so that nothing is clamped or withheld."""
    settings = settings.model_copy(update={"wifi_dp_max_cells": max_cells})
    seed(session, zones=10, counts={(z, h): 5000 for z in range(10) for h in range(24)})
    release.ensure_dataset(session, settings, "big", "Big budget", epsilon_budget=1000)
    errors = []
    for _ in range(15):
        made = release.publish(session, settings, "big", start=T0, end=T0 + DAY, epsilon=epsilon, actor="test")
        errors += [c.devices - 5000 for c in release.release_rows(session, made)]
        assert made.sensitivity == max_cells
    assert len(errors) == 15 * 240
    a = math.exp(-epsilon / max_cells)
    expected = 2 * a / (1 - a * a)
    mae = sum(abs(e) for e in errors) / len(errors)
    assert 0.85 * expected < mae < 1.15 * expected, (mae, expected)
    assert abs(sum(errors) / len(errors)) < 0.15 * expected + 0.1  # centred on the truth


def test_a_release_is_audited_with_its_ledger(session, settings):
    seed(session, counts={(0, 0): 300})
    release.ensure_dataset(session, settings, "footfall", "Footfall", epsilon_budget=4)
    release.publish(session, settings, "footfall", start=T0, end=T0 + DAY, epsilon=1.5, actor="user:3")
    made = release.publish(session, settings, "footfall", start=T0, end=T0 + 12 * HOUR, epsilon=0.5,
                           actor="user:3")
    assert made.created_by == "user:3"
    entry = audit.entries_for(session, "wifi-dp:footfall")[-1]
    assert (entry.action, entry.actor) == ("wifi.dp.released", "user:3")
    assert entry.details | {"cells_published": 0} == {
        "release": made.public_id, "epsilon": 0.5, "spent": 2.0, "remaining": 2.0, "budget": 4.0,
        "from": T0.isoformat(), "to": (T0 + 12 * HOUR).isoformat(), "sensitivity": settings.wifi_dp_max_cells,
        "k": settings.wifi_k, "domain_cells": 3 * 12, "cells_published": 0}
    assert entry.details["cells_published"] == made.cells_published
    assert (made.k, made.domain_cells) == (settings.wifi_k, 3 * 12)  # the release says it too
    assert audit.verify(session).ok


# --- reading it back -----------------------------------------------------------------------------------------

def test_release_rows_and_csv(session, settings, monkeypatch):
    seed(session, zones=2, counts={(0, 0): 40, (1, 2): 25})
    release.ensure_dataset(session, settings, "footfall", "Footfall")
    monkeypatch.setattr(release, "_mechanism", StubNoise({0: 2}))
    made = release.publish(session, settings, "footfall", start=T0, end=T0 + 3 * HOUR, epsilon=1, actor="test")
    assert release.get_release(session, made.public_id).id == made.id
    for missing in ("00000000-0000-0000-0000-000000000000", "not-a-uuid"):
        with pytest.raises(NotFound):
            release.get_release(session, missing)
    out = io.StringIO()
    release.write_csv(out, release.release_rows(session, made))
    assert out.getvalue() == "zone,hour,devices\nz00,2026-03-02T00:00:00Z,42\nz01,2026-03-02T02:00:00Z,25\n"
    rows, total = release.list_releases(session, dataset="footfall")
    assert total == 1 and rows == [(made, "footfall")]
    with pytest.raises(NotFound):
        release.list_releases(session, dataset="nope")
