"""Column mappings and zoning: what an operator configures."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from praca.core.errors import InvalidInput
from praca.wifi import ingest, lifecycle, mapping, zoning
from praca.wifi.models import Footfall, Zone

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def test_usual_names_are_recognised():
    cmap = mapping.resolve(["Calling-Station-Id", "Called-Station-Id", "Acct-Start-Time", "Acct-Session-Time",
                            "Acct-Input-Octets", "Acct-Output-Octets"], {})
    assert (cmap.device, cmap.ap, cmap.start, cmap.duration) == (
        "Calling-Station-Id", "Called-Station-Id", "Acct-Start-Time", "Acct-Session-Time")
    assert cmap.bytes == ("Acct-Input-Octets", "Acct-Output-Octets")
    assert mapping.resolve(["client_mac", "ap_name", "start", "stop", "bytes"], {}).stop == "stop"


def test_a_missing_role_names_the_columns_the_file_has():
    with pytest.raises(InvalidInput) as exc:
        mapping.resolve(["quem", "onde", "quando"], {})
    assert "quem, onde, quando" in exc.value.message and "mapping" in exc.value.message


def test_a_mapping_file_names_columns_and_time_zone(session, settings, wifi_aps, tmp_path):
    toml = tmp_path / "mapping.toml"
    toml.write_text('[columns]\ndevice = "quem"\nap = "onde"\nstart = "inicio"\nstop = "fim"\n'
                    'timezone = "Europe/Lisbon"\n')
    overrides = mapping.load(toml)
    log = tmp_path / "log.csv"
    log.write_text("quem;onde;inicio;fim\n" + "".join(
        f"00:1b:63:00:00:{i:02x};AP-1;2026-07-18 10:05:00;2026-07-18 10:15:00\n" for i in range(12)))
    out = ingest.ingest_file(session, settings, log, overrides=overrides, now=NOW)
    assert out.status == "ingested", out.report
    lifecycle.finalise(session, settings, now=NOW)
    cell = session.scalars(select(Footfall)).one()
    assert cell.hour == datetime(2026, 7, 18, 9, tzinfo=UTC)  # 10:05 in Lisbon's summer time is 09:05 UTC
    assert (cell.devices, cell.median_dwell_s) == (12, 600)


def test_a_bad_mapping_file_is_a_clear_error(tmp_path):
    toml = tmp_path / "m.toml"
    toml.write_text('[columns]\nmac = "x"\n')
    with pytest.raises(InvalidInput, match="Unknown keys"):
        mapping.load(toml)


def test_parish_zones_come_from_polygons(session, settings, wifi_aps, tmp_path):
    square = [[-8.62, 41.14], [-8.60, 41.14], [-8.60, 41.16], [-8.62, 41.16], [-8.62, 41.14]]
    geojson = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Centro Histórico"},
         "geometry": {"type": "Polygon", "coordinates": [square]}}]}
    settings.wifi_zones_file = tmp_path / "parishes.geojson"
    settings.wifi_zones_file.write_text(json.dumps(geojson))
    settings.wifi_zones = "parish"
    ap_zone, specs = zoning.zoning(session, settings)
    # AP-1 (Aliados) is inside; AP-2 (Parque da Cidade) is in no polygon; the bus has its own zone.
    assert ap_zone == {"AP-1": "parish:Centro Histórico", "BUS-1": "bus"}
    zoning.save_zones(session, specs)
    assert {z.code: z.kind for z in session.scalars(select(Zone))} == {"parish:Centro Histórico": "parish",
                                                                       "bus": "bus"}


def test_h3_zones_carry_their_hexagon(session, settings, wifi_aps):
    _, specs = zoning.zoning(session, settings)
    hexagons = [s for s in specs if s.kind == "h3"]
    assert len(hexagons) == 2
    ring = hexagons[0].boundary["coordinates"][0]
    assert len(ring) == 7 and ring[0] == ring[-1]
