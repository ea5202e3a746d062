"""Pydantic models of the Wi-Fi analytics' JSON: what the pressure-areas endpoint returns."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, PlainSerializer

from praca.wifi.pressure import CITY_TZ, PeakHour, PressureArea, day_hours

# "2026-10-25T01:00:00+00:00", never "…Z": a Lisbon time keeps its offset, even when it is zero.
LocalTime = Annotated[datetime, PlainSerializer(lambda value: value.isoformat(), return_type=str, when_used="json")]


class PeakHourRead(BaseModel):
    """The hour furthest above its baseline."""

    start: datetime = Field(description="Start of the hour, in UTC.")
    start_local: LocalTime = Field(description="Start of the hour in Lisbon, with its UTC offset (tells apart "
                                              "the two 01:00 of the day the clocks go back).")
    ratio: float = Field(description="Visible devices in the hour / the hour's baseline.")
    devices: int = Field(description="Visible distinct devices in the hour (at least k, or 0).")
    baseline: float = Field(description="Mean devices at this local hour on the same weekday of the 4 previous weeks.")

    @classmethod
    def of(cls, peak: PeakHour) -> PeakHourRead:
        return cls(start=peak.start, start_local=peak.start.astimezone(CITY_TZ), ratio=round(peak.ratio, 4),
                   devices=peak.devices, baseline=peak.baseline)


class PressureAreaRead(BaseModel):
    """One zone's day against its own baseline."""

    rank: int = Field(description="1 for the zone most above its baseline; zones without a baseline come last.")
    zone: str = Field(description="The zone's code.")
    name: str
    kind: str = Field(description="h3, parish or bus (the on-bus fleet, a zone without a boundary).")
    footfall: int = Field(description="Visible device-hours over the hours compared (the whole day when the zone "
                                      "has no baseline yet).")
    baseline: float | None = Field(description="Expected device-hours over the same hours; null: no baseline yet.")
    index: float | None = Field(description="footfall / baseline; null: no baseline yet.")
    hours_compared: int = Field(description="Hours of the day that have a baseline.")
    peak: PeakHourRead | None = Field(description="Null when no compared hour had visible devices.")

    @classmethod
    def of(cls, rank: int, area: PressureArea) -> PressureAreaRead:
        return cls(rank=rank, zone=area.code, name=area.name, kind=area.kind,
                   footfall=area.footfall, baseline=area.baseline,
                   index=None if area.index is None else round(area.index, 4), hours_compared=area.hours_compared,
                   peak=PeakHourRead.of(area.peak) if area.peak else None)


class PressureReport(BaseModel):
    """Pressure areas of one Lisbon day, ranked. Zone-hours with fewer than k devices count as none."""

    day: date
    hours: int = Field(description="Hours in the day: 24, or 23 and 25 on the days the clocks change.")
    k: int = Field(description="Zone-hours with fewer distinct devices than this are never shown or counted.")
    areas: list[PressureAreaRead] = Field(description="Empty when the day has no visible footfall.")

    @classmethod
    def of(cls, day: date, areas: list[PressureArea], k: int) -> PressureReport:
        return cls(day=day, hours=len(day_hours(day)), k=k,
                   areas=[PressureAreaRead.of(rank, area) for rank, area in enumerate(areas, 1)])
