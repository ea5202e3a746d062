"""The publication gate: scan a Parquet file for personal data and small groups before it goes public.

DuckDB streams the file, one column at a time, and a loose RE2 prefilter per kind (from `detectors`) picks
the candidate cells; only those reach the Python validators, so a clean 10-million-row file costs a few
regex passes, not ten million Python calls. Queries are built with DuckDB's expression API: column names
come from the file and never enter SQL text unquoted. The report names columns, kinds, counts and row
numbers (1-based, in file order) and shows masked examples only, because it is kept and shown to staff.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import duckdb
from duckdb import ColumnExpression as Col
from duckdb import ConstantExpression as Const
from duckdb import FunctionExpression as Fn

from praca.opendata import detectors as d
from praca.opendata.tabular import SEARCH_COLUMN

GATE_VERSION = 1
EXAMPLES = 5
VALIDATE_LIMIT = 50_000  # candidate cells validated per column; past it, counts are extrapolated
CHANCE_MIN, CHANCE_SHARE = 20, 0.5  # enough number-shaped cells, and too few pass the check: a code column
_ROW = "file_row_number"  # DuckDB's 0-based row number in the file
_TEXT = ("VARCHAR", "ENUM")
_INTEGER = ("INTEGER", "BIGINT", "HUGEINT", "UINTEGER", "UBIGINT", "UHUGEINT")
_DECIMAL = ("FLOAT", "DOUBLE", "DECIMAL")
_NESTED = ("STRUCT", "MAP", "UNION", "JSON")
_BARE_MAC_SQL = r"^\s*[0-9A-Fa-f]{12}\s*$"

Severity = Literal["fail", "warn"]


class UnknownColumns(ValueError):
    """Quasi-identifiers were declared that the file does not have."""


@dataclass(frozen=True)
class Finding:
    """One kind of personal data (or a hint of it) in one column."""

    column: str
    kind: str
    severity: Severity
    count: int  # rows where it was found
    example_rows: list[int]
    masked_examples: list[str]
    message: str
    estimated: bool = False  # count extrapolated past VALIDATE_LIMIT candidate cells
    related_columns: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class KAnonymity:
    """Group sizes over the declared quasi-identifiers: every combination must be shared by ≥ k rows."""

    quasi_identifiers: list[str]
    k: int
    passed: bool
    smallest_group: int | None  # None for an empty file
    groups: int
    groups_under_k: int
    rows_under_k: int
    example_rows: list[int]  # the first row of each of the smallest groups
    message: str


@dataclass(frozen=True)
class GateReport:
    passed: bool
    findings: list[Finding]
    k_anonymity: KAnonymity | None
    rows_scanned: int
    checked_at: datetime
    rows_total: int = 0

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "fail"]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict, stored with the dataset version."""
        data = asdict(self)
        data["checked_at"] = self.checked_at.isoformat()
        return {"gate_version": GATE_VERSION, **data}

    @classmethod
    def from_json(cls, data: dict[str, Any] | str) -> GateReport:
        if isinstance(data, str):
            data = json.loads(data)
        kanon = data.get("k_anonymity")
        return cls(passed=data["passed"], findings=[Finding(**f) for f in data["findings"]],
                   k_anonymity=KAnonymity(**kanon) if kanon else None, rows_scanned=data["rows_scanned"],
                   checked_at=datetime.fromisoformat(data["checked_at"]), rows_total=data.get("rows_total", 0))


