"""Which column of a controller's or RADIUS server's export holds what: a small, optional TOML file.

Without one, the usual names are recognised (RADIUS accounting attributes, common controller exports).
A mapping file overrides any of them:

    [columns]
    device = "Calling-Station-Id"
    ap = "Called-Station-Id"
    start = "Acct-Start-Time"
    duration = "Acct-Session-Time"   # or: stop = "Stop-Time"
    bytes = ["Acct-Input-Octets", "Acct-Output-Octets"]
    timezone = "Europe/Lisbon"        # for timestamps written without an offset (default UTC)
    encoding = "utf-8"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from praca.core.errors import InvalidInput

SYNONYMS: dict[str, tuple[str, ...]] = {
    "device": ("callingstationid", "clientmac", "mac", "macaddress", "device", "deviceid", "stamac", "clientid"),
    "ap": ("calledstationid", "apname", "apid", "ap", "accesspoint", "nasidentifier", "apmac"),
    "start": ("acctstarttime", "start", "starttime", "sessionstart", "connectedat", "associationtime"),
    "stop": ("acctstoptime", "stop", "stoptime", "end", "endtime", "sessionend", "disconnectedat"),
    "duration": ("acctsessiontime", "duration", "sessiontime", "durations", "durationseconds"),
    "bytes": ("bytes", "totalbytes", "acctinputoctets", "acctoutputoctets", "bytesin", "bytesout"),
}


def _key(name: str) -> str:
    return "".join(c for c in name.casefold() if c.isalnum())


@dataclass(frozen=True)
class ColumnMap:
    device: str
    ap: str
    start: str
    stop: str | None = None
    duration: str | None = None
    bytes: tuple[str, ...] = ()
    timezone: str = "UTC"
    encoding: str = "utf-8"


def load(path: Path | None) -> dict[str, Any]:
    """The overrides of a mapping file, or none."""
    if path is None:
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(f"Cannot read the column mapping {path.name}: {exc}", field="mapping") from exc
    columns = data.get("columns", data)
    unknown = set(columns) - {*SYNONYMS, "timezone", "encoding"}
    if unknown:
        raise InvalidInput(f"Unknown keys in the column mapping: {', '.join(sorted(unknown))}.", field="mapping")
    return dict(columns)


def resolve(header: list[str], overrides: dict[str, Any]) -> ColumnMap:
    """Match a file's header to the roles, the overrides first. A missing role is an error that lists
    the columns the file does have, so the operator can write the mapping."""
    by_key = {_key(h): h for h in header}
    found: dict[str, Any] = {}
    for role, names in SYNONYMS.items():
        wanted = overrides.get(role)
        if wanted is not None:
            wanted_list = [wanted] if isinstance(wanted, str) else list(wanted)
            missing = [w for w in wanted_list if w not in header]
            if missing:
                raise InvalidInput(f"The mapping names column(s) {', '.join(missing)} for '{role}', but the file "
                                   f"has: {', '.join(header)}.", field="mapping")
            found[role] = wanted_list if role == "bytes" else wanted_list[0]
        elif role == "bytes":
            found[role] = [by_key[n] for n in names if n in by_key][:2] if "bytes" not in by_key else [by_key["bytes"]]
        else:
            found[role] = next((by_key[n] for n in names if n in by_key), None)
    missing_roles = [r for r in ("device", "ap", "start") if not found[r]]
    if not found["stop"] and not found["duration"]:
        missing_roles.append("stop or duration")
    if missing_roles:
        raise InvalidInput(f"No column for {', '.join(missing_roles)}. The file has: {', '.join(header)}. "
                           "Name them in a mapping file (praca wifi ingest --mapping).", field="mapping")
    return ColumnMap(device=found["device"], ap=found["ap"], start=found["start"], stop=found["stop"],
                     duration=found["duration"] if not found["stop"] else None, bytes=tuple(found["bytes"]),
                     timezone=overrides.get("timezone", "UTC"), encoding=overrides.get("encoding", "utf-8"))
