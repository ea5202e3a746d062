import os
import time

from praca.core import audit
from praca.registry import service, tasks
from tests.factories import make_device


def test_sweep_removes_only_unreferenced_old_photos(session, settings):
    device = make_device(session, settings)
    folder = service.photo_dir(settings)
    folder.mkdir(parents=True)
    for name in ("kept.jpg", "orphan.jpg", "fresh-orphan.jpg"):
        (folder / name).write_bytes(b"x")
    old = time.time() - 7200
    os.utime(folder / "kept.jpg", (old, old))
    os.utime(folder / "orphan.jpg", (old, old))
    service.set_photo(session, device.public_id, "kept.jpg", "test")

    assert tasks.sweep_photos(session, settings) == {"removed": 1}
    assert sorted(p.name for p in folder.iterdir()) == ["fresh-orphan.jpg", "kept.jpg"]
    assert audit.entries_for(session, "registry")[-1].action == "registry.photos.swept"
    assert tasks.sweep_photos(session, settings) == {"removed": 0}
