"""Staff pages of the Wi-Fi analytics: pressure areas (map, ranked list, CSV)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
