"""The CKAN Action API (/api/3/action/… and /api/action/…): CKAN's envelope and field names over our service."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
