"""The publication gate over real Parquet files: what passes, what fails, and what the report shows."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from praca.opendata import gate
from praca.opendata.gate import GateReport, UnknownColumns, scan
from tests.opendata.test_detectors import make_cc, make_iban, make_nif


def write(tmp_path: Path, columns: dict[str, Any], name: str = "resource.parquet") -> Path:
    path = tmp_path / name
    pq.write_table(pa.table(columns), path, row_group_size=50_000)
    return path


def air_quality(n: int = 2_000) -> dict[str, list]:
    """Hourly readings of Porto's air-quality stations: public facts, no people."""
    stations = [("PT01021", "Sobreiras-Lordelo do Ouro", 41.147828, -8.658472),
                ("PT01044", "Francisco Sá Carneiro-Campanhã", 41.164611, -8.589444)]
    rows = [stations[i % 2] for i in range(n)]
    return {"estacao_id": [r[0] for r in rows], "estacao": [r[1] for r in rows],
            "latitude": [r[2] for r in rows], "longitude": [r[3] for r in rows],
            "instante": [f"2024-03-{1 + i // 48 % 28:02d}T{i // 2 % 24:02d}:00:00Z" for i in range(n)],
            "pm10": [round(10 + (i * 7) % 40 * 0.9, 1) for i in range(n)],
            "no2": [round(5 + (i * 3) % 50 * 1.1, 1) for i in range(n)],
            "versao_firmware": ["1.2.3" for _ in range(n)]}


def kinds(report: GateReport) -> set[tuple[str, str, str]]:
    return {(f.column, f.kind, f.severity) for f in report.findings}


def test_a_clean_air_quality_table_passes(tmp_path):
    report = scan(write(tmp_path, air_quality()), quasi_identifiers=None)
    assert report.passed and report.findings == [] and report.k_anonymity is None
    assert report.rows_scanned == report.rows_total == 2_000
    assert report.checked_at.tzinfo is not None


def test_one_email_in_row_4321_fails_naming_column_and_row(tmp_path):
    notes = ["sem observações"] * 10_000
    notes[4_320] = "Contactar joao.silva@exemplo.pt para acesso"
    report = scan(write(tmp_path, {"id": list(range(10_000)), "observacoes": notes}), quasi_identifiers=None)
    assert not report.passed
    [finding] = report.findings
    assert (finding.column, finding.kind, finding.severity) == ("observacoes", "email", "fail")
    assert finding.count == 1 and finding.example_rows == [4_321] and not finding.estimated
    assert finding.masked_examples == ["j***@e***.pt"]
    assert "observacoes" in finding.message and "4,321" in finding.message
    assert "joao.silva" not in json.dumps(report.to_json())


def quasi_table(smallest: int) -> dict[str, list]:
    """Ages, parishes and sexes in groups of 12 or more, plus one group of `smallest` rows."""
    rows = [(band, parish, sex) for band in ("0-17", "18-39", "40-64", "65+") for parish in ("Bonfim", "Paranhos")
            for sex in ("F", "M") for _ in range(12 + len(parish))]
    rows[40:40] = [("18-39", "Ramalde", "F")] * smallest
    return {"faixa_etaria": [r[0] for r in rows], "freguesia": [r[1] for r in rows], "sexo": [r[2] for r in rows],
            "visitas": [i % 5 for i in range(len(rows))]}


def test_k_anonymity_fails_below_k_and_passes_at_k(tmp_path):
    path = write(tmp_path, quasi_table(smallest=3))
    qis = ["faixa_etaria", "freguesia", "sexo"]
    strict = scan(path, quasi_identifiers=qis, k=10)
    assert not strict.passed and strict.findings == []
    kanon = strict.k_anonymity
    assert kanon is not None and not kanon.passed
    assert (kanon.smallest_group, kanon.groups, kanon.groups_under_k, kanon.rows_under_k) == (3, 17, 1, 3)
    assert kanon.example_rows == [41] and kanon.quasi_identifiers == qis and kanon.k == 10
    assert "fewer than 10" in kanon.message and "row 41" in kanon.message

    lenient = scan(path, quasi_identifiers=qis, k=3)
    assert lenient.passed and lenient.k_anonymity is not None and lenient.k_anonymity.passed
    assert lenient.k_anonymity.smallest_group == 3 and lenient.k_anonymity.groups_under_k == 0


