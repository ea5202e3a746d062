"""Uploaded files as CKAN serves them: /dataset/<id>/resource/<id>/download[/<filename>] (resource_show's
`url` for an upload), the file as it was uploaded, for published datasets."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from praca.core.db import request_session
from praca.core.errors import NotFound as PracaNotFound
from praca.opendata import service
from praca.opendata.ckan_dicts import download_name
from praca.opendata.models import Resource

router = APIRouter(include_in_schema=False)


def public_resource(request: Request, resource_id: str) -> tuple[Resource, Path]:
    """A published dataset's resource (its dataset loaded) and the data dir its files are under."""
    if "\x00" in resource_id:
        raise PracaNotFound("Nothing here: check the address.")
    with request_session(request) as session:
        resource = service.get_resource(session, resource_id)
        return resource, request.app.state.settings.data_dir


@router.get("/dataset/{dataset_id}/resource/{resource_id}/download")
@router.get("/dataset/{dataset_id}/resource/{resource_id}/download/{filename}")
async def download(request: Request, dataset_id: str, resource_id: str, filename: str | None = None) -> Response:
    """An uploaded file as it was uploaded; a linked resource redirects to its link, as CKAN does."""
    resource, data_dir = await run_in_threadpool(public_resource, request, resource_id)
    dataset = resource.dataset
    if dataset_id not in (dataset.public_id, dataset.name):
        raise PracaNotFound(f"No resource '{resource_id}' in dataset '{dataset_id}'.")
    if resource.file is None:
        if not resource.url:
            raise PracaNotFound(f"Resource '{resource_id}' has no file.")
        return RedirectResponse(resource.url, status_code=302)
    path = data_dir / resource.file
    if not path.is_file():
        raise PracaNotFound(f"Resource '{resource_id}' has no file.")
    return FileResponse(path, media_type=resource.mimetype or "application/octet-stream",
                        filename=download_name(resource), content_disposition_type="attachment")

