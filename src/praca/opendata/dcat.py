"""DCAT-AP 3.0 serialisation of the catalogue, at /catalog.ttl|.rdf|.jsonld and per dataset."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
