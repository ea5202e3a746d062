"""The catalogue's domain logic: publishers, datasets, resources, versions, publication through the gate.

Plain functions taking a Session; they flush and audit, the caller commits. Every state a dataset
reaches is saved as a DatasetVersion (the change history), and a publication attempt keeps the gate's
report with the version it checked, whether it passed or not.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload, load_only, selectinload

from praca.core import audit
from praca.core.db import new_public_id, utcnow
from praca.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from praca.opendata.models import Dataset, DatasetVersion, Organization, Resource
from praca.opendata.schemas import PATCHABLE, DatasetIn, ResourceIn
from praca.opendata.vocab import FORMATS, ORGANIZATION_KINDS, format_of
from praca.registry.service import normalise
from praca.settings import Settings

PUBLIC = "active"  # CKAN's name for a published dataset
STATES = ("draft", PUBLIC, "withdrawn", "deleted")


class GateRefused(Conflict):
    """The publication gate found personal data or small groups: nothing is published."""

    code = "gate_refused"


# --- publishers --------------------------------------------------------------------------------------------

def ensure_organization(session: Session, *, name: str, title_pt: str, title_en: str, kind: str,
                        description_pt: str = "", description_en: str = "", website: str | None = None,
                        email: str | None = None) -> Organization:
    """Create the publisher if it does not exist yet (idempotent, for the demo and imports)."""
    if kind not in ORGANIZATION_KINDS:
        raise InvalidInput(f"Unknown kind of organisation '{kind}'.", field="kind")
    org = session.scalar(select(Organization).where(Organization.name == name))
    if org is None:
        org = Organization(name=name, title_pt=title_pt, title_en=title_en, kind=kind,
                           description_pt=description_pt, description_en=description_en, website=website,
                           email=email)
        session.add(org)
        session.flush()
        audit.record(session, audit.SYSTEM, "opendata.organization.created", f"organization:{name}")
    return org


def get_organization(session: Session, name_or_id: str) -> Organization:
    org = session.scalar(select(Organization).where(
        or_(Organization.name == name_or_id, Organization.public_id == name_or_id)))
    if org is None:
        raise NotFound(f"No organisation '{name_or_id}'.", field="organization")
    return org


def list_organizations(session: Session) -> list[tuple[Organization, int]]:
    """Every publisher with its number of public datasets, by name."""
    counts = dict(session.execute(select(Dataset.organization_id, func.count(Dataset.id))
                                  .where(Dataset.state == PUBLIC).group_by(Dataset.organization_id)).all())
    orgs = session.scalars(select(Organization).order_by(Organization.name))
    return [(org, counts.get(org.id, 0)) for org in orgs]


# --- reading -----------------------------------------------------------------------------------------------

def _loaded():
    return (joinedload(Dataset.organization), selectinload(Dataset.resources))


def get_dataset(session: Session, name_or_id: str, *, include_unpublished: bool = False) -> Dataset:
    """A dataset by name or id. Drafts, withdrawn and deleted ones exist only for staff. Read afresh: an
    object the session already holds gets the database's resources, not those it was first loaded with
    (the gate must see every file)."""
    dataset = session.scalar(select(Dataset).options(*_loaded()).where(
        or_(Dataset.name == name_or_id, Dataset.public_id == name_or_id)).execution_options(populate_existing=True))
    if dataset is None or (dataset.state != PUBLIC and not include_unpublished):
        raise NotFound(f"No dataset '{name_or_id}'.", field="id")
    return dataset


def get_resource(session: Session, public_id: str, *, include_unpublished: bool = False) -> Resource:
    resource = session.scalar(select(Resource).options(
        joinedload(Resource.dataset).joinedload(Dataset.organization)).where(Resource.public_id == public_id))
    if resource is None or (resource.dataset.state != PUBLIC and not include_unpublished):
        raise NotFound(f"No resource '{public_id}'.", field="id")
    return resource


def dataset_names(session: Session, *, include_unpublished: bool = False) -> list[str]:
    stmt = select(Dataset.name).order_by(Dataset.name)
    if not include_unpublished:
        stmt = stmt.where(Dataset.state == PUBLIC)
    return list(session.scalars(stmt))


def public_datasets(session: Session) -> list[Dataset]:
    return list(session.scalars(select(Dataset).options(*_loaded()).where(Dataset.state == PUBLIC)
                                .order_by(Dataset.name)))


def history(session: Session, dataset: Dataset) -> list[DatasetVersion]:
    return list(session.scalars(select(DatasetVersion).where(DatasetVersion.dataset_id == dataset.id)
                                .order_by(DatasetVersion.number.desc())))


def latest_version(session: Session, dataset: Dataset) -> DatasetVersion | None:
    return session.scalar(select(DatasetVersion).where(DatasetVersion.dataset_id == dataset.id)
                          .order_by(DatasetVersion.number.desc()).limit(1))


def resource_path(settings: Settings, relative: str) -> Path:
    return settings.data_dir / relative


def get_dataset_for_staff(session: Session, public_id: str) -> Dataset:
    """A dataset in any state, even deleted, read afresh: an object the session already holds is
    refreshed, so its resources are the database's and not those it was first loaded with."""
    dataset = session.scalar(select(Dataset).options(*_loaded()).where(Dataset.public_id == public_id)
                             .execution_options(populate_existing=True))
    if dataset is None:
        raise NotFound(f"No dataset '{public_id}'.", field="id")
    return dataset