def test_unknown_quasi_identifiers_are_an_error_that_names_them(tmp_path):
    path = write(tmp_path, quasi_table(smallest=3))
    with pytest.raises(UnknownColumns, match=r"'idade'.*not in the file.*'faixa_etaria'"):
        scan(path, quasi_identifiers=["idade", "sexo"], k=5)


def test_k_anonymity_counts_every_row_even_when_sampling(tmp_path):
    table = quasi_table(smallest=3)
    report = scan(write(tmp_path, table), quasi_identifiers=["freguesia"], k=3, sample_rows=50)
    assert report.rows_total == len(table["sexo"]) and 20 <= report.rows_scanned <= 90
    assert report.k_anonymity is not None and report.k_anonymity.smallest_group == 3


def test_exact_coordinates_next_to_a_home_address_fail(tmp_path):
    n = 200
    rng = random.Random(4)
    table = {"morada": [f"Rua de Exemplo, {i}" for i in range(n)],
             "lat": [round(41.14 + rng.random() / 50, 6) for _ in range(n)],
             "lon": [round(-8.62 + rng.random() / 50, 6) for _ in range(n)],
             "tipo_pedido": ["estacionamento"] * n}
    report = scan(write(tmp_path, table), quasi_identifiers=None)
    assert not report.passed
    [finding] = [f for f in report.findings if f.kind == "exact_location"]
    assert finding.severity == "fail" and finding.column == "lat"
    assert finding.related_columns == ["lon", "morada"] and finding.example_rows[0] == 1
    assert 190 <= finding.count <= n
    assert all(str(table["lat"][r - 1]) not in json.dumps(report.to_json()) for r in finding.example_rows)

    table["lat"] = [round(v, 4) for v in table["lat"]]
    table["lon"] = [round(v, 4) for v in table["lon"]]
    assert scan(write(tmp_path, table, "rounded.parquet"), quasi_identifiers=None).passed


def test_coordinates_found_by_their_values_next_to_people(tmp_path):
    table = {"requerente": ["Maria", "Ana", "Rui"], "x": [-8.611234, -8.601234, -8.591234],
             "y": [41.151234, 41.152234, 41.153234]}
    report = scan(write(tmp_path, table), quasi_identifiers=None)
    assert ("y", "exact_location", "fail") in kinds(report)


def test_bus_stops_with_exact_coordinates_pass(tmp_path):
    table = {"stop_id": ["BLM1", "TRD2", "AAL3"], "stop_name": ["Bolhão", "Trindade", "Aliados"],
             "stop_lat": [41.150123, 41.152712, 41.148655], "stop_lon": [-8.606123, -8.609714, -8.611412],
             "zone_id": ["PRT1", "PRT1", "PRT1"]}
    report = scan(write(tmp_path, table), quasi_identifiers=None)
    assert report.passed and report.findings == []


def paragens(names: list[str]) -> dict[str, list]:
    """Bus stops as a Portuguese operator exports them: "nome" is the stop's, "linhas" the lines serving it."""
    n = len(names)
    return {"codigo": [f"BLM{i}" for i in range(n)], "nome": names, "freguesia": ["Bonfim"] * n,
            "latitude": [round(41.15 + i * 0.000137, 6) for i in range(n)],
            "longitude": [round(-8.61 + i * 0.000173, 6) for i in range(n)],
            "linhas": [["200 201", "300", "200 201 203 204", "500 502", "ZR"][i % 5] for i in range(n)]}


def test_a_name_column_is_about_people_only_if_its_values_are_people_s_names(tmp_path):
    stops = scan(write(tmp_path, paragens(["Bolhão", "Trindade", "Rua de José Falcão", "Aliados", "João de Deus"])),
                 quasi_identifiers=None)
    assert stops.passed and not {f.kind for f in stops.findings} & {"name", "exact_location"}

    people = scan(write(tmp_path, paragens(["Maria Silva", "José Costa", "Ana Sousa", "Rui Pinto", "Bolhão"]),
                        "people.parquet"), quasi_identifiers=None)
    assert not people.passed
    assert {("nome", "name", "warn"), ("latitude", "exact_location", "fail")} <= kinds(people)
    assert "Maria" not in json.dumps(people.to_json())


def test_stations_with_an_address_column_are_only_a_warning(tmp_path):
    table = {"estacao": ["Sobreiras", "Campanhã"], "morada": ["Rua das Sobreiras", "Rua de Campanhã"],
             "latitude": [41.147828, 41.164611], "longitude": [-8.658472, -8.589444]}
    report = scan(write(tmp_path, table), quasi_identifiers=None)
    assert report.passed and kinds(report) == {("latitude", "exact_location", "warn")}


