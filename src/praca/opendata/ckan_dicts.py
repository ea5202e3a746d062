"""The catalogue in CKAN's dictionaries, and CKAN's dictionaries back into the catalogue's fields.

Shapes follow CKAN 2.10's package_show, organization_show, group_show, resource_show and license_list
(ckan/lib/dictization/model_dictize.py). Praça keeps titles in Portuguese and English: CKAN's `title`,
`notes`, `name` and `description` carry the Portuguese, the English rides in extras (`title_en`,
`notes_en`) and resource fields (`name_en`, `description_en`), and ckanext-dcat's extra names
(temporal_start, spatial, frequency, theme, contact_name…) carry what DCAT needs.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from praca.opendata import service
from praca.opendata.ckan_base import Invalid
from praca.opendata.models import Dataset, Organization, Resource
from praca.opendata.vocab import EU, FORMATS, FREQUENCIES, LICENSES, THEMES, frequency_uri, theme_uri
from praca.registry.service import normalise

LANGUAGES = json.dumps([f"{EU}/language/POR", f"{EU}/language/ENG"])
# CKAN's own licence ids, as clients written for a stock CKAN send them.
LICENSE_ALIASES = {"cc-by": "CC-BY-4.0", "cc-by-sa": "CC-BY-SA-4.0", "cc-zero": "CC0-1.0", "odc-odbl": "ODbL-1.0"}


def ckan_time(value: datetime | None) -> str | None:
    """CKAN's timestamps: naive UTC in ISO format, no offset."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat() if value else None


def derived_id(kind: str, name: str) -> str:
    """A stable UUID for what CKAN gives an id and Praça keeps as a code (themes, tags)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"praca:{kind}:{name}"))


# --- out: publishers, themes, tags, licences ------------------------------------------------------------------

def organization_dict(org: Organization) -> dict[str, Any]:
    return {"id": org.public_id, "name": org.name, "title": org.title_pt, "type": "organization",
            "description": org.description_pt, "image_url": "", "created": ckan_time(org.created_at),
            "is_organization": True, "approval_status": "approved", "state": "active"}


def organization_show_dict(org: Organization, package_count: int, *, full: bool) -> dict[str, Any]:
    """organization_show's dictionary; `full` adds what include_extras/_tags/_groups/_users add."""
    result = {**organization_dict(org), "display_name": org.title_pt, "image_display_url": "",
              "package_count": package_count, "num_followers": 0}
    if full:
        extras = {"title_en": org.title_en, "description_en": org.description_en, "kind": org.kind,
                  "website": org.website, "email": org.email}
        result |= {"extras": [{"key": k, "value": v} for k, v in sorted(extras.items()) if v],
                   "tags": [], "groups": [], "users": []}
    return result


def group_dict(code: str) -> dict[str, Any]:
    """A theme of the EU vocabulary as CKAN shows a dataset's group."""
    title = THEMES[code][0]
    return {"id": derived_id("theme", code), "name": code.lower(), "title": title, "display_name": title,
            "description": THEMES[code][1], "image_display_url": ""}


def group_show_dict(code: str, package_count: int, *, full: bool) -> dict[str, Any]:
    result = {**group_dict(code), "type": "group", "is_organization": False, "approval_status": "approved",
              "state": "active", "image_url": "", "created": None, "package_count": package_count,
              "num_followers": 0}
    if full:
        extras = {"uri": theme_uri(code), "title_en": THEMES[code][1]}
        result |= {"extras": [{"key": k, "value": v} for k, v in sorted(extras.items())],
                   "tags": [], "groups": [], "users": []}
    return result


def tag_dict(name: str) -> dict[str, Any]:
    return {"id": derived_id("tag", name), "name": name, "display_name": name, "state": "active",
            "vocabulary_id": None}


def license_dict(license_id: str) -> dict[str, Any]:
    """A licence as a CKAN licences file describes one (licenses_group_url)."""
    lic = LICENSES[license_id]
    return {"id": lic.id, "title": lic.title, "url": lic.url, "od_conformance": lic.od_conformance,
            "osd_conformance": "not reviewed", "status": "active", "family": "", "maintainer": "",
            "domain_content": True, "domain_data": True, "domain_software": False, "is_generic": False}