GATE_RESULTS = ("passed", "refused", "overridden")


def gate_result(version: DatasetVersion) -> str | None:
    """What a version says of the gate: passed, refused, overridden (published by the DPO despite a
    refusal), or None when the gate did not run for it."""
    if version.gate_passed is None:
        return None
    if version.override_reason:
        return "overridden"
    return "passed" if version.gate_passed else "refused"


@dataclass
class StaffRow:
    """One line of the stewards' list: a dataset and the last version the gate checked, if any."""

    dataset: Dataset
    gate_version: DatasetVersion | None

    @property
    def gate(self) -> str | None:
        return gate_result(self.gate_version) if self.gate_version else None


def staff_datasets(session: Session, *, state: str | None = None, organization: str | None = None,
                   limit: int = 50, offset: int = 0) -> tuple[list[StaffRow], int]:
    """Datasets for the stewards, last changed first, with their total. Deleted ones only when asked
    for by state. Each row carries the last gate check (its report left unloaded: a page shows 50)."""
    if state is not None and state not in STATES:
        raise InvalidInput(f"Unknown state '{state}'; use one of: {', '.join(STATES)}.", field="state")
    where = [Dataset.state == state if state else Dataset.state != "deleted"]
    if organization:
        where.append(Dataset.organization_id == get_organization(session, organization).id)
    total = session.scalar(select(func.count(Dataset.id)).where(*where)) or 0
    datasets = list(session.scalars(select(Dataset).options(joinedload(Dataset.organization)).where(*where)
                                    .order_by(Dataset.modified_at.desc(), Dataset.id.desc())
                                    .limit(limit).offset(offset)))
    last = (select(DatasetVersion.dataset_id, func.max(DatasetVersion.number).label("number"))
            .where(DatasetVersion.gate_passed.is_not(None),
                   DatasetVersion.dataset_id.in_([d.id for d in datasets]))
            .group_by(DatasetVersion.dataset_id).subquery())
    checked = session.scalars(
        select(DatasetVersion)
        .options(load_only(DatasetVersion.dataset_id, DatasetVersion.number, DatasetVersion.created_at,
                           DatasetVersion.gate_passed, DatasetVersion.override_reason))
        .join(last, (DatasetVersion.dataset_id == last.c.dataset_id) & (DatasetVersion.number == last.c.number)))
    by_dataset = {v.dataset_id: v for v in checked}
    return [StaffRow(d, by_dataset.get(d.id)) for d in datasets], total


def last_gate_check(session: Session, dataset: Dataset) -> DatasetVersion | None:
    """The latest version that carries the gate's report (a publication, a refusal, an override, or a
    file added to a published dataset)."""
    return session.scalar(select(DatasetVersion).where(DatasetVersion.dataset_id == dataset.id,
                                                       DatasetVersion.gate_passed.is_not(None))
                          .order_by(DatasetVersion.number.desc()).limit(1))


def get_version(session: Session, dataset: Dataset, number: int) -> DatasetVersion:
    version = session.scalar(select(DatasetVersion).where(DatasetVersion.dataset_id == dataset.id,
                                                          DatasetVersion.number == number))
    if version is None:
        raise NotFound(f"No version {number} of this dataset.", field="version")
    return version


