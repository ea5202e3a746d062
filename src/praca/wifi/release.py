"""Differentially private releases of Wi-Fi footfall, each charged to its dataset's epsilon budget.

Why DP on top of k: a k-threshold hides small cells, but two overlapping publications can still be
differenced to reveal one device. Noise calibrated to how much one device can move the figures bounds
what any set of releases reveals, and the ledger bounds how often the city may publish.

Plain functions taking a Session: they flush and never commit, so a release, its cells and its audit
entry land together when the caller commits once, or not at all.
"""

from __future__ import annotations

import csv
import math
import re
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple, TextIO

import opendp.prelude as dp
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from praca.core import audit
from praca.core.errors import Conflict, InvalidInput, NotFound
from praca.settings import Settings
from praca.wifi.models import DpDataset, DpRelease, DpReleaseCell, Footfall, KeyPeriod, Zone

EPSILON_MIN = 0.001  # below this the noise drowns every count: a release would only waste the ledger
EPSILON_MAX = 10.0  # above this the noise protects no one
MAX_RANGE = timedelta(days=93)
HOUR = timedelta(hours=1)
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
CSV_COLUMNS = ("zone", "hour", "devices")

dp.enable_features("contrib")


def audit_subject(slug: str) -> str:
    """One subject per dataset, so `audit.entries_for` reads its whole ledger: creation and releases."""
    return f"wifi-dp:{slug}"


# --- datasets and their budget -----------------------------------------------------------------------------

def ensure_dataset(session: Session, settings: Settings, slug: str, title: str,
                   epsilon_budget: float | None = None, *, actor: str = audit.SYSTEM) -> DpDataset:
    """The dataset `slug`, created with its total budget (default PRACA_WIFI_DP_BUDGET) if new.

    Idempotent, so a deployment script may run it every time; but an existing budget is never changed
    here: raising it after releases were made is a policy decision, not a side effect of a re-run.
    """
    slug, title = slug.strip(), title.strip()
    if not SLUG_RE.match(slug):
        raise InvalidInput("A dataset slug is 1 to 80 lowercase letters, digits and hyphens.", field="slug")
    if not 1 <= len(title) <= 200 or "\x00" in title:
        raise InvalidInput("A dataset title is 1 to 200 characters.", field="title")
    if epsilon_budget is not None and not (math.isfinite(epsilon_budget) and epsilon_budget > 0):
        raise InvalidInput("The epsilon budget must be a positive number.", field="epsilon_budget")
    found = session.scalar(select(DpDataset).where(DpDataset.slug == slug))
    if found is not None:
        if epsilon_budget is not None and epsilon_budget != found.epsilon_budget:
            raise Conflict(f"The dataset '{slug}' exists with a budget of {found.epsilon_budget:g}; "
                           "budgets are not changed once set.", field="epsilon_budget",
                           details={"budget": found.epsilon_budget})
        return found
    dataset = DpDataset(slug=slug, title=title,
                        epsilon_budget=settings.wifi_dp_budget if epsilon_budget is None else epsilon_budget)
    session.add(dataset)
    session.flush()
    audit.record(session, actor, "wifi.dp.dataset_created", audit_subject(slug),
                 {"title": title, "epsilon_budget": dataset.epsilon_budget})
    return dataset


def get_dataset(session: Session, slug: str) -> DpDataset:
    dataset = session.scalar(select(DpDataset).where(DpDataset.slug == slug))
    if dataset is None:
        raise NotFound(f"No DP dataset '{slug}'.", field="dataset")
    return dataset


def _exact(x: float) -> Decimal:
    """Epsilons add as the decimals people wrote (0.1 + 0.2 + 0.7 is a budget of exactly 1), not as
    binary floats, whose sum could refuse the last release that fits exactly."""
    return Decimal(repr(x))


def _spent(session: Session, dataset: DpDataset) -> Decimal:
    epsilons = session.scalars(select(DpRelease.epsilon).where(DpRelease.dataset_id == dataset.id))
    return sum((_exact(e) for e in epsilons), Decimal(0))


def _ledger(dataset: DpDataset, spent: Decimal) -> tuple[float, float]:
    return float(spent), float(_exact(dataset.epsilon_budget) - spent)


def budget(session: Session, dataset: DpDataset) -> tuple[float, float]:
    """(spent, remaining): the ledger is the sum of the dataset's releases' epsilons."""
    return _ledger(dataset, _spent(session, dataset))


def datasets(session: Session) -> list[tuple[DpDataset, float, float]]:
    """Every dataset with (spent, remaining), by slug."""
    rows = list(session.scalars(select(DpDataset).order_by(DpDataset.slug)))
    spent: dict[int, Decimal] = {}
    for dataset_id, epsilon in session.execute(select(DpRelease.dataset_id, DpRelease.epsilon)).tuples():
        spent[dataset_id] = spent.get(dataset_id, Decimal(0)) + _exact(epsilon)
    return [(d, *_ledger(d, spent.get(d.id, Decimal(0)))) for d in rows]


