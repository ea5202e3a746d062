"""Pressure areas: which zones are busier than usual on a day, for the city's operations teams (waste
collection, cleaning, transport) to send people where the footfall is.

Each zone is compared with its own past, never with other zones: a quiet street twice as busy as usual
ranks above a busy square at its normal level. Definitions, for a local (Europe/Lisbon) day D:

- **Hours.** The hours of D are the UTC hours that start on D in Lisbon: 24, but 23 on the day the
  clocks go forward (local 01:00 never happens) and 25 on the day they go back (local 01:00 twice).
  An hour is named by its local start hour ("14:00").
- **Counts** are visible distinct devices (`service.visible_counts`): a zone-hour under k is never
  read, so it counts as 0, exactly like a zone-hour without data.
- **Hourly baseline** of a zone at local hour h: for each of the 4 previous weeks (D − 7, 14, 21 and
  28 days, the same weekday), the devices at local hour h on that day (the mean of both hours when h
  happened twice that day; 0 when it did not happen), then the mean over the 4 weeks. The baseline
  exists only when at least 2 of the 4 weeks had a visible cell at h; otherwise that hour has none.
- **Hourly ratio** = devices in the hour / its baseline (the baseline is at least k/4 when it exists).
- **Day footfall** and **day baseline**: sums over the hours of D that have a baseline (so the two
  compare like with like, in device-hours); the **pressure index** = day footfall / day baseline. A
  zone where no hour has a baseline has "no baseline yet"; its footfall is then the whole day's.
- **Peak hour**: the compared hour with the highest ratio (the earliest on a tie), with its ratio,
  devices and baseline; none when the zone had no visible devices in any compared hour.
- **Ranking**: highest index first (then more footfall, then name); zones with no baseline last, by
  footfall then name. A day with no visible footfall anywhere in the city gives an empty list.

Speed: two queries for the whole city whatever the number of zones — the zones, and the visible
(zone, hour, devices) rows of the five days concerned (D and the same weekday of the four weeks
before, not the five whole weeks) as plain tuples; the rest is dictionary arithmetic over at most
zones × 5 days × 25 hours. 500 zones with every hour of six weeks stored (432,000 rows): about 0.23 s
on SQLite and on PostgreSQL, under half of it the query.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from praca.settings import Settings
from praca.wifi import service
from praca.wifi.models import Zone

CITY_TZ = ZoneInfo("Europe/Lisbon")
WEEKS = 4  # the baseline's previous weeks
MIN_WEEKS = 2  # of which at least this many must have data
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class PeakHour:
    """The hour of the day furthest above its baseline."""

    start: datetime  # UTC
    devices: int
    baseline: float
    ratio: float

    @property
    def local(self) -> datetime:
        return self.start.astimezone(CITY_TZ)


@dataclass(frozen=True)
class PressureArea:
    """One zone's day against its own baseline; `index` is None when the zone has no baseline yet."""

    code: str
    name: str
    kind: str
    footfall: int
    baseline: float | None
    index: float | None
    hours_compared: int
    peak: PeakHour | None
    lat: float | None = field(default=None, compare=False)
    lon: float | None = field(default=None, compare=False)
    boundary: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def has_baseline(self) -> bool:
        return self.index is not None


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a Lisbon day, in UTC."""
    start = datetime.combine(day, time(0), tzinfo=CITY_TZ).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=CITY_TZ).astimezone(UTC)
    return start, end


def day_hours(day: date) -> list[datetime]:
    """The UTC starts of a Lisbon day's hours: 23, 24 or 25 of them."""
    start, end = day_bounds(day)
    return [start + i * HOUR for i in range((end - start) // HOUR)]


def local_date(moment: datetime) -> date:
    return moment.astimezone(CITY_TZ).date()


def latest_day(session: Session, settings: Settings) -> date | None:
    """The latest Lisbon day with visible footfall: the pages' default."""
    hour = service.latest_visible_hour(session, settings)
    return None if hour is None else local_date(hour)


def _hour_of_day(moment: datetime) -> int:
    return moment.astimezone(CITY_TZ).hour


def _baselines(past: dict[tuple[int, int], list[int]], occurrences: list[dict[int, int]],
               hours: set[int]) -> dict[int, float]:
    """Local hour → baseline for one zone, for the hours that have one. `past[(week, hour)]` holds the
    visible devices of that hour that week; `occurrences[week][hour]` how often the hour happened."""
    baselines: dict[int, float] = {}
    for hour in hours:
        total, weeks_with_data = 0.0, 0
        for week in range(1, WEEKS + 1):
            values = past.get((week, hour))
            if values:
                weeks_with_data += 1
                total += sum(values) / occurrences[week - 1].get(hour, 1)
        if weeks_with_data >= MIN_WEEKS:
            baselines[hour] = total / WEEKS
    return baselines


def pressure(session: Session, settings: Settings, day: date) -> list[PressureArea]:
    """Every zone's pressure on a Lisbon day, ranked (see the module's docstring for the definitions)."""
    days = [day - timedelta(weeks=w) for w in range(WEEKS + 1)]
    # (week, local hour) of every UTC hour concerned, worked out once: the rows then need no time zone.
    slots = {h: (week, _hour_of_day(h)) for week, d in enumerate(days) for h in day_hours(d)}
    occurrences: list[dict[int, int]] = [defaultdict(int) for _ in days]
    for week, label in slots.values():
        occurrences[week][label] += 1
    today: dict[str, dict[datetime, int]] = defaultdict(dict)
    past: dict[str, dict[tuple[int, int], list[int]]] = defaultdict(lambda: defaultdict(list))
    for zone, hour, devices in service.visible_counts(session, settings, ranges=[day_bounds(d) for d in days]):
        slot = slots.get(hour)
        if slot is None:  # not on the hour (the pipeline writes whole hours): the hour it is in
            hour = hour.replace(minute=0, second=0, microsecond=0)
            slot = slots[hour]
        if slot[0] == 0:
            today[zone][hour] = today[zone].get(hour, 0) + devices
        else:
            past[zone][slot].append(devices)
    if not today:
        return []
    labels = {h: slots[h][1] for h in day_hours(day)}
    areas = [_area(zone, today.get(zone.code, {}), _baselines(past.get(zone.code, {}), occurrences[1:],
                                                               set(labels.values())), labels)
             for zone in service.zones(session)]
    return sorted(areas, key=_rank)


def _area(zone: Zone, seen: dict[datetime, int], baselines: dict[int, float], labels: dict[datetime, int]
          ) -> PressureArea:
    """One zone's figures from its visible devices of the day (`seen`, by UTC hour) and its baselines."""
    compared = [h for h, label in labels.items() if label in baselines]
    footfall, baseline, index, peak = sum(seen.values()), None, None, None
    if compared:
        footfall = sum(seen.get(h, 0) for h in compared)
        baseline = sum(baselines[labels[h]] for h in compared)
        index = footfall / baseline
        best = max(compared, key=lambda h: (seen.get(h, 0) / baselines[labels[h]], -h.timestamp()))
        if seen.get(best):
            expected = baselines[labels[best]]
            peak = PeakHour(best, seen[best], expected, seen[best] / expected)
    return PressureArea(zone.code, zone.name, zone.kind, footfall, baseline, index, len(compared), peak,
                        zone.lat, zone.lon, zone.boundary)


def _rank(area: PressureArea) -> tuple[Any, ...]:
    if area.index is None:
        return (1, 0.0, -area.footfall, area.name.casefold(), area.code)
    return (0, -area.index, -area.footfall, area.name.casefold(), area.code)
