"""The portal's citizen pages: search with facets, dataset pages with preview, chart and map."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