# --- out: datasets and resources ------------------------------------------------------------------------------

def download_name(resource: Resource) -> str:
    """A readable file name for an upload's download URL (the file itself is kept under its hash)."""
    stem = re.sub(r"[^a-z0-9]+", "-", normalise(resource.name_en or resource.name_pt)).strip("-")[:80]
    return f"{stem or 'data'}.{FORMATS[resource.format].extension if resource.format in FORMATS else 'bin'}"


def resource_dict(resource: Resource, dataset: Dataset, base_url: str) -> dict[str, Any]:
    uploaded = resource.file is not None
    url = (f"{base_url}/dataset/{dataset.public_id}/resource/{resource.public_id}/download/{download_name(resource)}"
           if uploaded else resource.url or "")
    return {
        "id": resource.public_id, "package_id": dataset.public_id, "name": resource.name_pt,
        "description": resource.description_pt, "format": resource.format, "url": url,
        "url_type": "upload" if uploaded else "", "mimetype": resource.mimetype, "mimetype_inner": None,
        "size": resource.size, "hash": resource.sha256 or "", "created": ckan_time(resource.created_at),
        "last_modified": ckan_time(resource.modified_at), "metadata_modified": ckan_time(resource.modified_at),
        "position": resource.position, "datastore_active": resource.parquet is not None, "state": "active",
        "resource_type": None, "cache_url": None, "cache_last_updated": None,
        "name_en": resource.name_en, "description_en": resource.description_en,
    }


def _geojson(bbox: list[float]) -> str:
    west, south, east, north = bbox
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def package_extras(dataset: Dataset) -> list[dict[str, str]]:
    extras: dict[str, str | None] = {
        "title_en": dataset.title_en, "notes_en": dataset.notes_en, "contact_name": dataset.contact_name,
        "contact_email": dataset.contact_email,
        "temporal_start": dataset.temporal_start.isoformat() if dataset.temporal_start else None,
        "temporal_end": dataset.temporal_end.isoformat() if dataset.temporal_end else None,
        "spatial_text": dataset.spatial, "spatial": _geojson(dataset.spatial_bbox) if dataset.spatial_bbox else None,
        "frequency": frequency_uri(dataset.frequency) if dataset.frequency else None,
        "theme": json.dumps([theme_uri(t) for t in dataset.themes]) if dataset.themes else None,
        "language": LANGUAGES, "issued": ckan_time(dataset.issued_at), "source": dataset.source,
        "quasi_identifiers": json.dumps(dataset.quasi_identifiers), "k_threshold": str(dataset.k_threshold),
        "withdrawn_reason": dataset.withdrawn_reason if dataset.state == "withdrawn" else None,
    }
    return [{"key": k, "value": v} for k, v in sorted(extras.items()) if v]


def package_dict(dataset: Dataset, base_url: str) -> dict[str, Any]:
    """package_show's dictionary. A withdrawn dataset is CKAN's private active one; a draft is CKAN's draft."""
    lic = LICENSES.get(dataset.license_id)
    resources = [resource_dict(r, dataset, base_url) for r in dataset.resources]
    tags = [tag_dict(k) for k in dataset.keywords]
    return {
        "id": dataset.public_id, "name": dataset.name, "title": dataset.title_pt.strip(), "notes": dataset.notes_pt,
        "type": "dataset", "state": "active" if dataset.state == "withdrawn" else dataset.state,
        "private": dataset.state != service.PUBLIC, "url": "", "version": str(dataset.version),
        "author": dataset.contact_name, "author_email": dataset.contact_email,
        "maintainer": dataset.contact_name, "maintainer_email": dataset.contact_email,
        "license_id": dataset.license_id, "license_title": lic.title if lic else dataset.license_id,
        "license_url": lic.url if lic else None, "isopen": bool(lic and lic.od_conformance == "approved"),
        "owner_org": dataset.organization.public_id, "organization": organization_dict(dataset.organization),
        "creator_user_id": None, "metadata_created": ckan_time(dataset.created_at),
        "metadata_modified": ckan_time(dataset.modified_at),
        "resources": resources, "num_resources": len(resources), "tags": tags, "num_tags": len(tags),
        "groups": sorted((group_dict(t) for t in dataset.themes if t in THEMES), key=lambda g: g["display_name"]),
        "extras": package_extras(dataset), "relationships_as_subject": [], "relationships_as_object": [],
    }


