"""The portal's own JSON API under /api/v1/opendata (the CKAN API is in ckan_api.py).

Thin: parse → service or participation → schema. Reads are public. Public writes (a comment, a dataset
request, a supporter, a reuse) are rate-limited like the DPO desk's forms, refused when a browser sends
them from another site, and land pending until a moderator approves them. A supporter is recognised by
a random token in the `praca_supporter` cookie (the database keeps only a salted SHA-256 of it), so a
browser counts once; the pages share the cookie.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy.orm import Session

from praca.core.db import DbSession
from praca.core.errors import Forbidden
from praca.core.security import rate_limit
from praca.opendata import participation, service
from praca.opendata.models import Comment, Dataset, Resource
from praca.opendata.participation_schemas import (
    NAME_OR_ID,
    CommentIn,
    CommentRead,
    DatasetDetail,
    DatasetPage,
    DatasetSummary,
    FieldRead,
    OrganizationRef,
    PublicRequestStatus,
    RequestIn,
    RequestPage,
    RequestRead,
    ResourceRead,
    ReuseIn,
    ReuseKind,
    ReusePage,
    ReuseRead,
    SupportResult,
)
from praca.opendata.vocab import FORMATS, LICENSES, THEMES

router = APIRouter(tags=["open data"])

SUPPORTER_COOKIE = "praca_supporter"
SUPPORTER_COOKIE_DAYS = 400  # browsers cap cookies at about this; a year of "you support this"
SUBMIT_BUCKET, SUPPORT_BUCKET = "opendata", "opendata-support"
OFFSET_MAX = 100_000
NO_NUL = r"^[^\x00]*$"


# --- shared by the pages ---------------------------------------------------------------------------------------

def supporter_token(request: Request) -> str | None:
    token = request.cookies.get(SUPPORTER_COOKIE)
    return token if token and 20 <= len(token) <= 100 and token.isascii() else None


def keep_supporter_token(request: Request, response: Response, token: str) -> None:
    """Set the cookie if the browser did not have this token yet."""
    if request.cookies.get(SUPPORTER_COOKIE) != token:
        response.set_cookie(SUPPORTER_COOKIE, token, max_age=SUPPORTER_COOKIE_DAYS * 86400, httponly=True,
                            samesite="lax", secure=request.app.state.settings.secure_cookies, path="/")


def same_site(request: Request) -> None:
    """A browser sends Origin with every cross-site POST: refuse those, so no other site can post for its
    visitors (a support needs no body, so a plain cross-site form could otherwise cast it)."""
    origin = request.headers.get("origin")
    if origin and origin.rstrip("/") != f"{request.url.scheme}://{request.url.netloc}":
        raise Forbidden("Cross-site submissions are refused.", details={"reason": "origin"})


PUBLIC_SUBMIT = [Depends(same_site), Depends(rate_limit(SUBMIT_BUCKET))]
PUBLIC_SUPPORT = [Depends(same_site), Depends(rate_limit(SUPPORT_BUCKET))]


# --- to the wire --------------------------------------------------------------------------------------------------

def dataset_summary(dataset: Dataset) -> DatasetSummary:
    org = dataset.organization
    return DatasetSummary(
        id=dataset.public_id, name=dataset.name, title_pt=dataset.title_pt, title_en=dataset.title_en,
        notes_pt=dataset.notes_pt, notes_en=dataset.notes_en,
        organization=OrganizationRef(name=org.name, title_pt=org.title_pt, title_en=org.title_en),
        themes=list(dataset.themes), keywords=list(dataset.keywords), license_id=dataset.license_id,
        formats=sorted({r.format for r in dataset.resources}), issued_at=dataset.issued_at,
        modified_at=dataset.modified_at, page_url=f"/data/{dataset.name}")


def resource_read(resource: Resource) -> ResourceRead:
    return ResourceRead(
        id=resource.public_id, name_pt=resource.name_pt, name_en=resource.name_en,
        description_pt=resource.description_pt, description_en=resource.description_en, format=resource.format,
        mimetype=resource.mimetype, url=resource.url, datastore=resource.parquet is not None,
        datastore_dump_url=f"/datastore/dump/{resource.public_id}" if resource.parquet else None,
        rows=resource.rows, size=resource.size, fields=[FieldRead(id=f["id"], type=f["type"]) for f in resource.fields],
        modified_at=resource.modified_at)


def comment_read(comment: Comment) -> CommentRead:
    return CommentRead(id=comment.public_id, kind=comment.kind, author=comment.author, body=comment.body,
                       status=comment.status, answer=comment.answer, answered_at=comment.answered_at,
                       created_at=comment.created_at)


def reuse_read(view: participation.ReuseView) -> ReuseRead:
    r = view.reuse
    return ReuseRead(id=r.public_id, title=r.title, description=r.description, url=r.url, kind=r.kind,
                     author=r.author, status=r.status, datasets=[d.name for d in view.datasets],
                     created_at=r.created_at)


def request_read(view: participation.RequestView) -> RequestRead:
    r = view.request
    return RequestRead(id=r.public_id, title=r.title, description=r.description,
                       organization=view.organization.name if view.organization else None, status=r.status,
                       supporters=r.supporters, answer=r.answer, answered_at=r.answered_at,
                       dataset=view.dataset.name if view.dataset else None, created_at=r.created_at)


# --- the catalogue ------------------------------------------------------------------------------------------------

ThemeCode = Literal[tuple(THEMES)]  # type: ignore[valid-type]
FormatCode = Literal[tuple(FORMATS)]  # type: ignore[valid-type]
LicenseCode = Literal[tuple(LICENSES)]  # type: ignore[valid-type]
Facet = Annotated[str, Query(min_length=1, max_length=100, pattern=NO_NUL)]
SORTS: dict[str, list[tuple[str, bool]]] = {
    "relevance": [("score", True), ("name", False)], "name": [("name", False)],
    "modified": [("metadata_modified", True)], "created": [("metadata_created", True)]}
FACET_NAMES = {"organization": "organization", "groups": "theme", "res_format": "format", "license_id": "license",
               "tags": "keyword"}
DatasetName = Annotated[str, Path(pattern=NAME_OR_ID, description="The dataset's name (slug) or id.")]


@router.get("/opendata/datasets", response_model=DatasetPage)
def search_datasets(
        session: DbSession,
        q: Annotated[str, Query(max_length=200, pattern=NO_NUL,
                                description="Words to find (every word must match; accents and case forgiven).")] = "",
        organization: Annotated[list[Facet] | None, Query(description="Publisher names; any of them.")] = None,
        theme: Annotated[list[ThemeCode] | None, Query(description="EU data-theme codes; any of them.")] = None,
        format: Annotated[list[FormatCode] | None, Query(description="Resource formats; any of them.")] = None,
        license: Annotated[list[LicenseCode] | None, Query(description="Licence ids; any of them.")] = None,
        keyword: Annotated[list[Facet] | None, Query(description="Keywords; any of them.")] = None,
        sort: Literal["relevance", "name", "modified", "created"] = "relevance",
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        offset: Annotated[int, Query(ge=0, le=OFFSET_MAX)] = 0) -> DatasetPage:
    """The public catalogue: datasets matching the words and every filter given, with facet counts."""
    wanted = {"organization": organization, "groups": [t.lower() for t in theme or []], "res_format": format,
              "license_id": license, "tags": keyword}
    result = service.search(session, q=q, filters={k: list(v) for k, v in wanted.items() if v}, sort=SORTS[sort],
                            rows=limit, start=offset)
    facets = {FACET_NAMES[k]: ({v.upper(): n for v, n in counts.items()} if k == "groups" else counts)
              for k, counts in result.facets.items()}
    return DatasetPage(total=result.count, items=[dataset_summary(d) for d in result.datasets], facets=facets)


@router.get("/opendata/datasets/{name}", response_model=DatasetDetail)
def get_dataset(session: DbSession, name: DatasetName) -> DatasetDetail:
    """One public dataset with its resources, its approved comments (with answers) and its reuses."""
    dataset = service.get_dataset(session, name)
    return DatasetDetail(
        **dataset_summary(dataset).model_dump(), temporal_start=dataset.temporal_start,
        temporal_end=dataset.temporal_end, spatial=dataset.spatial, spatial_bbox=dataset.spatial_bbox,
        frequency=dataset.frequency, contact_name=dataset.contact_name, contact_email=dataset.contact_email,
        version=dataset.version, resources=[resource_read(r) for r in dataset.resources],
        comments=[comment_read(c) for c in participation.public_comments(session, dataset)],
        reuses=[reuse_read(v) for v in participation.public_reuses(session, dataset)])


@router.post("/opendata/datasets/{name}/comments", response_model=CommentRead, status_code=201,
             dependencies=PUBLIC_SUBMIT)
def comment_on_dataset(session: DbSession, name: DatasetName, body: CommentIn) -> CommentRead:
    """A comment or question on a public dataset. It is published once a moderator approves it; staff
    answer questions publicly under them. No e-mail is asked."""
    comment = participation.submit_comment(session, service.get_dataset(session, name), body)
    session.commit()
    return comment_read(comment)


# --- dataset requests ------------------------------------------------------------------------------------------

RequestId = Annotated[uuid.UUID, Path(description="The request's id.")]


@router.get("/opendata/requests", response_model=RequestPage)
def list_requests(
        session: DbSession,
        status: Annotated[list[PublicRequestStatus] | None,
                          Query(description="Default: open, planned and fulfilled.")] = None,
        sort: Annotated[Literal["support", "newest"],
                        Query(description="Most supported first, or newest.")] = "support",
        limit: Annotated[int, Query(ge=1, le=100)] = 50,
        offset: Annotated[int, Query(ge=0, le=OFFSET_MAX)] = 0) -> RequestPage:
    """Citizens' requests for data the portal does not publish yet, with their supporters and answers."""
    statuses = tuple(dict.fromkeys(status)) if status else participation.LISTED_REQUESTS
    total, views = participation.list_requests(session, statuses=statuses, sort=sort, limit=limit, offset=offset)
    return RequestPage(total=total, items=[request_read(v) for v in views])


