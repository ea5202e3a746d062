"""The register's domain logic: plain functions taking a Session; they flush, the caller commits."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from praca.core import audit
from praca.core.auth import Role, User
from praca.core.db import utcnow
from praca.core.errors import Forbidden, InvalidInput, NotFound
from praca.registry.models import Device, Operator, RegistryVersion
from praca.registry.schemas import Coded, DeviceCreate, DeviceFilter, DeviceRead, DeviceUpdate, OperatorRead
from praca.registry.taxonomy import LABELS, Status, label
from praca.settings import Settings


def normalise(text: str) -> str:
    """Lower-case without accents, for search that forgives 'camara' for 'Câmara'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# --- version: readers' caches compare it -----------------------------------------------------------------

def current_version(session: Session) -> int:
    return session.scalar(select(RegistryVersion.version).where(RegistryVersion.id == 1)) or 0


def _bump_version(session: Session) -> None:
    if session.execute(update(RegistryVersion).where(RegistryVersion.id == 1)
                       .values(version=RegistryVersion.version + 1)).rowcount == 0:
        session.add(RegistryVersion(id=1, version=1))
    session.flush()


# --- operators ----------------------------------------------------------------------------------------------

def list_operators(session: Session) -> list[Operator]:
    return list(session.scalars(select(Operator).order_by(Operator.name)))


def operator_by_slug(session: Session, slug: str) -> Operator:
    op = session.scalar(select(Operator).where(Operator.slug == slug))
    if op is None:
        raise InvalidInput(f"Unknown operator '{slug}'.", field="operator")
    return op


def ensure_operator(session: Session, *, slug: str, name: str, kind: str, department_id: int | None = None,
                    website: str | None = None, contact_email: str | None = None) -> Operator:
    """Create the operator if it does not exist yet (idempotent, for the demo and imports)."""
    op = session.scalar(select(Operator).where(Operator.slug == slug))
    if op is None:
        op = Operator(slug=slug, name=name, kind=kind, department_id=department_id, website=website,
                      contact_email=contact_email)
        session.add(op)
        session.flush()
        audit.record(session, audit.SYSTEM, "registry.operator.created", f"operator:{slug}")
    return op


# --- reading -------------------------------------------------------------------------------------------------

def find_device(session: Session, public_id: str | None) -> Device | None:
    """The device, or None when there is no such id (a case may point at one since removed)."""
    if not public_id:
        return None
    return session.scalar(select(Device).options(joinedload(Device.operator)).where(Device.public_id == public_id))


def get_device(session: Session, public_id: str) -> Device:
    device = find_device(session, public_id)
    if device is None:
        raise NotFound("No device with this id in the register.")
    return device


def all_devices(session: Session) -> Iterator[Device]:
    """Every device with its operator, in a stable order (exports and the read index)."""
    stmt = select(Device).options(joinedload(Device.operator)).order_by(Device.name, Device.id)
    yield from session.scalars(stmt.execution_options(yield_per=2000))


def wifi_access_points(session: Session) -> list[Device]:
    """The register's public Wi-Fi access points, fixed and on-bus, that are not decommissioned: the
    Wi-Fi analytics group them into zones."""
    from praca.registry.taxonomy import DeviceType

    stmt = (select(Device).where(Device.type.in_([DeviceType.WIFI_ACCESS_POINT, DeviceType.BUS_WIFI]),
                                 Device.status != Status.DECOMMISSIONED).order_by(Device.id))
    return list(session.scalars(stmt))


def count_devices(session: Session) -> int:
    from sqlalchemy import func

    return session.scalar(select(func.count(Device.id))) or 0


def _coded(code: str, locale: str) -> Coded:
    return Coded(code=code, label=label(code, locale))


def operator_read(op: Operator, locale: str) -> OperatorRead:
    return OperatorRead(slug=op.slug, name=op.name, kind=op.kind, kind_label=label(op.kind, locale),
                        website=op.website, contact_email=op.contact_email)


