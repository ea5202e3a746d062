"""Differentially private Wi-Fi footfall releases under /api/v1: public reads, DPO-made releases.

Thin: parse → release → schema. Anyone may read what was published, and each dataset's ledger, since
the spent epsilon is part of what a reader needs to judge the figures; only the DPO or an admin may
spend budget.
"""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from praca.core.auth import DpoStaff
from praca.core.db import DbSession
from praca.wifi import release
from praca.wifi.models import DpRelease
from praca.wifi.release_schemas import (
    DatasetPage,
    DatasetRead,
    ReleaseCell,
    ReleaseCreate,
    ReleaseCreated,
    ReleaseDetail,
    ReleasePage,
    ReleaseQuery,
    ReleaseSummary,
)

router = APIRouter(tags=["Wi-Fi releases"])

PublicId = Annotated[str, Path(max_length=36)]


def _summary_fields(item: DpRelease, slug: str) -> dict[str, object]:
    return {"public_id": item.public_id, "dataset": slug, "epsilon": item.epsilon,
            "period_from": item.period_from, "period_to": item.period_to, "sensitivity": item.sensitivity,
            "k": item.k, "domain_cells": item.domain_cells, "cells_published": item.cells_published,
            "created_at": item.created_at}


def _cells(session: DbSession, item: DpRelease) -> list[ReleaseCell]:
    return [ReleaseCell(zone=c.zone, hour=c.hour, devices=c.devices) for c in release.release_rows(session, item)]


@router.get("/wifi/datasets", response_model=DatasetPage, summary="DP footfall datasets and their epsilon ledger")
def list_datasets(session: DbSession) -> DatasetPage:
    items = [DatasetRead(slug=d.slug, title=d.title, budget=d.epsilon_budget, spent=spent, remaining=remaining)
             for d, spent, remaining in release.datasets(session)]
    return DatasetPage(items=items, total=len(items))


@router.get("/wifi/releases", response_model=ReleasePage, summary="DP footfall releases, newest first")
def list_releases(session: DbSession, q: Annotated[ReleaseQuery, Query()]) -> ReleasePage:
    rows, total = release.list_releases(session, dataset=q.dataset, limit=q.limit, offset=q.offset)
    return ReleasePage(items=[ReleaseSummary.model_validate(_summary_fields(r, slug)) for r, slug in rows],
                       total=total)


@router.post("/wifi/releases", response_model=ReleaseCreated, status_code=201,
             summary="Spend epsilon on a new DP footfall release (DPO, admin)")
def create_release(request: Request, session: DbSession, user: DpoStaff, data: ReleaseCreate) -> ReleaseCreated:
    """Noisy distinct-device counts for every zone × hour of [start, end), cells under k left out.
    Refused with nothing spent if the epsilon does not fit in the dataset's remaining budget, or the
    range includes hours whose key period is not final."""
    made = release.publish(session, request.app.state.settings, data.dataset, start=data.start, end=data.end,
                           epsilon=data.epsilon, actor=user.actor)
    session.commit()
    spent, remaining = release.budget(session, release.get_dataset(session, data.dataset))
    return ReleaseCreated.model_validate({**_summary_fields(made, data.dataset), "cells": _cells(session, made),
                                          "spent": spent, "remaining": remaining})


@router.get("/wifi/releases/{public_id}.csv", summary="One DP footfall release as CSV", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "zone, hour (UTC), devices"}})
def release_csv(session: DbSession, public_id: PublicId) -> Response:
    item = release.get_release(session, public_id)
    out = io.StringIO()
    release.write_csv(out, release.release_rows(session, item))
    return Response(out.getvalue(), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="wifi-footfall-{item.public_id}.csv"'})


@router.get("/wifi/releases/{public_id}", response_model=ReleaseDetail, summary="One DP footfall release")
def get_release(session: DbSession, public_id: PublicId) -> ReleaseDetail:
    item = release.get_release(session, public_id)
    return ReleaseDetail.model_validate({**_summary_fields(item, release.dataset_slug(session, item)),
                                         "cells": _cells(session, item)})