# --- search --------------------------------------------------------------------------------------------------

FACETS = ("organization", "groups", "tags", "res_format", "license_id")
SORTS = {"score": None, "name": "name", "title_string": "title", "metadata_modified": "modified_at",
         "metadata_created": "created_at"}


@dataclass
class SearchResult:
    count: int
    datasets: list[Dataset]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


def facet_values(dataset: Dataset) -> dict[str, list[str]]:
    """What each facet sees of a dataset, under CKAN's facet names."""
    return {
        "organization": [dataset.organization.name],
        "groups": [t.lower() for t in dataset.themes],
        "tags": list(dataset.keywords),
        "res_format": sorted({r.format for r in dataset.resources}),
        "license_id": [dataset.license_id],
    }


def search(session: Session, *, q: str = "", filters: dict[str, list[str]] | None = None,
           sort: list[tuple[str, bool]] | None = None, rows: int = 10, start: int = 0,
           facet_fields: tuple[str, ...] = FACETS, include_unpublished: bool = False) -> SearchResult:
    """Datasets matching every word of `q` (accents and case forgiven) and every facet filter.

    `filters` maps a facet to the values any of which must match; `sort` is [(key, descending)].
    A city's catalogue is thousands of datasets, not millions, so matching runs on the loaded rows and
    facets count over the whole match, as CKAN's Solr does.
    """
    shown = Dataset.state != "deleted" if include_unpublished else Dataset.state == PUBLIC
    stmt = select(Dataset).options(*_loaded()).where(shown)
    words = normalise(q).split()
    for word in words:
        stmt = stmt.where(Dataset.search_text.contains(word, autoescape=True))
    matched = list(session.scalars(stmt))
    for facet, wanted in (filters or {}).items():
        if facet not in FACETS:
            raise InvalidInput(f"Cannot filter on '{facet}'; use one of: {', '.join(FACETS)}.", field="fq")
        wanted_set = {w.lower() for w in wanted}
        matched = [d for d in matched if wanted_set & {v.lower() for v in facet_values(d)[facet]}]
    facets = {f: dict(Counter(v for d in matched for v in facet_values(d)[f]).most_common()) for f in facet_fields}
    for key, descending in reversed(sort or [("score", True), ("name", False)]):
        if key not in SORTS:
            raise InvalidInput(f"Cannot sort on '{key}'; use one of: {', '.join(SORTS)}.", field="sort")
        if key == "score":
            matched.sort(key=lambda d: _score(d, words), reverse=descending)
        else:
            matched.sort(key=lambda d, a=SORTS[key]: _sort_value(d, a), reverse=descending)
    return SearchResult(count=len(matched), datasets=matched[start:start + rows], facets=facets)


def _sort_value(dataset: Dataset, attribute: str) -> Any:
    if attribute == "title":
        return normalise(dataset.title_pt)
    return getattr(dataset, attribute)


def _score(dataset: Dataset, words: list[str]) -> int:
    """Relevance: a word in the title counts thrice, in the keywords twice, anywhere once."""
    title = normalise(f"{dataset.title_pt} {dataset.title_en}")
    keywords = normalise(" ".join(dataset.keywords))
    return sum(3 * (w in title) + 2 * (w in keywords) + dataset.search_text.count(w) for w in words)


# --- writing metadata --------------------------------------------------------------------------------------

def _search_text(dataset: Dataset, org: Organization, resources: list[Resource]) -> str:
    parts = [dataset.name, dataset.title_pt, dataset.title_en, dataset.notes_pt, dataset.notes_en,
             org.name, org.title_pt, org.title_en, *dataset.keywords, *dataset.themes,
             *(f"{r.name_pt} {r.name_en} {r.format}" for r in resources)]
    return normalise(" ".join(p for p in parts if p))


def snapshot(dataset: Dataset) -> dict[str, Any]:
    """The dataset and its resources as plain JSON: what a version keeps."""
    meta = {f: getattr(dataset, f) for f in PATCHABLE if f != "organization"}
    meta = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in meta.items()}
    return {
        "name": dataset.name, "state": dataset.state, "organization": dataset.organization.name, **meta,
        "resources": [{"id": r.public_id, "name_pt": r.name_pt, "name_en": r.name_en, "format": r.format,
                       "url": r.url, "file": r.file, "parquet": r.parquet, "sha256": r.sha256, "rows": r.rows,
                       "fields": r.fields} for r in dataset.resources],
    }