def device_read(device: Device, locale: str) -> DeviceRead:
    return DeviceRead(
        id=device.public_id, name=device.name, type=device.type, type_label=label(device.type, locale),
        description=device.description, lat=device.lat, lon=device.lon, geometry_kind=device.geometry_kind,
        geometry=device.geometry, operator=operator_read(device.operator, locale),
        purposes=[_coded(c, locale) for c in device.purposes],
        data_types=[_coded(c, locale) for c in device.data_types],
        personal_data=device.personal_data,
        personal_data_categories=[_coded(c, locale) for c in device.personal_data_categories],
        legal_basis=_coded(device.legal_basis, locale), retention_days=device.retention_days,
        retention_note=device.retention_note, access=device.access, deidentified=device.deidentified,
        deidentification=_coded(device.deidentification, locale),
        deidentification_note=device.deidentification_note, storage_location=device.storage_location,
        dpia_ref=device.dpia_ref, status=device.status, status_label=label(device.status, locale),
        installed_on=device.installed_on, last_verified_on=device.last_verified_on,
        photo_url=f"/media/devices/{device.photo}" if device.photo else None,
        more_info_url=device.more_info_url, url=f"/devices/{device.public_id}",
    )


# --- writing -------------------------------------------------------------------------------------------------

def check_in_city(settings: Settings, lat: float, lon: float) -> None:
    min_lon, min_lat, max_lon, max_lat = settings.city_bounds
    if not (min_lat <= lat <= max_lat and min_lon <= lon <= max_lon):
        raise InvalidInput(f"The location is outside {settings.city_name} "
                           f"(lat {min_lat}…{max_lat}, lon {min_lon}…{max_lon}).", field="lat")


def check_filter(settings: Settings, f: DeviceFilter) -> None:
    """Checks that need the settings: the "near me" centre in the city, the radius under its cap."""
    if f.lat is not None and f.lon is not None:
        check_in_city(settings, f.lat, f.lon)
    if f.radius_m is not None and f.radius_m > settings.max_radius_m:
        raise InvalidInput(f"radius_m may be at most {settings.max_radius_m} metres.", field="radius_m",
                           details={"max": settings.max_radius_m})


def check_can_edit(user: User, operator: Operator) -> None:
    """Admins and the DPO edit any device; a liaison only those run by their own department."""
    if user.role in (Role.ADMIN, Role.DPO):
        return
    if user.role == Role.LIAISON and user.department_id is not None and operator.department_id == user.department_id:
        return
    raise Forbidden("You can only change devices operated by your own department.")


def _search_text(name: str, description: str | None, type_: str, operator: Operator) -> str:
    labels = LABELS.get(type_)
    parts = [name, description or "", operator.name, type_, *(labels or ())]
    return normalise(" ".join(parts))


def _values(data: DeviceCreate) -> dict[str, Any]:
    values = data.model_dump(mode="json", exclude={"operator"})
    for day in ("installed_on", "last_verified_on"):
        values[day] = getattr(data, day)
    return values


def create_device(session: Session, settings: Settings, data: DeviceCreate, actor: User | str) -> Device:
    operator = operator_by_slug(session, data.operator)
    if isinstance(actor, User):
        check_can_edit(actor, operator)
    check_in_city(settings, data.lat, data.lon)
    device = Device(**_values(data), operator_id=operator.id,
                    search_text=_search_text(data.name, data.description, data.type, operator))
    device.operator = operator
    if data.status == Status.DECOMMISSIONED:
        device.decommissioned_at = utcnow()
    session.add(device)
    session.flush()
    _bump_version(session)
    audit.record(session, _actor(actor), "registry.device.created", f"device:{device.public_id}",
                 {"type": device.type, "operator": operator.slug, "status": device.status})
    return device


