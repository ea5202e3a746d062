"""The key periods' HMAC keys, one file each, outside the database.

Why not a column: a database does not forget a value it held. PostgreSQL keeps a row's old version until
VACUUM, and in its WAL; SQLite leaves it in free pages; every dump or backup keeps it for good. A key
"destroyed" by setting a column to NULL would still be there for anyone with those files, and with it any
copy of the period's sessions could be linked again. Here a key is a 32-byte file (mode 0600), made durable
before any pseudonym is written with it, and overwritten then unlinked when its period is final. Keep
`PRACA_WIFI_KEY_DIR` out of backups: a lost key costs little (aggregation needs none; later files of an
open period get a new key, and a device seen before and after would count twice in that period).
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime
from pathlib import Path

from praca.settings import Settings
from praca.wifi import store

KEY_BYTES = 32
_NAME = "%Y%m%dT%H"


def _path(settings: Settings, starts_at: datetime) -> Path:
    return store.key_dir(settings) / f"{starts_at:{_NAME}}.key"


def read(settings: Settings, starts_at: datetime) -> bytes | None:
    try:
        key = _path(settings, starts_at).read_bytes()
    except FileNotFoundError:
        return None
    return key if len(key) == KEY_BYTES else None


def ensure(settings: Settings, starts_at: datetime) -> tuple[bytes, bool]:
    """The period's key, and whether it was made now. A new key is written whole to a file of its own,
    synced, then linked into place, which fails if another ingest linked one first: two ingests at once
    agree on one key, and no reader ever sees half a key. No pseudonym outlives its key's file."""
    path = _path(settings, starts_at)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    found = read(settings, starts_at)
    if found is not None:
        return found, False
    key = secrets.token_bytes(KEY_BYTES)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(draft, path)
    except FileExistsError:
        found = read(settings, starts_at)
        if found is not None:
            return found, False
        os.replace(draft, path)  # the file there is not a key (damaged): this one takes its place
    finally:
        draft.unlink(missing_ok=True)
    _sync_folder(path.parent)
    return key, True


def destroy(settings: Settings, starts_at: datetime) -> bool:
    """Overwrite the key's bytes, then unlink its file (and any draft of it a crash left); True if there
    was a key."""
    path = _path(settings, starts_at)
    drafts = list(path.parent.glob(f".{path.name}.*")) if path.parent.exists() else []
    existed = path.exists()
    for file in [path, *drafts]:
        try:
            fd = os.open(file, os.O_WRONLY)
        except FileNotFoundError:
            continue
        try:
            os.write(fd, b"\0" * KEY_BYTES)
            os.fsync(fd)
        finally:
            os.close(fd)
        file.unlink(missing_ok=True)
    if existed or drafts:
        _sync_folder(path.parent)
    return existed


def held(settings: Settings) -> dict[datetime, float]:
    """The periods with a key file, and each file's modification time."""
    root = store.key_dir(settings)
    found: dict[datetime, float] = {}
    for path in root.glob("*.key") if root.exists() else ():
        try:
            found[datetime.strptime(path.stem, _NAME)] = path.stat().st_mtime
        except (ValueError, FileNotFoundError):
            continue
    return found


def _sync_folder(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