def scan(parquet_path: Path, *, quasi_identifiers: list[str] | None, k: int = 10,
         sample_rows: int | None = None) -> GateReport:
    """Check one Parquet file. `sample_rows` limits the personal-data scan to a repeatable pseudo-random
    sample of about that many rows spread over the file; k-anonymity always counts every row, since
    group sizes in a sample say nothing about the whole."""
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}.")
    if sample_rows is not None and sample_rows < 1:
        raise ValueError(f"sample_rows must be at least 1, not {sample_rows}.")
    path = Path(parquet_path)
    if not path.is_file():
        raise FileNotFoundError(f"No Parquet file at {path}.")
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    con.execute("SET enable_progress_bar = false")
    try:
        plain = con.read_parquet(str(path))
        # The datastore's `_search` column repeats the row's text: findings belong to the real columns.
        columns = {name: str(kind) for name, kind in zip(plain.columns, plain.types, strict=True)
                   if name != SEARCH_COLUMN}
        if _ROW in columns:
            raise ValueError(f"The file has a column named {_ROW!r}, a name the gate needs for row numbers: "
                             "rename it and convert the file again.")
        whole = con.read_parquet(str(path), file_row_number=True)
        total = _count(whole)
        kanon = _k_anonymity(whole, quasi_identifiers, k, list(columns)) if quasi_identifiers else None
        rel = whole
        if sample_rows is not None and sample_rows < total:
            rel = whole.filter(Fn("hash", Col(_ROW)) % Const(total) < Const(sample_rows))
        scanned = _count(rel) if rel is not whole else total
        findings: list[Finding] = []
        for name, dtype in columns.items():
            findings += _scan_column(rel, name, dtype)
        people = _people_names(rel, columns)
        findings += people
        findings += _location_findings(rel, columns, [f.column for f in people])
    finally:
        con.close()
    order = list(columns)
    findings.sort(key=lambda f: (f.severity != "fail", order.index(f.column), f.kind))
    passed = all(f.severity != "fail" for f in findings) and (kanon is None or kanon.passed)
    return GateReport(passed=passed, findings=findings, k_anonymity=kanon, rows_scanned=scanned,
                      checked_at=datetime.now(UTC), rows_total=total)


def _count(rel: duckdb.DuckDBPyRelation) -> int:
    return int(rel.aggregate([Fn("count_star")]).fetchall()[0][0])


def _quote(name: str) -> str:
    if "\0" in name:
        raise ValueError("A column name contains a NUL character.")
    return '"' + name.replace('"', '""') + '"'


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _rows_phrase(rows: list[int]) -> str:
    shown = ", ".join(f"{r:,}" for r in rows)
    return f"row {shown}" if len(rows) == 1 else f"rows {shown}"


# --- personal data in a column ---------------------------------------------------------------------

@dataclass
class _Tally:
    """What one kind's validation saw in one column."""

    checked: int = 0  # candidate cells validated
    valid: int = 0  # …of which held a valid value
    extra: int = 0  # estimated valid cells among the candidates past VALIDATE_LIMIT
    person: int = 0  # NIF only: cells with a natural person's number
    examples: list[tuple[int, str]] = field(default_factory=list)  # max-heap on row (negated), masked value

    def example(self, row: int, token: str, mask: Callable[[str], str]) -> None:
        """Keep the EXAMPLES earliest rows, whatever order the rows arrive in; mask only what is kept."""
        if len(self.examples) < EXAMPLES:
            heapq.heappush(self.examples, (-row, mask(token)))
        elif row < -self.examples[0][0]:
            heapq.heapreplace(self.examples, (-row, mask(token)))


def _scan_column(rel: duckdb.DuckDBPyRelation, column: str, dtype: str) -> list[Finding]:
    hinted = d.hinted_kinds(column)
    if dtype.startswith(_NESTED) or dtype.endswith("]"):  # lists, structs, JSON: scanned as their text
        value = Col(column).cast(duckdb.sqltype("VARCHAR"))
        kinds = [det.kind for det in d.DETECTORS if not det.whole_cell]
    elif dtype.startswith(_TEXT):
        value = Col(column).cast(duckdb.sqltype("VARCHAR")) if dtype.startswith("ENUM") else Col(column)
        kinds = [det.kind for det in d.DETECTORS]
    elif dtype in _INTEGER:
        value, kinds = Col(column).cast(duckdb.sqltype("VARCHAR")), list(d.NUMERIC_KINDS)
    else:
        return [_hint(column, kind) for kind in sorted(hinted)]
    bare_mac = "mac" in hinted and "mac" in kinds
    prefilters = {kind: d.DETECTOR_BY_KIND[kind].prefilter for kind in kinds}
    if bare_mac:
        prefilters["mac"] += "|" + _BARE_MAC_SQL
    tallies = {kind: _Tally() for kind in kinds}
    union = Fn("regexp_matches", value, Const("|".join(f"(?:{p})" for p in prefilters.values())))
    candidates = rel.filter(union).select(Col(_ROW), value.alias("v"),
                                          *(Fn("regexp_matches", value, Const(p)).alias(f"k_{kind}")
                                            for kind, p in prefilters.items()))
    processed = 0
    cache: dict[tuple[str, str], bool] = {}
    reader = candidates.to_arrow_reader(10_000)
    for batch in reader:
        flags = [(kind, batch.column(f"k_{kind}").to_pylist()) for kind in kinds]
        for i, (row, text) in enumerate(zip(batch.column(_ROW).to_pylist(), batch.column("v").to_pylist(),
                                            strict=True)):
            for kind, flagged in flags:
                if flagged[i]:
                    _validate_cell(kind, text, row + 1, tallies[kind], cache, bare_mac)
            processed += 1
            if processed >= VALIDATE_LIMIT:
                break
        if processed >= VALIDATE_LIMIT:
            break
        if len(cache) > 100_000:
            cache.clear()
    reader.close()
    if processed >= VALIDATE_LIMIT:  # extrapolate from the cells validated to all candidate cells
        unchecked = _count(rel.filter(union)) - processed
        for tally in tallies.values():
            tally.extra = round(unchecked * tally.valid / processed)
    findings = [_finding(column, kind, tally) for kind, tally in tallies.items() if tally.valid]
    found = {f.kind for f in findings}
    return findings + [_hint(column, kind) for kind in sorted(hinted - found)]


