"""What the DP release API accepts and returns. Published figures only: never a true count, never who
made a release (an internal user id is no business of the public)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from praca.wifi.release import EPSILON_MAX, EPSILON_MIN

Slug = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9-]*$")]


class DatasetRead(BaseModel):
    slug: str
    title: str
    budget: float = Field(description="The total epsilon this dataset may ever spend")
    spent: float = Field(description="The sum of its releases' epsilons")
    remaining: float


class DatasetPage(BaseModel):
    items: list[DatasetRead]
    total: int


class ReleaseQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset: Slug | None = Field(None, description="A dataset's slug")
    limit: Annotated[int, Field(ge=1, le=100)] = 25
    offset: Annotated[int, Field(ge=0, le=1_000_000)] = 0


class ReleaseSummary(BaseModel):
    public_id: str
    dataset: str = Field(description="The dataset's slug")
    epsilon: float = Field(description="The privacy loss this release spent, per device and key period")
    period_from: datetime = Field(description="First hour covered (UTC)")
    period_to: datetime = Field(description="End of the range, exclusive (UTC)")
    sensitivity: int = Field(description="Zone-hours one device may count in per key period (L1 sensitivity)")
    k: int = Field(description="Noisy counts under this were left out (0: not recorded, an early release)")
    domain_cells: int = Field(description="Zone-hours noised, published or not: every zone × every hour in range")
    cells_published: int = Field(description="Zone-hours whose noisy count reached k")
    created_at: datetime


class ReleasePage(BaseModel):
    items: list[ReleaseSummary]
    total: int


class ReleaseCell(BaseModel):
    zone: str
    hour: datetime
    devices: int = Field(description="Distinct devices with discrete Laplace noise; cells under k are left out")


class ReleaseDetail(ReleaseSummary):
    cells: list[ReleaseCell]


class ReleaseCreated(ReleaseDetail):
    spent: float = Field(description="The dataset's spent epsilon, this release included")
    remaining: float = Field(description="The dataset's remaining epsilon")


class ReleaseCreate(BaseModel):
    """A release of zone-hours in [start, end): whole UTC hours of final key periods, at most 93 days."""

    model_config = ConfigDict(extra="forbid")

    dataset: Slug
    start: AwareDatetime
    end: AwareDatetime
    epsilon: Annotated[float, Field(ge=EPSILON_MIN, le=EPSILON_MAX, allow_inf_nan=False,
                                    description="Privacy loss to spend from the dataset's budget")]