def _new_version(session: Session, dataset: Dataset, actor: str, change: str,
                 changed_fields: list[str] | None = None) -> DatasetVersion:
    dataset.version += 1
    dataset.modified_at = utcnow()
    dataset.search_text = _search_text(dataset, dataset.organization, dataset.resources)
    version = DatasetVersion(dataset_id=dataset.id, number=dataset.version, actor=actor, change=change,
                             changed_fields=changed_fields or [], snapshot=snapshot(dataset))
    session.add(version)
    session.flush()
    audit.record(session, actor, f"opendata.dataset.{change}", f"dataset:{dataset.public_id}",
                 {"version": dataset.version, "fields": changed_fields or []})
    return version


def create_dataset(session: Session, data: DatasetIn, actor: str, *, source: str | None = None) -> Dataset:
    if session.scalar(select(Dataset.id).where(Dataset.name == data.name)) is not None:
        raise Conflict(f"A dataset named '{data.name}' already exists.", field="name")
    org = get_organization(session, data.organization)
    values = data.model_dump(exclude={"organization"})
    dataset = Dataset(**values, organization_id=org.id, source=source, state="draft")
    session.add(dataset)
    session.flush()
    dataset = get_dataset(session, dataset.public_id, include_unpublished=True)
    _new_version(session, dataset, actor, "created", sorted(values))
    return dataset


def update_dataset(session: Session, dataset: Dataset, changes: dict[str, Any], actor: str) -> Dataset:
    """Apply a partial change, validated as a whole dataset; a change to nothing saves no version."""
    if dataset.state == "deleted":
        raise Conflict("This dataset was deleted; it cannot be edited.")
    current = DatasetIn.model_validate({f: snapshot(dataset)[f] for f in DatasetIn.model_fields})
    merged = DatasetIn.model_validate({**current.model_dump(), **changes})
    changed = [f for f in DatasetIn.model_fields if getattr(merged, f) != getattr(current, f)]
    if "name" in changed and session.scalar(select(Dataset.id).where(Dataset.name == merged.name)) is not None:
        raise Conflict(f"A dataset named '{merged.name}' already exists.", field="name")
    if not changed:
        return dataset
    for f in changed:
        if f == "organization":
            org = get_organization(session, merged.organization)
            dataset.organization_id = org.id
            dataset.organization = org
        else:
            setattr(dataset, f, getattr(merged, f))
    _new_version(session, dataset, actor, "updated", changed)
    return dataset


def delete_dataset(session: Session, dataset: Dataset, actor: str) -> None:
    """CKAN's soft delete: the dataset leaves every public list; its history stays."""
    dataset.state = "deleted"
    _new_version(session, dataset, actor, "deleted")


def withdraw(session: Session, dataset: Dataset, reason: str, actor: str) -> Dataset:
    if dataset.state != PUBLIC:
        raise Conflict("Only a published dataset can be withdrawn.")
    if not reason.strip():
        raise InvalidInput("Say why the dataset is withdrawn.", field="reason")
    dataset.state = "withdrawn"
    dataset.withdrawn_reason = reason.strip()
    _new_version(session, dataset, actor, "withdrawn", ["state"])
    return dataset


# --- resources ---------------------------------------------------------------------------------------------