def _validate_cell(kind: str, text: str, row: int, tally: _Tally, cache: dict[tuple[str, str], bool],
                   bare_mac: bool) -> None:
    detector = d.DETECTOR_BY_KIND[kind]
    tokens = list(detector.candidates(text))
    if bare_mac and kind == "mac" and not tokens:
        tokens = [text.strip()]
    if not tokens:
        return
    tally.checked += 1
    for token in tokens:
        key = (kind, token)
        valid = cache.get(key)
        if valid is None:
            valid = cache[key] = _valid(kind, token, bare_mac)
        if valid:
            tally.valid += 1
            if kind == "nif" and d.nif_is_person(token):
                tally.person += 1
            tally.example(row, token, detector.mask)
            return


def _valid(kind: str, token: str, bare_mac: bool) -> bool:
    if kind == "mac":
        return d.is_mac(token, bare_ok=bare_mac)
    if kind == "phone" and not token.lstrip().startswith(("+", "00")) and d.is_nif(token):
        return False  # nine bare digits that pass the NIF check: reported as a NIF, not twice
    return d.DETECTOR_BY_KIND[kind].validate(token)


def _finding(column: str, kind: str, tally: _Tally) -> Finding:
    detector = d.DETECTOR_BY_KIND[kind]
    examples = sorted((-neg, masked) for neg, masked in tally.examples)
    rows = [row for row, _ in examples]
    masked = list(dict.fromkeys(m for _, m in examples))
    count, estimated = tally.valid + tally.extra, tally.extra > 0
    about = "about " if estimated else ""
    where = f"{about}{_plural(count, 'row')} of column {column!r} (for example {_rows_phrase(rows)})"
    severity: Severity = "fail"
    if detector.by_chance and tally.checked >= CHANCE_MIN and tally.valid / tally.checked < CHANCE_SHARE:
        severity = "warn"
        message = (f"Column {column!r}: only {tally.valid:,} of {tally.checked:,} number-shaped values are valid "
                   f"{detector.label}, about the share a column of ordinary codes reaches by chance, so this is "
                   f"probably not personal data (see {_rows_phrase(rows)}). Confirm what the column holds.")
    elif kind == "nif" and not tally.person:
        severity = "warn"
        message = (f"{detector.label[0].upper()}{detector.label[1:]} in {where}, all in the ranges of companies "
                   "and public bodies, which are not personal data. Confirm none belongs to a person.")
    else:
        message = (f"{detector.label[0].upper()}{detector.label[1:]} in {where}. To publish, "
                   f"{detector.advice}, then upload the file again.")
    return Finding(column=column, kind=kind, severity=severity, count=count, example_rows=rows,
                   masked_examples=masked, message=message, estimated=estimated)


_HINT_LABELS = {"name": "people's names", "birth": "dates of birth"}


