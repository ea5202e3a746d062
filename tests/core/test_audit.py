import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from praca.cli import app as cli
from praca.core import audit
from praca.core.audit import AuditEntry


def test_record_chains_entries(session):
    first = audit.record(session, "user:1", "registry.device.created", "device:a", {"type": "noise_sensor"})
    second = audit.record(session, "user:1", "registry.device.updated", "device:a", {"fields": ["name"]})
    assert first.prev_hash == audit.GENESIS
    assert second.prev_hash == first.hash
    assert second.seq == first.seq + 1
    result = audit.verify(session)
    assert result.ok and result.entries == 2


@pytest.mark.parametrize("column, value", [("details", {"type": "cctv_camera"}), ("actor", "user:2"),
                                           ("action", "registry.device.deleted")])
def test_verify_detects_tampered_entry(session, column, value):
    for i in range(3):
        audit.record(session, "user:1", "registry.device.created", f"device:{i}", {"type": "noise_sensor"})
    session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values({column: value}))
    session.expire_all()
    result = audit.verify(session)
    assert not result.ok
    assert result.first_bad_seq == 2
    assert result.entries == 1


def test_verify_detects_removed_entry(session):
    for i in range(3):
        audit.record(session, "system", "x.y", f"s:{i}")
    session.query(AuditEntry).filter(AuditEntry.seq == 2).delete()
    result = audit.verify(session)
    assert not result.ok and result.first_bad_seq == 2


def test_cli_verify_reports_tampering(tmp_path, monkeypatch):
    monkeypatch.setenv("PRACA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PRACA_DATABASE_URL", raising=False)
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    from praca.core.db import make_engine, make_sessionmaker
    from praca.settings import Settings

    engine = make_engine(Settings(data_dir=tmp_path, _env_file=None).sqlalchemy_url)
    with make_sessionmaker(engine)() as s:
        for i in range(3):
            audit.record(s, "cli", "test.entry", f"s:{i}")
        s.commit()
    ok = runner.invoke(cli, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "3 entries" in ok.output
    with engine.begin() as conn:
        conn.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(subject="s:99"))
    bad = runner.invoke(cli, ["audit", "verify"])
    assert bad.exit_code == 1
    assert "entry 3" in bad.output
    engine.dispose()