def test_every_kind_is_found_and_no_raw_value_reaches_the_report(tmp_path):
    values = {
        "contacto": "joao.silva@exemplo.pt", "telefone": "+351 912 345 678", "contribuinte": make_nif("23456789"),
        "documento": make_cc("12345678", "9", "ZY"), "conta": make_iban("PT", "000201231234567890154"),
        "dispositivo": "a4:5e:60:e8:3f:01", "origem": "193.136.10.20", "viatura": "AB-12-CD",
    }
    n = 30
    table = {column: ["—"] * 7 + [value] + ["—"] * (n - 8) for column, value in values.items()}
    report = scan(write(tmp_path, table), quasi_identifiers=None)
    assert not report.passed
    expected = {"contacto": "email", "telefone": "phone", "contribuinte": "nif", "documento": "cc",
                "conta": "iban", "dispositivo": "mac", "origem": "ip", "viatura": "plate"}
    fails = {(f.column, f.kind) for f in report.findings if f.severity == "fail"}
    assert fails == set(expected.items())
    assert all(f.example_rows == [8] for f in report.failures)
    dumped = json.dumps(report.to_json(), ensure_ascii=False)
    for value in values.values():
        assert value not in dumped and value.replace(" ", "") not in dumped.replace(" ", "")


def test_column_names_warn_even_when_values_look_masked(tmp_path):
    table = {"nif": ["1********", "2********"], "email": ["j***@***", ""], "telefone": ["91*******", None],
             "mac": ["3f9a1c0d5e7b2a64c1d0e9f8a7b6c5d4", "0e1d2c3b4a59687766554433221100ff"],
             "matricula": ["XX-XX-XX", "XX-XX-XX"], "nome": ["Maria Silva", "António Costa"], "total": [1, 2]}
    report = scan(write(tmp_path, table), quasi_identifiers=None)
    assert report.passed
    assert kinds(report) == {("nif", "nif", "warn"), ("email", "email", "warn"), ("telefone", "phone", "warn"),
                             ("mac", "mac", "warn"), ("matricula", "plate", "warn"), ("nome", "name", "warn")}
    named = [f for f in report.findings if f.kind == "name"]
    assert named[0].example_rows == [1, 2] and named[0].masked_examples == ["M*** S***", "A*** C***"]
    assert all(f.count == 0 and f.example_rows == [] for f in report.findings if f.kind != "name")


def test_bare_mac_counts_only_in_a_column_named_for_macs(tmp_path):
    table = {"mac": ["a45e60e83f01", "a45e60e83f02"], "object_id": ["a45e60e83f01", "a45e60e83f02"]}
    report = scan(write(tmp_path, table), quasi_identifiers=None)
    assert kinds(report) == {("mac", "mac", "fail")}


def test_plates_count_only_as_the_whole_cell(tmp_path):
    table = {"descricao": ["carro AA-00-00 estacionado", "AB-12-CD na rua"], "matricula": ["12-AB-34", "56-CD-78"]}
    report = scan(write(tmp_path, table), quasi_identifiers=None)
    assert kinds(report) == {("matricula", "plate", "fail")}


def test_lists_and_structs_are_scanned_as_text(tmp_path):
    table = {"contactos": [["geral@porto.pt"], [], ["ana.m@exemplo.pt", "x"]],
             "pedido": [{"tipo": "ruído", "ip": "—"}, {"tipo": "luz", "ip": "193.136.10.20"}, None]}
    report = scan(write(tmp_path, table), quasi_identifiers=None)
    found = {(f.column, f.kind): f.example_rows for f in report.findings}
    assert found == {("contactos", "email"): [1, 3], ("pedido", "ip"): [2]}


def test_nifs_stored_as_integers_and_companies_only_as_a_warning(tmp_path):
    people = [int(make_nif(f"2{i:07d}")) for i in range(1, 6)]
    companies = [make_nif(f"5{i:07d}") for i in range(1, 6)]
    report = scan(write(tmp_path, {"cliente": people, "fornecedor": companies}), quasi_identifiers=None)
    assert ("cliente", "nif", "fail") in kinds(report)
    assert ("fornecedor", "nif", "warn") in kinds(report) and ("fornecedor", "nif", "fail") not in kinds(report)