def _hint(column: str, kind: str) -> Finding:
    """A column named for personal data whose values did not look like it: masked, hashed, or emptied?"""
    detector = d.DETECTOR_BY_KIND.get(kind)
    label = detector.label if detector else _HINT_LABELS[kind]
    if detector:
        message = (f"Column {column!r} is named for {label}, but no valid ones were found in it. Check that its "
                   "values are removed or replaced, not just hashed or partly masked: an unsalted hash of an "
                   "identifier is reversed by hashing every possible value.")
    else:
        message = (f"Column {column!r} is named for {label}, which the gate cannot check by their form. Confirm "
                   "it holds no such data, or remove it.")
    return Finding(column=column, kind=kind, severity="warn", count=0, example_rows=[], masked_examples=[],
                   message=message)


NAME_SAMPLE = 1_000


def _people_names(rel: duckdb.DuckDBPyRelation, columns: dict[str, str]) -> list[Finding]:
    """A column called just "nome" holds people's names when most values begin with a common first name."""
    findings = []
    for column, dtype in columns.items():
        if not (d.is_bare_name_column(column) and dtype.startswith(_TEXT) and not dtype.endswith("]")):
            continue
        value = Col(column).cast(duckdb.sqltype("VARCHAR"))
        sample = rel.filter(value.isnotnull()).select(Col(_ROW), value).limit(NAME_SAMPLE).fetchall()
        named = [(row + 1, v) for row, v in sample if d.looks_like_person_name(v)]
        if sample and len(named) / len(sample) >= 0.5:
            findings.append(Finding(
                column=column, kind="name", severity="warn", count=len(named),
                example_rows=[row for row, _ in named[:EXAMPLES]],
                masked_examples=list(dict.fromkeys(d.mask_name(v) for _, v in named[:EXAMPLES])),
                message=(f"Column {column!r} looks like people's names: {len(named):,} of the first "
                         f"{len(sample):,} values begin with a common first name. Remove it unless these people "
                         "are public figures named in that role.")))
    return findings


# --- exact locations of people -----------------------------------------------------------------------

def _location_findings(rel: duckdb.DuckDBPyRelation, columns: dict[str, str], names: list[str]) -> list[Finding]:
    """Exact coordinates are a home address when the table is about people or homes, not bus stops."""
    person = [c for c in columns if d.is_person_column(c) or c in names]
    residence = [c for c in columns if d.is_residence_column(c)]
    if not person and not residence:
        return []
    place = [c for c in columns if d.is_place_column(c)]
    findings = []
    for lat, lon in _coordinate_pairs(rel, columns):
        hits = rel.filter(_exact(lat) | _exact(lon))
        count = _count(hits)
        if not count:
            continue
        first = hits.order(_quote(_ROW)).limit(EXAMPLES).select(
            Col(_ROW), Col(lat).cast(duckdb.sqltype("VARCHAR")), Col(lon).cast(duckdb.sqltype("VARCHAR"))).fetchall()
        rows = [r + 1 for r, _, _ in first]
        masked = [f"{d.mask_coordinate(a)}, {d.mask_coordinate(b)}" for _, a, b in first]
        hints = person or residence
        fail = bool(person) or not place
        because = (f"in a table whose columns {', '.join(map(repr, hints))} describe people or their homes"
                   if fail else f"next to {', '.join(map(repr, residence))} in what looks like a table of places "
                                f"({', '.join(map(repr, place))})")
        advice = ("Round them to 3 decimals (about 110 m) or aggregate them to a grid or parish, then upload "
                  "the file again." if fail else "Confirm these are not people's homes.")
        message = (f"Coordinates in {lat!r} and {lon!r} have more than 4 decimal places (closer than about 11 m) "
                   f"in {_plural(count, 'row')} (for example {_rows_phrase(rows)}), {because}. {advice}")
        findings.append(Finding(column=lat, kind="exact_location", severity="fail" if fail else "warn",
                                count=count, example_rows=rows, masked_examples=list(dict.fromkeys(masked)),
                                message=message, related_columns=[lon, *hints]))
    return findings


def _exact(column: str) -> duckdb.Expression:
    """The SQL twin of `detectors.is_exact_coordinate`: a number within ±180 with more than 4 decimal places,
    trailing zeros dropped; DuckDB prints a double in its shortest exact form, so 41.15 has 2."""
    text = Fn("replace", Col(column).cast(duckdb.sqltype("VARCHAR")), Const(","), Const("."))
    number = Fn("abs", text.try_cast(duckdb.sqltype("DOUBLE")))
    places = Fn("length", Fn("rtrim", Fn("split_part", text, Const("."), Const(2)), Const("0")))
    return (number <= Const(180)) & (places >= Const(d.EXACT_DECIMALS))


