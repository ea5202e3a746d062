"""The row index: built for big files only, ignored when stale, and giving the scan's answers exactly on
random queries over a file made to be awkward (ties, empty values, accents, a column of one value)."""

from __future__ import annotations

import csv
import random
import shutil
from pathlib import Path

import pytest

from praca.opendata import datastore, rowindex
from praca.opendata.tabular import to_parquet

ROWS = 3_000
PLACES = ["Câmara Municipal", "Campanhã", "Sé", "Foz do Douro", "São Bento", "Aliados", "Bolhão"]
WORDS = ["obras", "calibração", "manutenção preventiva", "falha de comunicação", "validado", "ruído"]


def _write(path: Path, rows: int, seed: int) -> Path:
    rng = random.Random(seed)
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["local", "tipo", "n", "valor", "medido", "ativo", "nota", "fixo"])
        for i in range(rows):
            empty = rng.random() < 0.05
            out.writerow([
                "" if empty else rng.choice(PLACES), rng.choice(["A", "B", "C"]),
                "" if rng.random() < 0.05 else rng.randint(-3, 40),
                "" if rng.random() < 0.05 else round(rng.uniform(0, 9), 1),
                "" if rng.random() < 0.05 else f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} "
                                               f"{rng.randint(0, 23):02d}:00:00",
                "" if rng.random() < 0.05 else rng.choice(["true", "false"]),
                " ".join(rng.sample(WORDS, rng.randint(0, 3))) + f" #{i % 50}", "igual"])
    return path


@pytest.fixture(scope="module")
def awkward(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("awkward")
    return to_parquet(_write(folder / "a.csv", ROWS, 7), "csv", folder / "a.parquet", index_rows=0).path


def _query(rng: random.Random) -> dict:
    q: dict = {"limit": rng.choice([0, 1, 7, 100]), "offset": rng.choice([0, 0, 3, 150, 2_990, 5_000])}
    filters = {}
    if rng.random() < 0.5:
        filters["local"] = rng.choice([rng.choice(PLACES), None, [rng.choice(PLACES), None], PLACES[:3]])
    if rng.random() < 0.3:
        filters["tipo"] = rng.choice(["A", ["B", "C"], "Z"])
    if rng.random() < 0.2:
        filters["ativo"] = rng.choice([True, "false", None])
    if rng.random() < 0.1:
        filters["fixo"] = "igual"
    if filters:
        q["filters"] = filters
    if rng.random() < 0.5:
        q["q"] = rng.choice(["obras", "calibracao", "manut", "FALHA comunicação", "ruido #1", "camara", "s",
                             "nada", "#4"])
    if rng.random() < 0.7:
        column = rng.choice(["n", "valor", "medido", "_id"])
        q["sort"] = column + rng.choice(["", " asc", " desc", " desc nulls last", " asc nulls first"])
    return q


def test_random_queries_get_the_scans_answer(awkward):
    res = datastore._open(awkward)
    index = res.index
    assert index is not None
    rng, indexed = random.Random(2026), 0
    try:
        for _ in range(400):
            params = _query(rng)
            res.index = index
            indexed += datastore._indexed(res, params.get("filters"), params.get("q"),
                                          datastore._order(res, params.get("sort"))) is not None
            fast = datastore.search(awkward, resource_id="a", **params)
            res.index = None
            slow = datastore.search(awkward, resource_id="a", **params)
            assert (fast["total"], fast["records"]) == (slow["total"], slow["records"]), params
    finally:
        res.index = index
    assert indexed > 250  # most of them were answered from the index


def test_not_answered_from_the_index(awkward):
    """Ranges, per-field q, sorts on text or on two columns: the scan answers (the same way as ever)."""
    res = datastore._open(awkward)
    for filters, q, sort in [({"n": {"gte": 3}}, None, None), (None, {"nota": "obras"}, None),
                             (None, None, "local"), (None, None, "n, valor desc"), ({"n": 3}, None, None)]:
        assert datastore._indexed(res, filters, q, datastore._order(res, sort)) is None


def test_small_files_have_no_index_and_a_stale_one_is_ignored(tmp_path, awkward):
    small = to_parquet(_write(tmp_path / "s.csv", 50, 1), "csv", tmp_path / "s.parquet").path
    assert not rowindex.path_for(small).exists() and datastore._open(small).index is None
    shutil.copyfile(rowindex.path_for(awkward), rowindex.path_for(small))  # another file's index
    datastore.forget(small)
    assert rowindex.RowIndex.open(small, 50) is None and datastore._open(small).index is None
    assert datastore.search(small, resource_id="s", filters={"tipo": "A"})["total"] > 0


def test_an_index_is_replaced_with_its_file(tmp_path):
    target = tmp_path / "r.parquet"
    to_parquet(_write(tmp_path / "a.csv", 400, 1), "csv", target, index_rows=0)
    first = rowindex.path_for(target).read_bytes()
    to_parquet(_write(tmp_path / "b.csv", 500, 2), "csv", target, index_rows=0)
    assert rowindex.path_for(target).read_bytes() != first
    assert datastore._open(target).index is not None and datastore.search(target, resource_id="r")["total"] == 500
    to_parquet(_write(tmp_path / "c.csv", 10, 3), "csv", target, index_rows=100)  # now too small for one
    assert not rowindex.path_for(target).exists()