@router.post("/opendata/requests", response_model=RequestRead, status_code=201, dependencies=PUBLIC_SUBMIT)
def request_dataset(request: Request, response: Response, session: DbSession, body: RequestIn) -> RequestRead:
    """Ask for a dataset. The request is pending until a moderator opens it for support; its author counts as
    its first supporter (the `praca_supporter` cookie), and only that browser sees it while it is pending."""
    token = supporter_token(request) or participation.new_supporter_token()
    created = participation.submit_request(session, body, token)
    session.commit()
    keep_supporter_token(request, response, token)
    return request_read(participation.request_view(session, created))


@router.get("/opendata/requests/{request_id}", response_model=RequestRead)
def get_request(request: Request, session: DbSession, request_id: RequestId) -> RequestRead:
    found = participation.get_request(session, str(request_id), supporter_token=supporter_token(request))
    return request_read(participation.request_view(session, found))


@router.post("/opendata/requests/{request_id}/support", response_model=SupportResult, dependencies=PUBLIC_SUPPORT)
def support_request(request: Request, response: Response, session: DbSession, request_id: RequestId) -> SupportResult:
    """Support an open or planned request, once per browser (recognised by its `praca_supporter` cookie,
    set by this answer if it had none). Nothing else about the supporter is kept."""
    token = supporter_token(request) or participation.new_supporter_token()
    found = participation.get_request(session, str(request_id), supporter_token=token)
    counted = participation.support(session, found, token)
    session.commit()
    keep_supporter_token(request, response, token)
    return SupportResult(request_id=found.public_id, supporters=found.supporters, counted=counted)