# --- in: CKAN's package dictionary → DatasetIn's fields ------------------------------------------------------

# DatasetIn's field → the CKAN key a client sent it as, to name the culprit in a validation error.
CKAN_FIELD = {"title_pt": "title", "notes_pt": "notes", "organization": "owner_org", "keywords": "tags",
              "themes": "groups", "spatial": "spatial_text", "spatial_bbox": "spatial", "name_pt": "name",
              "description_pt": "description"}
# Extras package_show writes that are not set through them (dates the portal keeps, the gate's own report).
READ_ONLY_EXTRAS = frozenset({"issued", "language", "source", "withdrawn_reason"})
EXTRAS = frozenset({"title_en", "notes_en", "temporal_start", "temporal_end", "spatial_text", "spatial",
                    "spatial_bbox", "frequency", "contact_name", "contact_email", "theme", "quasi_identifiers",
                    "k_threshold"})


def validation_error(exc: ValidationError) -> Invalid:
    """Pydantic's errors under the CKAN keys the client used."""
    errors: dict[str, list[str]] = {}
    for e in exc.errors():
        loc = [str(p) for p in e["loc"] if not isinstance(p, int)]
        message = "Missing value" if e["type"] == "missing" else str(e["msg"]).removeprefix("Value error, ")
        field = loc[0] if loc else next((f for f in ("temporal_end", "spatial_bbox") if f in message), "message")
        errors.setdefault(CKAN_FIELD.get(field, field), []).append(message)
    return Invalid(errors)


def extras_of(data: dict[str, Any]) -> dict[str, Any]:
    """The extras a client sent, as CKAN's [{key, value}] list (or a plain object), merged with the same keys
    given at the top level; unknown keys are refused rather than silently lost."""
    raw = data.get("extras") or []
    if isinstance(raw, dict):
        raw = [{"key": k, "value": v} for k, v in raw.items()]
    if not isinstance(raw, list) or not all(isinstance(e, dict) and isinstance(e.get("key"), str) for e in raw):
        raise Invalid({"extras": ["Must be a list of {\"key\": …, \"value\": …} objects"]})
    extras = {e["key"]: e.get("value") for e in raw}
    unknown = sorted(set(extras) - EXTRAS - READ_ONLY_EXTRAS)
    if unknown:
        raise Invalid({"extras": [f"Unknown extra {', '.join(map(repr, unknown))}: this portal keeps "
                                  f"{', '.join(sorted(EXTRAS))}"]})
    return {**extras, **{k: data[k] for k in EXTRAS if k in data}}


def _json_list(key: str, value: Any) -> list[Any]:
    if isinstance(value, str):
        stripped = value.strip()
        if not stripped.startswith("["):
            return [p.strip() for p in stripped.split(",") if p.strip()]
        try:
            value = json.loads(stripped)
        except ValueError:
            raise Invalid({key: ["Cannot parse JSON"]}) from None
    if not isinstance(value, list):
        raise Invalid({key: ["Must be a list"]})
    return value


def _bbox(key: str, value: Any) -> list[float] | None:
    """spatial (GeoJSON, as ckanext-spatial keeps it) or spatial_bbox ([w, s, e, n]) → the enclosing box."""
    if value in (None, ""):
        return None
    try:
        parsed = json.loads(value) if isinstance(value, str) else value
        if isinstance(parsed, list) and len(parsed) == 4:
            return [float(v) for v in parsed]
        points: list[list[float]] = []

        def walk(node: Any) -> None:
            if isinstance(node, list) and len(node) >= 2 and all(isinstance(v, int | float) for v in node[:2]):
                points.append([float(node[0]), float(node[1])])
            elif isinstance(node, list):
                for child in node:
                    walk(child)

        walk(parsed["coordinates"])
        lons, lats = [p[0] for p in points], [p[1] for p in points]
        return [min(lons), min(lats), max(lons), max(lats)]
    except (ValueError, TypeError, KeyError, IndexError):
        raise Invalid({key: ["Must be a GeoJSON geometry or [west, south, east, north]"]}) from None