def update_device(session: Session, settings: Settings, public_id: str, changes: DeviceUpdate,
                  actor: User | str) -> Device:
    device = get_device(session, public_id)
    if isinstance(actor, User):
        check_can_edit(actor, device.operator)
    given = changes.model_dump(exclude_unset=True)
    if not given:
        raise InvalidInput("Nothing to change: send at least one field.")
    current = _current_values(device)
    merged = {**current, **given}
    try:
        data = DeviceCreate.model_validate(merged)
    except ValueError as exc:
        raise InvalidInput(_first_error(exc), field=next(iter(given))) from None
    new_operator = operator_by_slug(session, data.operator)
    if isinstance(actor, User) and new_operator.id != device.operator_id:
        check_can_edit(actor, new_operator)
    check_in_city(settings, data.lat, data.lon)
    changed = sorted(k for k in given if merged[k] != current[k])
    for key, value in _values(data).items():
        setattr(device, key, value)
    device.operator_id, device.operator = new_operator.id, new_operator
    device.search_text = _search_text(data.name, data.description, data.type, new_operator)
    if data.status == Status.DECOMMISSIONED and device.decommissioned_at is None:
        device.decommissioned_at = utcnow()
    elif data.status != Status.DECOMMISSIONED:
        device.decommissioned_at = None
    session.flush()
    _bump_version(session)
    audit.record(session, _actor(actor), "registry.device.updated", f"device:{device.public_id}",
                 {"fields": changed})
    return device


def decommission_device(session: Session, public_id: str, reason: str, actor: User | str) -> Device:
    device = get_device(session, public_id)
    if isinstance(actor, User):
        check_can_edit(actor, device.operator)
    if device.status == Status.DECOMMISSIONED:
        raise InvalidInput("The device is already decommissioned.", field="status")
    device.status = Status.DECOMMISSIONED
    device.decommissioned_at = utcnow()
    device.last_verified_on = date.today()
    session.flush()
    _bump_version(session)
    audit.record(session, _actor(actor), "registry.device.decommissioned", f"device:{device.public_id}",
                 {"reason_length": len(reason)})
    return device


def set_photo(session: Session, public_id: str, photo: str | None, actor: User | str) -> Device:
    device = get_device(session, public_id)
    if isinstance(actor, User):
        check_can_edit(actor, device.operator)
    device.photo = photo
    session.flush()
    _bump_version(session)
    audit.record(session, _actor(actor), "registry.device.photo_set", f"device:{device.public_id}",
                 {"removed": photo is None})
    return device


def photo_dir(settings: Settings) -> Path:
    return settings.upload_dir / "devices"


def referenced_photos(session: Session) -> set[str]:
    return set(session.scalars(select(Device.photo).where(Device.photo.is_not(None))))


def _current_values(device: Device) -> dict[str, Any]:
    """The device as DeviceCreate's input, for merging a partial update and validating the whole."""
    values = {k: getattr(device, k) for k in DeviceCreate.model_fields if k != "operator"}
    values["operator"] = device.operator.slug
    return values


def _actor(actor: User | str) -> str:
    return actor.actor if isinstance(actor, User) else actor


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        return f"{loc}: {first['msg']}" if loc else first["msg"]
    return str(exc)


# --- open data: what the portal publishes of the register ----------------------------------------------------

def write_open_data(session: Session, out: TextIO) -> None:
    """The whole register as the CSV staff export it: every field is public in the PrivacyApp already."""
    from praca.registry.csv_io import export_rows

    for chunk in export_rows(all_devices(session)):
        out.write(chunk)


def write_wifi_hotspots(session: Session, out: TextIO) -> None:
    """The public Wi-Fi's access points: where the network is, never who uses it."""
    import csv

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "nome", "tipo", "latitude", "longitude", "estado", "instalado_em"])
    for device in wifi_access_points(session):
        writer.writerow([device.public_id, device.name, device.type, device.lat, device.lon, device.status,
                         device.installed_on.isoformat() if device.installed_on else ""])