def test_a_column_of_ordinary_nine_digit_codes_is_a_warning_not_a_failure(tmp_path):
    rng = random.Random(7)
    codes = [str(rng.randrange(100_000_000, 1_000_000_000)) for _ in range(2_000)]
    report = scan(write(tmp_path, {"codigo_processo": codes}), quasi_identifiers=None)
    assert report.passed
    assert {f.kind for f in report.findings} <= {"nif", "phone"}
    assert all(f.severity == "warn" and "chance" in f.message for f in report.findings)


def test_counts_past_the_validation_limit_are_estimated(tmp_path, monkeypatch):
    monkeypatch.setattr(gate, "VALIDATE_LIMIT", 100)
    emails = [f"pessoa{i}@exemplo.pt" for i in range(1_000)]
    [finding] = scan(write(tmp_path, {"email": emails}), quasi_identifiers=None).findings
    assert finding.estimated and finding.count == 1_000 and "about 1,000 rows" in finding.message
    assert finding.example_rows == [1, 2, 3, 4, 5]


def test_the_report_round_trips_through_json(tmp_path):
    table = quasi_table(smallest=2)
    table["notas"] = ["ok"] * len(table["sexo"])
    table["notas"][9] = "ligar 912 345 678"
    report = scan(write(tmp_path, table), quasi_identifiers=["freguesia", "sexo"], k=5)
    assert not report.passed and report.findings and report.k_anonymity is not None
    data = report.to_json()
    assert data["gate_version"] == 1 and set(data) == {
        "gate_version", "passed", "findings", "k_anonymity", "rows_scanned", "rows_total", "checked_at"}
    assert GateReport.from_json(json.loads(json.dumps(data))) == report
    assert GateReport.from_json(json.dumps(data)) == report


def test_bad_arguments(tmp_path):
    path = write(tmp_path, {"a": ["x"]})
    with pytest.raises(FileNotFoundError):
        scan(tmp_path / "missing.parquet", quasi_identifiers=None)
    with pytest.raises(ValueError, match="k must be"):
        scan(path, quasi_identifiers=["a"], k=0)
    with pytest.raises(ValueError, match="sample_rows"):
        scan(path, quasi_identifiers=None, sample_rows=0)
    clash = write(tmp_path, {"file_row_number": [1]}, "clash.parquet")
    with pytest.raises(ValueError, match="rename it"):
        scan(clash, quasi_identifiers=None)


def test_an_empty_file_passes(tmp_path):
    path = write(tmp_path, {"email": pa.array([], pa.string()), "idade": pa.array([], pa.int64())})
    report = scan(path, quasi_identifiers=["idade"], k=10)
    assert report.passed and report.rows_scanned == 0
    assert report.k_anonymity is not None and report.k_anonymity.smallest_group is None
    assert report.findings[0].kind == "email" and report.findings[0].severity == "warn"  # the name alone


def test_two_million_rows_are_scanned_in_reasonable_time(tmp_path):
    n = 2_000_000
    ids = pa.array(range(n), pa.int64())
    station = pa.array([f"PT0{1021 + i % 17}" for i in range(n)])
    reading = pa.array([f"leitura {i % 9973} ok" for i in range(n)])
    notes = reading.to_pylist()
    notes[1_234_566] = "avisar maria@exemplo.pt"
    path = write(tmp_path, {"id": ids, "estacao_id": station, "nota": notes, "pm10": [i % 500 / 10 for i in range(n)],
                            "freguesia": pa.array(["Bonfim", "Paranhos", "Ramalde", "Lordelo"] * (n // 4))})
    started = time.perf_counter()
    report = scan(path, quasi_identifiers=["freguesia"], k=10)
    elapsed = time.perf_counter() - started
    print(f"\ngate scan of {n:,} rows: {elapsed:.2f} s")
    assert report.rows_scanned == n and kinds(report) == {("nota", "email", "fail")}
    assert report.findings[0].example_rows == [1_234_567]
    assert report.k_anonymity is not None and report.k_anonymity.smallest_group == n // 4


def test_uuids_are_not_citizen_card_numbers(tmp_path: Path) -> None:
    """A UUID whose first group is digits reads like '12345678-9ab4', the shape of a Cartão de Cidadão
    number; a column of ids found in the demo register was refused for it."""
    import uuid

    ids = [str(uuid.UUID(int=i * 7919 + (12345678 << 96))) for i in range(2000)]
    ids += ["12345678-9ab4-4def-8123-456789abcdef"]
    path = tmp_path / "ids.parquet"
    pq.write_table(pa.table({"id": ids}), path)
    assert gate.scan(path, quasi_identifiers=None).findings == []
