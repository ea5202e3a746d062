"""The data stewards' pages: create and edit datasets, upload resources, publish through the gate."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
