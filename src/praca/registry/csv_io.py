"""The register as CSV: one column per device field, lists joined with ';', geometry as GeoJSON text.

Export and import use the same columns, so an exported file imports back unchanged.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from praca.core.auth import User
from praca.core.errors import InvalidInput, PracaError
from praca.registry import service
from praca.registry.models import Device
from praca.registry.schemas import DeviceCreate, ImportReport, ImportRow, RowError
from praca.settings import Settings

COLUMNS = ["id", *DeviceCreate.model_fields]
LIST_FIELDS = {"purposes", "data_types", "personal_data_categories"}
MAX_ROWS = 20_000


def export_rows(devices: Iterable[Device]) -> Iterator[str]:
    """CSV text, a chunk per device, for streaming."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(COLUMNS)
    for d in devices:
        row: list[Any] = [d.public_id]
        for name in COLUMNS[1:]:
            value = d.operator.slug if name == "operator" else getattr(d, name)
            if name in LIST_FIELDS:
                value = ";".join(value)
            elif name == "geometry":
                value = json.dumps(value, separators=(",", ":")) if value else ""
            elif isinstance(value, bool):
                value = "true" if value else "false"
            row.append("" if value is None else value)
        writer.writerow(row)
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()


def _parse_row(raw: dict[str, str | None]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in DeviceCreate.model_fields:
        value = (raw.get(name) or "").strip()
        if value == "":
            continue
        if name in LIST_FIELDS:
            data[name] = [v.strip() for v in value.split(";") if v.strip()]
        elif name == "geometry":
            try:
                data[name] = json.loads(value)
            except json.JSONDecodeError:
                data[name] = value  # the schema reports it as not a GeoJSON object
        else:
            data[name] = value
    data.setdefault("personal_data_categories", [])
    return data


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("The file is not UTF-8 text. Save it as CSV UTF-8 and try again.", field="file") from None


def import_csv(session: Session, settings: Settings, raw: bytes, actor: User, *,
               skip_invalid: bool = False) -> ImportReport:
    """Validate every row first; import all of them, or — only if asked — the valid ones.

    Runs in the caller's transaction: any unexpected failure rolls back the whole file.
    """
    reader = csv.DictReader(io.StringIO(_decode(raw), newline=""))
    header = reader.fieldnames or []
    missing = [c for c in DeviceCreate.model_fields if c not in header
               and DeviceCreate.model_fields[c].is_required()]
    if missing:
        raise InvalidInput(f"The header lacks required columns: {', '.join(missing)}.", field="file",
                           details={"missing_columns": missing})
    unknown = [c for c in header if c not in COLUMNS]
    if unknown:
        raise InvalidInput(f"Unknown columns: {', '.join(unknown)}.", field="file",
                           details={"unknown_columns": unknown})

    rows: list[tuple[ImportRow, DeviceCreate | None]] = []
    for raw_row in reader:
        if len(rows) >= MAX_ROWS:
            raise InvalidInput(f"At most {MAX_ROWS} rows per file.", field="file")
        line = reader.line_num
        if None in raw_row:
            rows.append((ImportRow(line=line, ok=False, errors=[RowError(field="", message="too many values")]), None))
            continue
        try:
            data = DeviceCreate.model_validate(_parse_row(raw_row))
        except ValidationError as exc:
            errors = [RowError(field=".".join(str(p) for p in e["loc"]) or "row", message=e["msg"])
                      for e in exc.errors()]
            rows.append((ImportRow(line=line, ok=False, errors=errors), None))
            continue
        rows.append((ImportRow(line=line, ok=True), data))
    if not rows:
        raise InvalidInput("The file has no rows.", field="file")

    # Checks that need the database or settings, still before anything is written.
    for row, data in rows:
        if data is None:
            continue
        try:
            operator = service.operator_by_slug(session, data.operator)
            service.check_can_edit(actor, operator)
            service.check_in_city(settings, data.lat, data.lon)
        except PracaError as exc:
            row.ok = False
            row.errors.append(RowError(field=exc.details.get("field", ""), message=exc.message))

    invalid = sum(not r.ok for r, _ in rows)
    if invalid and not skip_invalid:
        return ImportReport(imported=0, invalid=invalid, skipped_invalid=False, rows=[r for r, _ in rows])
    for row, data in rows:
        if row.ok and data is not None:
            row.device_id = service.create_device(session, settings, data, actor).public_id
    return ImportReport(imported=sum(r.ok for r, _ in rows), invalid=invalid, skipped_invalid=bool(invalid),
                        rows=[r for r, _ in rows])
