"""Citizens' comments and questions, dataset requests and their supporters, reuses; staff moderation."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