def add_resource(session: Session, settings: Settings, dataset: Dataset, meta: ResourceIn, actor: str, *,
                 upload: Path | None = None, filename: str | None = None) -> Resource:
    """Attach a linked or uploaded resource. An upload is kept under the data dir; a tabular one is also
    converted to Parquet for the datastore. On a published dataset the gate checks it first, and a
    refused file leaves nothing behind."""
    if dataset.state == "deleted":
        raise Conflict("This dataset was deleted; it cannot take resources.")
    if (upload is None) == (meta.url is None):
        raise InvalidInput("Give either a file to upload or a url to link, not both.", field="url")
    guessed = format_of(filename or meta.url or "")
    fmt = meta.format or (guessed.code if guessed else None)
    if fmt is None:
        raise InvalidInput("Say the resource's format (CSV, JSON, GEOJSON, XLSX, PARQUET, …).", field="format")
    resource = Resource(public_id=new_public_id(), dataset_id=dataset.id, position=len(dataset.resources),
                        name_pt=meta.name_pt, name_en=meta.name_en, description_pt=meta.description_pt,
                        description_en=meta.description_en, format=fmt, mimetype=FORMATS[fmt].mimetype,
                        url=meta.url)
    written: list[Path] = []
    try:
        if upload is not None:
            written = _store_upload(settings, resource, upload)
        if dataset.state == PUBLIC and resource.parquet:
            report = gate_report(settings, dataset, [resource])
            if not report["passed"]:
                raise GateRefused("The publication gate refused this file: see the report for the columns "
                                  "and rows that failed.", details={"gate": report})
        session.add(resource)
        session.flush()
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    dataset = get_dataset(session, dataset.public_id, include_unpublished=True)
    version = _new_version(session, dataset, actor, "resource_added", [f"resource:{resource.public_id}"])
    if dataset.state == PUBLIC and resource.parquet:
        version.gate_report, version.gate_passed = report, True
    return resource


def _store_upload(settings: Settings, resource: Resource, upload: Path) -> list[Path]:
    """Keep the upload under the data dir, named by its digest, and its datastore copy if tabular.
    Sets the resource's file fields; returns the files written so a failure can remove them."""
    from praca.opendata import tabular

    fmt = FORMATS[resource.format]
    digest = _sha256(upload)
    folder = Path("opendata") / "files" / resource.public_id
    (settings.data_dir / folder).mkdir(parents=True, exist_ok=True)
    stored = folder / f"{digest}.{fmt.extension}"
    tmp = settings.data_dir / f"{stored}.part"
    shutil.copyfile(upload, tmp)
    os.replace(tmp, settings.data_dir / stored)
    written = [settings.data_dir / stored]
    try:
        resource.file, resource.sha256, resource.size = str(stored), digest, upload.stat().st_size
        if fmt.tabular:
            parquet = Path("opendata") / "datastore" / f"{resource.public_id}-{digest[:16]}.parquet"
            (settings.data_dir / parquet.parent).mkdir(parents=True, exist_ok=True)
            info = tabular.to_parquet(settings.data_dir / stored, fmt.code.lower(), settings.data_dir / parquet)
            written.append(settings.data_dir / parquet)
            resource.parquet, resource.rows = str(parquet), info.rows
            resource.fields = [{"id": f.id, "type": f.type} for f in info.fields]
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return written


def replace_resource_file(session: Session, settings: Settings, resource: Resource, upload: Path,
                          actor: str) -> Resource:
    """A new file for an uploaded resource (a refresh). The same digest changes nothing; on a published
    dataset the new file passes the gate or the resource keeps its old one. Old files stay: the version
    that points at them may still be read."""
    if resource.file is None:
        raise Conflict("This resource is a link; change its url instead.")
    if _sha256(upload) == resource.sha256:
        return resource
    owner = session.scalar(select(Dataset.public_id).where(Dataset.id == resource.dataset_id))
    dataset = get_dataset(session, owner, include_unpublished=True)
    before = {f: getattr(resource, f) for f in ("file", "sha256", "size", "parquet", "rows", "fields")}
    written = _store_upload(settings, resource, upload)
    report = None
    if dataset.state == PUBLIC and resource.parquet:
        report = gate_report(settings, dataset, [resource])
        if not report["passed"]:
            for path in written:
                path.unlink(missing_ok=True)
            for f, value in before.items():
                setattr(resource, f, value)
            raise GateRefused("The publication gate refused this file: see the report for the columns "
                              "and rows that failed.", details={"gate": report})
    resource.modified_at = utcnow()
    session.flush()
    dataset = get_dataset(session, dataset.public_id, include_unpublished=True)
    version = _new_version(session, dataset, actor, "resource_replaced", [f"resource:{resource.public_id}"])
    if report is not None:
        version.gate_report, version.gate_passed = report, True
    return resource


