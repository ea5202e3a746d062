"""CKAN's write actions for data stewards (API token): datasets created, replaced, patched, deleted, and
resources added, through the catalogue's service, which versions and audits every change.

CKAN publishes a dataset by making it public (`"private": false`) or active (`"state": "active"`); here that
runs the publication gate, and a refusal is CKAN's validation error carrying the gate's report, with the
refused version (and its report) committed first so the steward can read it in the portal too.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from praca.core.errors import InvalidInput, TooLarge
from praca.core.errors import NotFound as PracaNotFound
from praca.opendata import service
from praca.opendata.ckan_actions import get_dataset
from praca.opendata.ckan_base import Context, Invalid, action, boolean, require_writer, required, text
from praca.opendata.ckan_dicts import dataset_fields, extras_of, package_dict, resource_dict, validation_error
from praca.opendata.models import Dataset, DatasetVersion
from praca.opendata.schemas import DatasetIn, ResourceIn
from praca.opendata.vocab import DEFAULT_LICENSE, FORMATS

# What package_update resets when a key is absent (CKAN's package_update replaces the whole dataset).
# The gate's settings (quasi_identifiers, k_threshold) are kept unless given: forgetting them must never
# weaken the gate.
CLEARED = {"notes_pt": "", "notes_en": "", "themes": [], "keywords": [], "license_id": DEFAULT_LICENSE,
           "temporal_start": None, "temporal_end": None, "spatial": None, "spatial_bbox": None,
           "frequency": None, "contact_name": None, "contact_email": None}


def _organization_name(ctx: Context):
    def resolve(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise Invalid({"owner_org": ["Missing value"]})
        try:
            return service.get_organization(ctx.session, value.strip()).name
        except PracaNotFound:
            raise Invalid({"owner_org": [f"Organization does not exist: '{value}'"]}) from None
    return resolve


def _dataset_in(fields: dict[str, Any]) -> DatasetIn:
    try:
        return DatasetIn.model_validate(fields)
    except ValidationError as exc:
        raise validation_error(exc) from None


def _update(ctx: Context, dataset: Dataset, changes: dict[str, Any]) -> None:
    try:
        service.update_dataset(ctx.session, dataset, changes, require_writer(ctx).actor)
    except ValidationError as exc:
        raise validation_error(exc) from None


def gate_messages(report: dict[str, Any]) -> list[str]:
    """One line per failed check, naming the resource and the column, for a client that prints errors."""
    lines = []
    for checked in report.get("resources", []):
        for finding in checked.get("findings", []):
            if finding.get("severity", "fail") != "fail":
                continue
            lines.append(f"{checked.get('name')}: {finding.get('message') or finding.get('kind')}")
        k_anon = checked.get("k_anonymity")
        if isinstance(k_anon, dict) and k_anon.get("passed") is False:
            lines.append(f"{checked.get('name')}: {k_anon.get('message') or 'groups smaller than k'}")
    return lines or ["The publication gate refused this dataset."]


def _publish_or_withdraw(ctx: Context, dataset: Dataset, data: dict[str, Any]) -> None:
    """CKAN's `private`/`state` on a dataset, as the catalogue's publication and withdrawal."""
    user = require_writer(ctx)
    private = boolean(data, "private") if "private" in data else None
    if (private is False or text(data, "state") == "active") and dataset.state != service.PUBLIC:
        version: DatasetVersion = service.publish(ctx.session, ctx.settings, dataset, user.actor)
        if not version.gate_passed:
            ctx.session.commit()  # the refused version keeps the gate's report
            report = version.gate_report or {}
            raise Invalid({"private": ["The publication gate refused to publish this dataset: personal data or "
                                       "groups smaller than k were found. It stays private; see gate."],
                           "gate": gate_messages(report), "gate_report": report})
    elif private is True and dataset.state == service.PUBLIC:
        reason = text(extras_of(data), "withdrawn_reason") or text(data, "withdrawn_reason")
        if not reason.strip():
            raise Invalid({"private": ["Say why the dataset is withdrawn: send the extra 'withdrawn_reason'."]})
        service.withdraw(ctx.session, dataset, reason, user.actor)


def _shown(ctx: Context, dataset: Dataset) -> dict[str, Any]:
    ctx.session.expire(dataset)  # read back as stored, resources included
    return package_dict(service.get_dataset(ctx.session, dataset.public_id, include_unpublished=True), ctx.base_url)


@action("package_create", side_effect_free=False)
def package_create(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Create a dataset (a draft, unless ``"private": false`` or ``"state": "active"`` asks to publish it
    through the publication gate). Data stewards, the DPO and admins only.

    :param name: URL slug :param title: Portuguese title (also the English one unless title_en is given)
    :param notes: Portuguese description :param owner_org: publisher name or id :param tags: [{"name"}]
    :param groups: [{"name"}], EU data themes :param license_id: :param extras: [{"key", "value"}] with
    title_en, notes_en, temporal_start, temporal_end, spatial_text, spatial (GeoJSON), frequency,
    contact_name, contact_email, quasi_identifiers, k_threshold
    :param resources: linked resources [{"name", "url", "format"}] (upload files with resource_create)"""
    user = require_writer(ctx)
    fields = dataset_fields(data, _organization_name(ctx))
    if "title_pt" in fields:
        fields.setdefault("title_en", fields["title_pt"])
    if "organization" not in fields:
        raise Invalid({"owner_org": ["Missing value"]})
    dataset = service.create_dataset(ctx.session, _dataset_in(fields), user.actor)
    resources = data.get("resources") or []
    if not isinstance(resources, list) or not all(isinstance(r, dict) for r in resources):
        raise Invalid({"resources": ["Must be a list of resource objects"]})
    for item in resources:
        meta = resource_in(item, None)
        service.add_resource(ctx.session, ctx.settings, dataset, meta, user.actor)
        dataset = service.get_dataset(ctx.session, dataset.public_id, include_unpublished=True)
    _publish_or_withdraw(ctx, dataset, data)
    ctx.session.commit()
    return _shown(ctx, dataset)