def _code(key: str, value: Any, vocabulary: dict[str, Any], uri_prefix: str) -> str:
    if not isinstance(value, str):
        raise Invalid({key: ["Must be a string"]})
    code = value.removeprefix(uri_prefix).strip().upper()
    if code not in vocabulary:
        raise Invalid({key: [f"Unknown value '{value}'; use one of: {', '.join(vocabulary)}"]})
    return code


def _names(key: str, value: Any) -> list[str]:
    """CKAN's [{"name": …}] (or bare strings) → names."""
    if not isinstance(value, list):
        raise Invalid({key: ["Must be a list"]})
    names = []
    for item in value:
        name = item.get("name") or item.get("id") if isinstance(item, dict) else item
        if not isinstance(name, str) or not name.strip():
            raise Invalid({key: ["Each item needs a name"]})
        names.append(name.strip())
    return names


def theme_codes(value: Any) -> list[str]:
    by_id = {derived_id("theme", c): c for c in THEMES}
    codes = []
    for name in _names("groups", value):
        code = by_id.get(name) or name.upper()
        if code not in THEMES:
            raise Invalid({"groups": [f"That group name or ID does not exist: '{name}'; the groups are the EU "
                                      f"data themes: {', '.join(c.lower() for c in THEMES)}"]})
        codes.append(code)
    return list(dict.fromkeys(codes))


def dataset_fields(data: dict[str, Any], organization_name) -> dict[str, Any]:
    """DatasetIn's fields for the CKAN keys present in `data` (a patch); absent keys are left out.

    `organization_name` resolves owner_org (a name or an id) to the publisher's name.
    """
    extras = extras_of(data)
    fields: dict[str, Any] = {}
    simple = {"name": "name", "title": "title_pt", "notes": "notes_pt", "title_en": "title_en",
              "notes_en": "notes_en", "contact_name": "contact_name", "contact_email": "contact_email",
              "temporal_start": "temporal_start", "temporal_end": "temporal_end", "spatial_text": "spatial"}
    source = {**data, **extras}
    for ckan_key in ("author", "maintainer"):
        if source.get(ckan_key) and "contact_name" not in extras:
            fields["contact_name"] = source[ckan_key]
        if source.get(f"{ckan_key}_email") and "contact_email" not in extras:
            fields["contact_email"] = source[f"{ckan_key}_email"]
    for ckan_key, field in simple.items():
        if ckan_key in source:
            value = source[ckan_key]
            fields[field] = "" if value is None and field in ("notes_pt", "notes_en") else value
            if value == "" and field not in ("notes_pt", "notes_en", "title_pt", "title_en", "name"):
                fields[field] = None
    if "owner_org" in data:
        fields["organization"] = organization_name(data["owner_org"])
    if "license_id" in data:
        fields["license_id"] = LICENSE_ALIASES.get(str(data["license_id"]), data["license_id"])
    if "tags" in data or "tag_string" in data:
        fields["keywords"] = (_names("tags", data["tags"]) if "tags" in data
                              else _json_list("tag_string", data["tag_string"]))
    if "groups" in data:
        fields["themes"] = theme_codes(data["groups"])
    elif "theme" in extras:
        themes = _json_list("theme", extras["theme"])
        fields["themes"] = [_code("theme", t, THEMES, f"{EU}/data-theme/") for t in themes]
    if "frequency" in extras:
        fields["frequency"] = (_code("frequency", extras["frequency"], FREQUENCIES, f"{EU}/frequency/")
                               if extras["frequency"] else None)
    for key in ("spatial", "spatial_bbox"):
        if key in extras:
            fields["spatial_bbox"] = _bbox(key, extras[key])
    if "quasi_identifiers" in extras:
        fields["quasi_identifiers"] = _json_list("quasi_identifiers", extras["quasi_identifiers"] or [])
    if "k_threshold" in extras:
        fields["k_threshold"] = extras["k_threshold"]
    return fields