def _coordinate_pairs(rel: duckdb.DuckDBPyRelation, columns: dict[str, str]) -> list[tuple[str, str]]:
    """Latitude/longitude columns, by name or by values that all fall in the Porto area."""
    numeric = [c for c, t in columns.items() if t.startswith(_DECIMAL)]
    text = [c for c, t in columns.items() if t.startswith(_TEXT) and not t.endswith("]")]
    axes: dict[str, list[str]] = {"lat": [], "lon": []}
    for c in numeric + text:
        axis = d.coordinate_axis(c)
        if axis:
            axes[axis].append(c)
    unnamed = [c for c in numeric if d.coordinate_axis(c) is None]
    if unnamed:
        aggregates = [Fn(f, Col(c)) for c in unnamed for f in ("min", "max")]
        bounds = rel.aggregate(aggregates).fetchall()[0]
        for i, c in enumerate(unnamed):
            low, high = bounds[2 * i], bounds[2 * i + 1]
            if low is None:
                continue
            for axis, (lo, hi) in (("lat", d.PORTO_LAT), ("lon", d.PORTO_LON)):
                if lo <= float(low) and float(high) <= hi:
                    axes[axis].append(c)
    return _pair(axes["lat"], axes["lon"])


def _pair(lats: list[str], lons: list[str]) -> list[tuple[str, str]]:
    """Match "stop_lat" with "stop_lon" by the rest of their names; leftovers pair in column order."""
    def stem(column: str) -> tuple[str, ...]:
        return tuple(t for t in d.name_tokens(column) if d.coordinate_axis(t) is None)

    pairs, spare = [], list(lons)
    for lat in lats:
        match = next((lon for lon in spare if stem(lon) == stem(lat)), None)
        if match is None and spare:
            match = spare[0]
        if match is not None:
            spare.remove(match)
            pairs.append((lat, match))
    return pairs


# --- k-anonymity -----------------------------------------------------------------------------------

def _k_anonymity(rel: duckdb.DuckDBPyRelation, quasi_identifiers: list[str], k: int,
                 columns: list[str]) -> KAnonymity:
    qis = list(dict.fromkeys(quasi_identifiers))
    unknown = [q for q in qis if q not in columns]
    if unknown:
        raise UnknownColumns(f"Quasi-identifier column{'s' if len(unknown) > 1 else ''} "
                             f"{', '.join(map(repr, unknown))} not in the file; its columns are "
                             f"{', '.join(map(repr, columns))}.")
    groups = rel.aggregate([*(Col(q) for q in qis), Fn("count_star").alias("__gate_n"),
                            Fn("min", Col(_ROW)).alias("__gate_first")], ", ".join(map(_quote, qis)))
    small = Col("__gate_n") < Const(k)
    stats = groups.aggregate([Fn("count_star"), Fn("min", Col("__gate_n")), Fn("count_if", small),
                              Fn("sum", Fn("if", small, Col("__gate_n"), Const(0)))]).fetchall()[0]
    n_groups, smallest, under, rows_under = int(stats[0]), stats[1], int(stats[2] or 0), int(stats[3] or 0)
    examples = [r + 1 for (r,) in groups.filter(small).order("__gate_n, __gate_first").limit(EXAMPLES)
                .select(Col("__gate_first")).fetchall()]
    names = ", ".join(qis)
    passed = smallest is None or smallest >= k
    if smallest is None:
        message = "The file has no rows, so no group is too small."
    elif passed:
        message = (f"Every combination of {names} is shared by at least {k} rows (the smallest group has "
                   f"{_plural(smallest, 'row')}, over {_plural(n_groups, 'group')}).")
    else:
        message = (f"{under:,} of {_plural(n_groups, 'group')} ({_plural(rows_under, 'row')}) share their "
                   f"{names} with fewer than {k} rows; the smallest has {_plural(smallest, 'row')} (for example "
                   f"{_rows_phrase(examples)}). Generalise these columns (age bands, shorter postcodes, larger "
                   "areas) or remove the small groups, then upload the file again.")
    return KAnonymity(quasi_identifiers=qis, k=k, passed=passed, smallest_group=smallest, groups=n_groups,
                      groups_under_k=under, rows_under_k=rows_under, example_rows=examples, message=message)