@action("package_update", side_effect_free=False)
def package_update(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Replace a dataset's metadata: keys left out are cleared, as in CKAN (but the gate's
    quasi_identifiers and k_threshold are kept, and resources are not touched: add them with
    resource_create). Same fields as package_create, plus :param id: its id or name."""
    require_writer(ctx)
    dataset = get_dataset(ctx, data)
    fields = dataset_fields(data, _organization_name(ctx))
    fields.setdefault("name", dataset.name)
    fields.setdefault("organization", dataset.organization.name)
    fields.setdefault("title_pt", dataset.title_pt)
    fields.setdefault("title_en", fields["title_pt"] if "title" in data else dataset.title_en)
    _update(ctx, dataset, {**CLEARED, **fields})
    _publish_or_withdraw(ctx, dataset, data)
    ctx.session.commit()
    return _shown(ctx, dataset)


@action("package_patch", side_effect_free=False)
def package_patch(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Change only the given fields of a dataset (same fields as package_create, plus :param id:).
    ``"private": false`` publishes it through the gate; ``"private": true`` withdraws a published one,
    with the extra ``withdrawn_reason``."""
    require_writer(ctx)
    dataset = get_dataset(ctx, data)
    fields = dataset_fields(data, _organization_name(ctx))
    if fields:
        _update(ctx, dataset, fields)
    _publish_or_withdraw(ctx, dataset, data)
    ctx.session.commit()
    return _shown(ctx, dataset)


@action("package_delete", side_effect_free=False)
def package_delete(ctx: Context, data: dict[str, Any]) -> None:
    """Delete a dataset (CKAN's soft delete: it leaves every list; its history stays).

    :param id: its id or name"""
    user = require_writer(ctx)
    dataset = get_dataset(ctx, data)
    if dataset.state != "deleted":
        service.delete_dataset(ctx.session, dataset, user.actor)
        ctx.session.commit()
    return None


# --- resources ---------------------------------------------------------------------------------------------------

def _format(value: str) -> str | None:
    value = value.strip().lstrip(".")
    if not value:
        return None
    by_mimetype = {f.mimetype: f.code for f in FORMATS.values()}
    return by_mimetype.get(value.lower(), value.upper())


def resource_in(data: dict[str, Any], upload_name: str | None) -> ResourceIn:
    """CKAN's resource dictionary → ResourceIn; a resource without a name is named after its file or link."""
    url = None if upload_name else (text(data, "url").strip() or None)
    fallback = upload_name or (url or "").rstrip("/").rsplit("/", 1)[-1] or "resource"
    name = text(data, "name").strip() or fallback
    try:
        return ResourceIn(name_pt=name, name_en=text(data, "name_en").strip() or name,
                          description_pt=text(data, "description"), description_en=text(data, "description_en"),
                          format=_format(text(data, "format")), url=url)
    except ValidationError as exc:
        raise validation_error(exc) from None


@action("resource_create", side_effect_free=False)
def resource_create(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Add a resource to a dataset: a link (``url``) or a file sent as the multipart field ``upload``.
    Tabular files (CSV, JSON, GeoJSON, XLSX, Parquet) go to the datastore; on a published dataset they
    pass the publication gate first, or are refused (409) with nothing kept.

    :param package_id: the dataset's id or name :param name: :param description: :param format:
    :param name_en: :param description_en: :param url: for a link"""
    user = require_writer(ctx)
    dataset = get_dataset(ctx, {"id": required(data, "package_id")})
    upload = ctx.uploads.get("upload")
    meta = resource_in(data, upload.filename if upload else None)
    try:
        resource = service.add_resource(ctx.session, ctx.settings, dataset, meta, user.actor,
                                        upload=upload.path if upload else None,
                                        filename=upload.filename if upload else None)
    except (InvalidInput, TooLarge) as exc:
        if exc.details.get("field"):
            raise
        # The file itself is at fault (ragged rows, an encoding, its size): CKAN names the upload.
        raise Invalid({"upload" if upload else "url": [exc.message], "details": exc.details}) from None
    ctx.session.commit()
    return resource_dict(resource, dataset, ctx.base_url)
