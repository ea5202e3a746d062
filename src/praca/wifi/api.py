"""The Wi-Fi analytics' JSON routes under /api/v1 (staff): pressure areas."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["Wi-Fi analytics"])