# --- reuses -------------------------------------------------------------------------------------------------------

def _dataset_filter(session: Session, name: str | None) -> Dataset | None:
    return service.get_dataset(session, name) if name else None


@router.get("/opendata/reuses", response_model=ReusePage)
def list_reuses(
        session: DbSession,
        kind: ReuseKind | None = None,
        dataset: Annotated[str | None, Query(pattern=NAME_OR_ID, description="Reuses of this dataset only.")] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 50,
        offset: Annotated[int, Query(ge=0, le=OFFSET_MAX)] = 0) -> ReusePage:
    """Applications, articles, visualisations, APIs and ideas built on the portal's datasets, newest first."""
    total, views = participation.list_reuses(session, kind=kind, dataset=_dataset_filter(session, dataset),
                                             limit=limit, offset=offset)
    return ReusePage(total=total, items=[reuse_read(v) for v in views])


@router.post("/opendata/reuses", response_model=ReuseRead, status_code=201, dependencies=PUBLIC_SUBMIT)
def submit_reuse(session: DbSession, body: ReuseIn) -> ReuseRead:
    """Tell the city about a reuse of its public datasets; it is listed once a moderator approves it."""
    reuse = participation.submit_reuse(session, body)
    session.commit()
    return reuse_read(participation.ReuseView(reuse, [service.get_dataset(session, n) for n in
                                                      dict.fromkeys(body.datasets)]))
