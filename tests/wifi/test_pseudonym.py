"""The native pseudonym (`pseudonym.py`, `_hmac60.c`) against Python's `hmac`, on every spelling of a
device identifier a controller might export, as Arrow arrays of every shape DuckDB hands over."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from praca.wifi import pseudonym

KEYS = [bytes(range(32)), b"\xff" * 64, b"k"]  # 64 bytes is SHA-256's block: the longest key kept as is
STATES = pseudonym.states(KEYS)

hex_digit = st.sampled_from("0123456789abcdefABCDEF")
separator = st.sampled_from(":-.")


@st.composite
def mac_spellings(draw: st.DrawFn) -> str:
    """12 hex digits in either case, separators anywhere, spaces around: all one MAC."""
    digits = draw(st.lists(hex_digit, min_size=12, max_size=12))
    parts = [draw(st.text(separator, max_size=2)) + d for d in digits]
    return " " * draw(st.integers(0, 2)) + "".join(parts) + draw(st.text(separator, max_size=1)) + " " * draw(
        st.integers(0, 2))


devices = st.one_of(mac_spellings(), st.text(max_size=20), st.none(),
                    st.text(st.sampled_from("0123456789abcdefg: -.\n\t"), min_size=10, max_size=16))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(KEYS) - 1), devices), max_size=40), st.integers(0, 3))
def test_the_native_pseudonym_is_the_hmac_of_the_normalised_mac(rows, skip):
    slots = pa.array([s for s, _ in rows], pa.int32())
    spelt = pa.array([d for _, d in rows], pa.string())
    skip = min(skip, len(rows))  # a slice: Arrow arrays with an offset, as DuckDB's chunks may be
    got = pseudonym.pseudonyms(STATES, slots.slice(skip), spelt.slice(skip))
    expected = [None if d is None else pseudonym.reference(KEYS[s], d) for s, d in rows[skip:]]
    assert got.to_pylist() == expected
    assert got.null_count == expected.count(None)


def test_spellings_of_one_mac_are_one_pseudonym_and_anything_else_is_none():
    same = ["00-1B-63-84-45-E6", "00:1b:63:84:45:e6", " 001b.6384.45e6 ", "001B638445E6"]
    refused = ["not-a-mac", "001b638445e", "001b638445e6f", "00 1b 63 84 45 e6", "001b638445e6\n", "00١b638445e6",
               "", "g01b638445e6"]
    got = pseudonym.pseudonyms(STATES, pa.array([0] * 12, pa.int32()), pa.array(same + refused)).to_pylist()
    assert len(set(got[:4])) == 1 and got[0] is not None and got[0] < 2**60
    assert got[4:] == [None] * len(refused)
    assert [pseudonym.normalised(d) for d in refused] == [None] * len(refused)


def test_each_slot_has_its_own_key_and_a_slot_with_no_key_gives_none():
    devices = pa.array(["001b638445e6"] * 4)
    got = pseudonym.pseudonyms(STATES, pa.array([0, 1, 2, 3], pa.int32()), devices).to_pylist()
    assert got[:3] == [pseudonym.reference(k, "001b638445e6") for k in KEYS] and len(set(got[:3])) == 3
    assert got[3] is None


def test_string_layouts_other_than_arrows_plain_one_are_read_alike():
    spelt = ["00:1b:63:84:45:e6", None, "aa-bb-cc-dd-ee-ff"]
    plain = pseudonym.pseudonyms(STATES, pa.array([1, 1, 1], pa.int32()), pa.array(spelt))
    for layout in (pa.large_string(), pa.string_view()):
        chunked = pa.chunked_array([pa.array(spelt[:1], layout), pa.array(spelt[1:], layout)])
        assert pseudonym.pseudonyms(STATES, pa.array([1, 1, 1], pa.int32()), chunked) == plain


def test_bad_calls_are_refused_not_guessed():
    with pytest.raises(ValueError, match="no keys"):
        pseudonym.pseudonyms(b"", pa.array([0], pa.int32()), pa.array(["001b638445e6"]))
    with pytest.raises(ValueError, match="2 slots for 1 devices"):
        pseudonym.pseudonyms(STATES, pa.array([0, 0], pa.int32()), pa.array(["001b638445e6"]))
    with pytest.raises(ValueError, match="64 bytes or fewer"):
        pseudonym.states([b"x" * 65])


def test_duckdb_calls_it_on_every_row_and_forgets_the_keys_when_told():
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT CAST(i % 3 AS INTEGER) AS slot, CASE WHEN i % 7 = 0 THEN NULL ELSE "
                "printf('%012x', i * 7919) END AS device FROM range(10000) r(i)")
    pseudonym.register(con, STATES)
    got = con.execute("SELECT slot, device, praca_pseudonym(slot, device) FROM t ORDER BY slot, device").fetchall()
    pseudonym.unregister(con)
    assert all(p == (None if d is None else pseudonym.reference(KEYS[s], d)) for s, d, p in got)
    with pytest.raises(duckdb.CatalogException):
        con.execute("SELECT praca_pseudonym(0, '001b638445e6')")