def remove_resource(session: Session, settings: Settings, dataset: Dataset, resource_id: str,
                    actor: str) -> list[Path]:
    """Take a resource off a dataset (a wrong or refused file). Returns every file stored for it, earlier
    replaced ones too, for the caller to delete once the removal is committed (`discard_files`): a file
    removed for holding personal data must not stay on disk, and deleting before the commit could lose a
    file the database still names."""
    if dataset.state == "deleted":
        raise Conflict("This dataset was deleted; its resources cannot change.")
    resource = next((r for r in dataset.resources if r.public_id == resource_id), None)
    if resource is None:
        raise NotFound(f"No resource '{resource_id}' in this dataset.", field="resource_id")
    folder = settings.data_dir / "opendata" / "files" / resource.public_id
    stored = sorted(folder.glob("*") if folder.is_dir() else [])
    stored += sorted((settings.data_dir / "opendata" / "datastore").glob(f"{resource.public_id}-*"))  # and indexes
    dataset.resources.remove(resource)
    session.delete(resource)
    for position, other in enumerate(dataset.resources):
        other.position = position
    session.flush()
    _new_version(session, dataset, actor, "resource_removed", [f"resource:{resource_id}"])
    return stored


def discard_files(settings: Settings, paths: list[Path]) -> None:
    """Delete a removed resource's files, and its upload folder once empty."""
    uploads = settings.data_dir / "opendata" / "files"
    for path in paths:
        path.unlink(missing_ok=True)
        if path.parent.parent == uploads and path.parent.is_dir() and not any(path.parent.iterdir()):
            path.parent.rmdir()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- publication ---------------------------------------------------------------------------------------------

def gate_report(settings: Settings, dataset: Dataset, resources: list[Resource] | None = None) -> dict[str, Any]:
    """Scan every tabular resource for personal data and, on the declared quasi-identifiers, small groups."""
    from praca.opendata import gate

    checked = []
    for resource in resources if resources is not None else dataset.resources:
        if not resource.parquet:
            continue
        columns = {f["id"] for f in resource.fields}
        qis = [c for c in dataset.quasi_identifiers if c in columns]
        report = gate.scan(settings.data_dir / resource.parquet, quasi_identifiers=qis or None,
                           k=dataset.k_threshold)
        checked.append({"resource_id": resource.public_id, "name": resource.name_en, **report.to_json()})
    return {"passed": all(r["passed"] for r in checked), "k": dataset.k_threshold,
            "quasi_identifiers": dataset.quasi_identifiers, "resources": checked, "checked_at": utcnow().isoformat()}


def publish(session: Session, settings: Settings, dataset: Dataset, actor: str) -> DatasetVersion:
    """Run the gate and publish if it passes. Either way the report is saved with a new version, so the
    steward sees what failed; the caller commits, then tells them."""
    if dataset.state == "deleted":
        raise Conflict("This dataset was deleted; it cannot be published.")
    dataset = get_dataset(session, dataset.public_id, include_unpublished=True)
    report = gate_report(settings, dataset)
    if report["passed"]:
        dataset.state = PUBLIC
        dataset.withdrawn_reason = None
        dataset.issued_at = dataset.issued_at or utcnow()
    version = _new_version(session, dataset, actor, "published" if report["passed"] else "gate_refused", ["state"])
    version.gate_report, version.gate_passed = report, report["passed"]
    return version


def override_gate(session: Session, dataset: Dataset, reason: str, actor: str, *, actor_is_dpo: bool) -> DatasetVersion:
    """Publish despite the gate: only the DPO, only with a reason, and both are kept with the version."""
    if not actor_is_dpo:
        raise Forbidden("Only the Data Protection Officer can publish a dataset the gate refused.")
    if not reason.strip():
        raise InvalidInput("Record why the dataset is published despite the gate.", field="reason")
    last = latest_version(session, dataset)
    if last is None or last.change != "gate_refused":  # an override is itself gate_passed=False: not twice
        raise Conflict("There is no refusal to override: publish the dataset first.")
    dataset.state = PUBLIC
    dataset.issued_at = dataset.issued_at or utcnow()
    version = _new_version(session, dataset, actor, "published_by_override", ["state"])
    version.gate_report, version.gate_passed = last.gate_report, False
    version.override_reason, version.override_by = reason.strip(), actor
    audit.record(session, actor, "opendata.gate.overridden", f"dataset:{dataset.public_id}",
                 {"version": version.number})
    return version