# --- releases ------------------------------------------------------------------------------------------------

def _utc_hour(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise InvalidInput(f"'{name}' needs a time zone (UTC, e.g. 2026-03-01T00:00:00Z).", field=name)
    try:
        value = value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise InvalidInput(f"'{name}' is out of range.", field=name) from None
    if (value.minute, value.second, value.microsecond) != (0, 0, 0):
        raise InvalidInput(f"'{name}' must be a whole hour in UTC: footfall is counted per hour.", field=name)
    return value


def _check_range(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start, end = _utc_hour(start, "start"), _utc_hour(end, "end")
    if end <= start:
        raise InvalidInput("The range is empty: 'end' must come after 'start'.", field="end")
    if end - start > MAX_RANGE:
        raise InvalidInput(f"A release covers at most {MAX_RANGE.days} days.", field="end",
                           details={"max_days": MAX_RANGE.days})
    return start, end


def _check_epsilon(epsilon: float) -> None:
    if not math.isfinite(epsilon) or epsilon <= 0:
        raise InvalidInput("Epsilon must be a positive number.", field="epsilon")
    if epsilon < EPSILON_MIN or epsilon > EPSILON_MAX:
        raise InvalidInput(f"Epsilon must be between {EPSILON_MIN:g} and {EPSILON_MAX:g}: outside that range the "
                           "noise either drowns every count or protects no one.", field="epsilon",
                           details={"min": EPSILON_MIN, "max": EPSILON_MAX})


def _first_unfinished_hour(session: Session, start: datetime, end: datetime) -> datetime | None:
    """The first hour of [start, end) not inside a key period whose aggregates are final, if any.

    A period still open may gain sessions, and its `devices_bounded` is only bounded once the whole
    period is aggregated; an hour no period covers has no aggregates at all. Either way a release
    would publish figures that change later, and two versions of one cell can be differenced."""
    periods = session.execute(
        select(KeyPeriod.starts_at, KeyPeriod.ends_at, KeyPeriod.aggregated_at)
        .where(KeyPeriod.starts_at < end, KeyPeriod.ends_at > start).order_by(KeyPeriod.starts_at)).tuples()
    covered = start
    for starts_at, ends_at, aggregated_at in periods:
        if starts_at > covered:
            break  # a gap: no key period at `covered`
        if aggregated_at is None:
            return max(starts_at, start)
        covered = max(covered, ends_at)
        if covered >= end:
            return None
    return covered if covered < end else None


def _mechanism(sensitivity: int, epsilon: float) -> dp.Measurement:
    """OpenDP's discrete Laplace on a vector of counts, with the smallest scale whose privacy map OpenDP
    itself proves to be within `epsilon` (sensitivity / epsilon, nudged up an ulp if rounding demands)."""
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int)
    scale = sensitivity / epsilon
    for _ in range(16):
        meas = dp.m.make_laplace(*space, scale=scale)
        if meas.map(d_in=sensitivity) <= epsilon:
            return meas
        scale = math.nextafter(scale, math.inf)
    raise RuntimeError(f"no Laplace scale found for sensitivity {sensitivity} within epsilon {epsilon}")


def publish(session: Session, settings: Settings, slug: str, *, start: datetime, end: datetime,
            epsilon: float, actor: str) -> DpRelease:
    """Release noisy distinct-device counts for every zone-hour of [start, end), charged to the dataset.

    Privacy unit: one device in one key period. Pseudonyms are keyed per period and the key is destroyed
    once the period is final, so one device in two periods is two unlinkable pseudonyms by design and
    nothing can bound a person across periods; the guarantee is epsilon per device and key period. Within
    a period a device counts in at most PRACA_WIFI_DP_MAX_CELLS zone-hours (`Footfall.devices_bounded`),
    each by one, so adding or removing it moves the vector of counts by at most that much in L1: that is
    the sensitivity, stored with the release.

    Releases of one dataset compose by summing their epsilons (sequential composition), which is what
    the ledger does; separate datasets over the same hours add up too, each within its own budget.

    The domain is every zone in `Zone` × every hour in range, so a cell with no footfall (a true 0) is
    noised like any other and a cell's presence reveals nothing. After noise, counts are clamped at 0
    and only cells of at least k are published: both are post-processing of the noisy output and spend
    no budget. OpenDP samples from the operating system's secure randomness; Footfall is only read.
    Refusals are 4xx with nothing written.
    """
    _check_epsilon(epsilon)
    start, end = _check_range(start, end)
    # Lock the dataset's row so two releases at once cannot both fit in the last of the budget (PostgreSQL;
    # SQLite has one writer, and the second writer's transaction fails instead).
    dataset = session.scalar(select(DpDataset).where(DpDataset.slug == slug).with_for_update())
    if dataset is None:
        raise InvalidInput(f"No DP dataset '{slug}'.", field="dataset")
    spent_before = _spent(session, dataset)
    if spent_before + _exact(epsilon) > _exact(dataset.epsilon_budget):
        spent, remaining = _ledger(dataset, spent_before)
        raise Conflict(f"Epsilon {epsilon:g} exceeds the budget of '{slug}': {remaining:g} of "
                       f"{dataset.epsilon_budget:g} remains.", field="epsilon",
                       details={"budget": dataset.epsilon_budget, "spent": spent, "remaining": remaining})
    unfinished = _first_unfinished_hour(session, start, end)
    if unfinished is not None:
        raise Conflict(f"The range includes hours whose aggregates are not final yet, from "
                       f"{unfinished.isoformat()}: release only finished key periods.", field="end",
                       details={"first_unfinished_hour": unfinished.isoformat()})
    zones = list(session.scalars(select(Zone.code).order_by(Zone.code)))
    if not zones:
        raise Conflict("There are no Wi-Fi zones yet: nothing to release.")

    true = dict(((z, h), n) for z, h, n in session.execute(
        select(Footfall.zone, Footfall.hour, Footfall.devices_bounded)
        .where(Footfall.hour >= start, Footfall.hour < end)).tuples())
    hours = [start + i * HOUR for i in range(int((end - start) / HOUR))]
    domain = [(z, h) for h in hours for z in zones]
    sensitivity = settings.wifi_dp_max_cells
    noisy = _mechanism(sensitivity, epsilon)([true.get(cell, 0) for cell in domain])

    release = DpRelease(dataset_id=dataset.id, epsilon=epsilon, period_from=start, period_to=end,
                        sensitivity=sensitivity, k=settings.wifi_k, domain_cells=len(domain), created_by=actor)
    session.add(release)
    session.flush()
    clamped = (max(0, n) for n in noisy)
    cells = [{"release_id": release.id, "zone": z, "hour": h, "devices": n}
             for (z, h), n in zip(domain, clamped, strict=True) if n >= settings.wifi_k]
    if cells:  # Core executemany: the ORM's bulk path costs seconds on a 93-day release
        session.connection().execute(insert(DpReleaseCell.__table__), cells)
    release.cells_published = len(cells)
    session.flush()
    spent, remaining = _ledger(dataset, spent_before + _exact(epsilon))
    audit.record(session, actor, "wifi.dp.released", audit_subject(slug), {
        "release": release.public_id, "epsilon": epsilon, "spent": spent, "remaining": remaining,
        "budget": dataset.epsilon_budget, "from": start.isoformat(), "to": end.isoformat(),
        "sensitivity": sensitivity, "k": settings.wifi_k, "domain_cells": len(domain),
        "cells_published": len(cells)})
    return release


def get_release(session: Session, public_id: str) -> DpRelease:
    try:
        uuid.UUID(public_id)
    except ValueError:
        raise NotFound("No such release.") from None
    release = session.scalar(select(DpRelease).where(DpRelease.public_id == public_id))
    if release is None:
        raise NotFound("No such release.")
    return release


def list_releases(session: Session, *, dataset: str | None = None, limit: int = 25,
                  offset: int = 0) -> tuple[list[tuple[DpRelease, str]], int]:
    """(release, dataset slug) pairs, newest first, and their total."""
    stmt = select(DpRelease, DpDataset.slug).join(DpDataset, DpDataset.id == DpRelease.dataset_id)
    if dataset is not None:
        stmt = stmt.where(DpDataset.id == get_dataset(session, dataset).id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(stmt.order_by(DpRelease.created_at.desc(), DpRelease.id.desc())
                           .limit(limit).offset(offset)).tuples()
    return list(rows), total


def dataset_slug(session: Session, release: DpRelease) -> str:
    return session.scalar(select(DpDataset.slug).where(DpDataset.id == release.dataset_id)) or ""


class Cell(NamedTuple):
    zone: str
    hour: datetime
    devices: int


def release_rows(session: Session, release: DpRelease) -> list[Cell]:
    """The published cells of a release, by hour then zone (plain rows: a release may have 100,000s)."""
    rows = session.execute(select(DpReleaseCell.zone, DpReleaseCell.hour, DpReleaseCell.devices)
                           .where(DpReleaseCell.release_id == release.id)
                           .order_by(DpReleaseCell.hour, DpReleaseCell.zone)).tuples()
    return [Cell(*row) for row in rows]


def utc_iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_csv(out: TextIO, cells: Iterable[Cell]) -> None:
    """zone, hour (UTC ISO 8601), devices: the release as a download."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for cell in cells:
        writer.writerow((cell.zone, utc_iso(cell.hour), cell.devices))
