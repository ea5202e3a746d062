"""Differentially private Wi-Fi footfall releases under /api/v1: public reads, DPO-made releases."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["Wi-Fi releases"])
