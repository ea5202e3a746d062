"""The portal's own JSON API under /api/v1/opendata (the CKAN API is in ckan_api.py)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["open data"])
