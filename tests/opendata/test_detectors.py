"""The personal-data detectors: each kind accepts real-looking values and rejects look-alikes.

Valid check digits are made here by helpers written independently of the module (from the right, the
way the algorithms are usually stated), so a bug shared by generator and validator cannot hide.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from praca.opendata import detectors as d

# --- independent generators ------------------------------------------------------------------------

def make_nif(first8: str) -> str:
    total = sum(int(ch) * (9 - i) for i, ch in enumerate(first8))
    check = 11 - total % 11
    return first8 + str(0 if check >= 10 else check)


def make_cc(civil8: str, civil_check: str, version: str) -> str:
    """Luhn from the right: the final check digit is not doubled, the one before it is, and so on."""
    body = civil8 + civil_check + version
    total = 0
    for i, ch in enumerate(reversed(body)):
        value = int(ch, 36)
        if i % 2 == 0:  # first from the right of the body = second from the right of the whole number
            value = value * 2 - 9 if value * 2 > 9 else value * 2
        total += value
    return body + str((10 - total % 10) % 10)


def make_iban(country: str, bban: str) -> str:
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


def wrong_last_digit(value: str) -> str:
    return value[:-1] + str((int(value[-1]) + 1) % 10)


def groups_of_four(value: str) -> str:
    return " ".join(value[i:i + 4] for i in range(0, len(value), 4))


# --- e-mail ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["joao.silva@exemplo.pt", "a@b.pt", "maria+camara@porto.gov.pt",
                                   "Ana_Sousa@Correio.Example.COM", " joao@exemplo.pt "])
def test_email_addresses(value):
    assert d.is_email(value)


@pytest.mark.parametrize("value", ["joao.silva@", "@exemplo.pt", "joao@exemplo", "jo..ao@exemplo.pt",
                                   ".joao@exemplo.pt", "joao@exemplo.123", "joao@-exemplo.pt", "logo@2x.png",
                                   "a@b@c.pt", "joao silva@exemplo.pt", "", "x" * 65 + "@exemplo.pt"])
def test_not_email_addresses(value):
    assert not d.is_email(value)


# --- phones ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["912345678", "+351 912 345 678", "00351 221 234 567", "+351912345678",
                                   "22.123.45.67", "21 123 4567", "253 123 456", "257 123 456", "296 123 456",
                                   "96 123 45 67", "93-123-4567"])
def test_portuguese_phones(value):
    assert d.is_pt_phone(value) and d.is_phone(value)


@pytest.mark.parametrize("value", ["942345678", "812345678", "91234567", "9123456789", "+351 812 345 678",
                                   "+34 912 345 678", "91234567a", "12345", "112", "200 201 203", "237 123 456",
                                   "246 123 456", "297 123 456"])
def test_not_portuguese_phones(value):
    assert not d.is_pt_phone(value)


@pytest.mark.parametrize("value", ["+44 20 7946 0958", "+44 (0)20 7946 0958", "+33 1 23 45 67 89",
                                   "+1 415 555 2671", "+1 (415) 555-2671", "0034 912 345 678", "+351 912 345 678"])
def test_international_phones(value):
    assert d.is_e164(value) and d.is_phone(value)


@pytest.mark.parametrize("value", ["+999 1234 5678", "+1 055 123 4567", "+1 415 155 2671", "+44 123",
                                   "+44 1234 5678 9012 3456", "+351 812 345 678", "44 20 7946 0958", "+0 123456789"])
def test_not_international_phones(value):
    assert not d.is_e164(value)


# --- NIF -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("prefix", ["1", "2", "3", "45", "5", "6", "70", "71", "72", "74", "75", "77", "78",
                                    "79", "8", "90", "91", "98", "99"])
def test_nif_in_every_assigned_range(prefix):
    nif = make_nif((prefix + "2345678")[:8])
    assert d.is_nif(nif)
    assert not d.is_nif(wrong_last_digit(nif))


def test_nif_known_example_and_written_forms():
    assert d.is_nif("501964843") and d.is_nif("PT 501 964 843") and d.is_nif("501.964.843")
    assert not d.is_nif("501964842")


@pytest.mark.parametrize("first8", ["02345678", "41234567", "73123456", "76123456", "92123456", "97123456"])
def test_nif_outside_the_assigned_ranges(first8):
    assert not d.is_nif(make_nif(first8))


@pytest.mark.parametrize("value", ["12345678", "1234567890", "12345678a", "", "１２３４５６７８９"])
def test_not_nifs(value):
    assert not d.is_nif(value)


def test_nif_of_a_person_or_a_company():
    assert d.nif_is_person(make_nif("23456789")) and d.nif_is_person(make_nif("45123456"))
    assert not d.nif_is_person(make_nif("50123456")) and not d.nif_is_person(make_nif("60123456"))


@given(st.sampled_from(d.NIF_PREFIXES), st.text("0123456789", min_size=7, max_size=7))
def test_nif_check_digit_property(prefix, digits):
    nif = make_nif((prefix + digits)[:8])
    assert d.is_nif(nif)
    assert d.nif_check_digit(nif[:8]) == int(nif[8])
    assert not d.is_nif(wrong_last_digit(nif))


# --- Cartão de Cidadão ---------------------------------------------------------------------------------

def test_cartao_de_cidadao_numbers():
    number = make_cc("12345678", "9", "ZZ")
    assert d.is_cc(number)
    assert d.is_cc(f"{number[:8]} {number[8]} {number[9:11]}{number[11]}")  # as printed: 00000000 0 ZZ0
    assert d.is_cc(number.lower())
    assert not d.is_cc(wrong_last_digit(number))
    assert not d.is_cc(number[:-1])
    assert not d.is_cc("1234567A" + number[8:])


@given(st.text("0123456789", min_size=9, max_size=9),
       st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=2, max_size=2))
def test_cartao_de_cidadao_check_digit_property(digits, version):
    number = make_cc(digits[:8], digits[8], version)
    assert d.is_cc(number)
    assert d.cc_check_digit(number[:11]) == int(number[11])
    assert not d.is_cc(wrong_last_digit(number))


# --- IBAN ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["PT50 0002 0123 1234 5678 9015 4", "PT50000201231234567890154",
                                   "GB82 WEST 1234 5698 7654 32", "DE89 3704 0044 0532 0130 00",
                                   "fr14 2004 1010 0505 0001 3m02 606", "NO93 8601 1117 947"])
def test_ibans(value):
    assert d.is_iban(value)


@pytest.mark.parametrize("value", ["PT50 0002 0123 1234 5678 9015 5", "PT51 0002 0123 1234 5678 9015 4",
                                   "PT50 0002 0123 1234 5678 9015", "XX50 0002 0123 1234 5678 9015 4",
                                   "GB82 WEST 1234 5698 7654 3", "DE89-3704-0044-0532-0130-00", "", "PT"])
def test_not_ibans(value):
    assert not d.is_iban(value)


@given(st.text("0123456789", min_size=21, max_size=21), st.integers(0, 20), st.integers(1, 9))
def test_iban_check_digits_property(bban, position, bump):
    iban = make_iban("PT", bban)
    assert d.is_iban(iban) and d.is_iban(groups_of_four(iban))
    assert d.iban_check_digits("PT", bban) == iban[2:4]
    i = 4 + position
    altered = iban[:i] + str((int(iban[i]) + bump) % 10) + iban[i + 1:]
    assert not d.is_iban(altered)  # mod 97 catches every single-digit error


def test_iban_length_table_covers_sepa():
    sepa = {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT",
            "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO", "CH", "GB", "MC", "SM",
            "VA", "AD", "GI"}
    assert sepa <= set(d.IBAN_LENGTHS)
    assert d.IBAN_LENGTHS["PT"] == 25


# --- MAC addresses ---------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["a4:5e:60:e8:3f:01", "A4-5E-60-E8-3F-01", "a45e.60e8.3f01"])
def test_mac_addresses(value):
    assert d.is_mac(value)


def test_bare_mac_only_when_the_column_says_so():
    assert not d.is_mac("a45e60e83f01")
    assert d.is_mac("a45e60e83f01", bare_ok=True)


@pytest.mark.parametrize("value", ["d41d8cd98f00b204e9800998ecf8427e", "a4:5e-60:e8:3f:01", "a4:5e:60:e8:3f",
                                   "a4:5e:60:e8:3f:01:02", "g4:5e:60:e8:3f:01", "00:00:00:00:00:00",
                                   "ff:ff:ff:ff:ff:ff", "a45e60e83f0"])
def test_not_mac_addresses(value):
    assert not d.is_mac(value, bare_ok=True)


# --- IP addresses ----------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["192.168.1.10", "8.8.8.8", "2001:db8::1", "fe80::1ff:fe23:4567:890a",
                                   "2001:0db8:0000:0000:0000:ff00:0042:8329", "::ffff:192.0.2.1"])
def test_ip_addresses(value):
    assert d.is_ip(value)


@pytest.mark.parametrize("value", ["1.2.3", "192.168.1.300", "3.14", "1.2.3.4.5", "01.02.03.04", ".".join("0000"),
                                   "127.0.0.1", "::1", "::", "12:30:45", "2001:db8:1", "v1.2.3"])
def test_not_ip_addresses(value):
    assert not d.is_ip(value)


# --- licence plates --------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["AA-00-00", "00-00-AA", "00-AA-00", "AA-00-AA", "AB 12 CD", "AB12CD",
                                   "12AB34", "1234AB", "ab-12-34"])
def test_plates_in_every_format(value):
    assert d.is_plate(value)


@pytest.mark.parametrize("value", ["casa", "Porto", "AA-00-0", "A1-23-45", "00-00-00", "AAAAAA", "AA-0000",
                                   "AB-12-CD-34", "carro AA-00-00", "AA-00-00 estacionado", "A-B-C"])
def test_not_plates(value):
    assert not d.is_plate(value)


@given(st.sampled_from(["LLDDDD", "DDDDLL", "DDLLDD", "LLDDLL"]), st.sampled_from(["-", " ", ""]), st.data())
def test_plate_layouts_property(layout, sep, data):
    chars = [data.draw(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c == "L" else "0123456789"))
             for c in layout]
    plate = sep.join("".join(chars[i:i + 2]) for i in (0, 2, 4))
    assert d.is_plate(plate)
    assert not d.is_plate(f"na rua {plate}")


# --- coordinates and column names ------------------------------------------------------------------

def test_exact_coordinates():
    assert d.is_exact_coordinate("41.157944") and d.is_exact_coordinate("-8.62911")
    assert d.is_exact_coordinate("41,157944")
    assert not d.is_exact_coordinate("41.1579") and not d.is_exact_coordinate("41.150000")
    assert not d.is_exact_coordinate("Rua 41.123456 a") and not d.is_exact_coordinate("1234.567891")
    assert d.decimals("41.150000") == 2 and d.decimals("41") == 0


@pytest.mark.parametrize(("column", "kinds"), [
    ("nif", {"nif"}), ("NIF_Titular", {"nif"}), ("E-mail", {"email"}), ("email_contacto", {"email"}),
    ("telefone", {"phone"}), ("Telemóvel", {"phone"}), ("mac", {"mac"}), ("mac_address", {"mac"}),
    ("matrícula", {"plate"}), ("licence_plate", {"plate"}), ("iban", {"iban"}), ("n_cc", {"cc"}),
    ("cartao_de_cidadao", {"cc"}), ("ip_address", {"ip"}), ("nome", set()), ("nome_completo", {"name"}),
    ("nome_requerente", {"name"}), ("first_name", {"name"}), ("apelido", {"name"}),
    ("data_nascimento", {"birth"}), ("stop_name", set()), ("nome_rua", set()), ("cilindrada_cc", set()),
    ("tipo", set()), ("hotel", set()), ("pm10", set()),
])
def test_column_name_hints(column, kinds):
    assert d.hinted_kinds(column) == kinds


def test_people_s_names_by_their_values():
    assert d.is_bare_name_column("nome") and d.is_bare_name_column("Name")
    assert not d.is_bare_name_column("nome_completo")
    for value in ("Maria Silva", "José António da Costa", "joão", "Ana-Rita Sousa", "Inês d'Almeida"):
        assert d.looks_like_person_name(value), value
    for value in ("Parque da Trindade", "Rua de José Falcão 12", "Bolhão", "Maria 2", "", "Ana " * 7):
        assert not d.looks_like_person_name(value), value
    assert d.mask_name("Maria da Silva") == "M*** d*** S***"


def test_people_homes_and_places_by_column_name():
    assert d.name_tokens("domicílioFiscal") == ("domicilio", "fiscal")
    assert d.is_person_column("nome_requerente") and d.is_person_column("Utente")
    assert not d.is_person_column("stop_name") and not d.is_person_column("n_moradores")
    assert not d.is_person_column("nome")  # people or places: the gate looks at the values
    assert d.is_residence_column("Morada") and d.is_residence_column("home_address")
    assert d.is_residence_column("residência") and d.is_residence_column("domicílio")
    assert d.is_place_column("stop_id") and d.is_place_column("estação")
    assert d.coordinate_axis("stop_lat") == "lat" and d.coordinate_axis("Longitude") == "lon"
    assert d.coordinate_axis("lng") == "lon" and d.coordinate_axis("latência") is None


# --- masks and candidates in text ----------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "value", "masked"), [
    ("email", "joao.silva@exemplo.pt", "j***@e***.pt"),
    ("phone", "+351 912 345 678", "+351 91* *** ***"),
    ("phone", "912345678", "91*******"),
    ("nif", "PT 501 964 843", "5********"),
    ("cc", "12345678 9 ZZ1", "******** * ***"),
    ("iban", "PT50 0002 0123 1234 5678 9015 4", "PT50 **** **** **** **** **** *"),
    ("mac", "a4:5e:60:e8:3f:01", "a4:5e:60:**:**:**"),
    ("ip", "192.168.1.10", "192.***.…"),
    ("plate", "AB-12-CD", "AB-**-**"),
])
def test_masks_hide_the_value(kind, value, masked):
    assert d.DETECTOR_BY_KIND[kind].mask(value) == masked
    assert value not in masked


def test_candidates_in_free_text():
    def found(kind: str, text: str) -> list[str]:
        return list(d.DETECTOR_BY_KIND[kind].candidates(text))

    assert found("email", "escreva para joao@exemplo.pt.") == ["joao@exemplo.pt"]
    assert found("phone", "ligue 912 345 678 ou +351 22 123 4567; ref 1234567890") == [
        "912 345 678", "+351 22 123 4567"]
    assert found("nif", "NIF 501964843, valor 41.123456789") == ["501964843"]
    cc = make_cc("23456789", "1", "ZZ")
    assert found("nif", f"tel. +351 {cc[:9]}; CC {cc[:9]} {cc[9:]}") == []
    assert found("phone", f"CC {cc[:8]} {cc[8]} {cc[9:]}") == []
    assert found("phone", "linhas 200 201 203 204") == [] and found("nif", "linhas 200 201 203 204") == []
    assert found("iban", "IBAN BE68 5390 0754 7034 EUR")[-1] == "BE68 5390 0754 7034"
    assert found("ip", "de 10.0.0.1 e 2001:db8::1, versão v1.2.3, 1.2.3.4.5") == ["10.0.0.1", "2001:db8::1"]
    assert found("mac", "a4:5e:60:e8:3f:01. e 00:11:22:33:44:55:66") == ["a4:5e:60:e8:3f:01"]
    assert found("plate", "carro AA-00-00") == ["carro AA-00-00"]  # whole cell: the validator says no


def test_every_prefilter_is_valid_re2_and_a_superset(tmp_path):
    """DuckDB's prefilter must let through every cell the Python pattern finds something in."""
    import duckdb

    samples = {
        "email": "escreva para joao@exemplo.pt.", "phone": "ligue +44 (0)20 7946 0958",
        "nif": "NIF PT 501 964 843", "cc": "CC 12345678 9 ZZ1 válido", "iban": "iban pt50 0002 0123 1234 5678 9015 4",
        "mac": "a45e.60e8.3f01", "ip": "fe80::1ff:fe23:4567:890a", "plate": " ab-12-cd ",
    }
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    for kind, text in samples.items():
        detector = d.DETECTOR_BY_KIND[kind]
        assert list(detector.candidates(text)), kind
        assert con.execute("SELECT regexp_matches($t, $p)", {"t": text, "p": detector.prefilter}).fetchall() == [
            (True,)], kind
    con.close()
