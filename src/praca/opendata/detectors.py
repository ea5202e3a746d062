"""What personal data looks like in one cell of an open dataset, for the publication gate.

Each kind has a validator `str -> bool` that checks what a pattern cannot (check digits, lengths,
number ranges, country tables), so a random code is not mistaken for a person's number. `DETECTORS`
pairs each validator with a loose RE2 prefilter (DuckDB runs it over millions of cells) and a precise
Python pattern that picks candidates out of longer text. `mask` shows a finding without repeating it:
the gate's report is kept and shown to staff. Column-name hints live here too, because a name like
"nif" or "morada" is evidence of its own.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

# --- e-mail ----------------------------------------------------------------------------------------

_ATEXT = r"[\w!#$%&'*+/=?^`{|}~-]"
_LOCAL = re.compile(rf"{_ATEXT}+(?:\.{_ATEXT}+)*")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
# Image names like "logo@2x.png" have the shape of an address; these are not top-level domains.
_FILE_SUFFIXES = frozenset({"png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "tif", "tiff", "pdf"})


def is_email(value: str) -> bool:
    """An address with a dot-atom local part (RFC 5322) and a host name with an alphabetic TLD."""
    value = value.strip()
    if len(value) > 254 or value.count("@") != 1:
        return False
    local, domain = value.split("@")
    if not 1 <= len(local) <= 64 or not _LOCAL.fullmatch(local):
        return False
    labels = domain.split(".")
    if len(domain) > 253 or len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        return False
    tld = labels[-1].lower()
    return (tld.isalpha() or tld.startswith("xn--")) and len(tld) >= 2 and tld not in _FILE_SUFFIXES


def mask_email(value: str) -> str:
    local, _, domain = value.strip().partition("@")
    host, _, tld = domain.rpartition(".")
    return f"{local[:1]}***@{host[:1]}***.{tld}"


# --- phone numbers ---------------------------------------------------------------------------------

# ITU-T E.164 country calling codes in service (geographic ones; no satellite or test ranges).
_CALLING_CODES = frozenset(str(code) for code in (
    1, 7, 20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56, 57,
    58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98, 211, 212, 213, 216, 218, 220,
    221, 222, 223, 224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234, 235, 236, 237, 238, 239, 240, 241,
    242, 243, 244, 245, 246, 247, 248, 249, 250, 251, 252, 253, 254, 255, 256, 257, 258, 260, 261, 262, 263,
    264, 265, 266, 267, 268, 269, 290, 291, 297, 298, 299, 350, 351, 352, 353, 354, 355, 356, 357, 358, 359,
    370, 371, 372, 373, 374, 375, 376, 377, 378, 379, 380, 381, 382, 383, 385, 386, 387, 389, 420, 421, 423,
    500, 501, 502, 503, 504, 505, 506, 507, 508, 509, 590, 591, 592, 593, 594, 595, 596, 597, 598, 599, 670,
    672, 673, 674, 675, 676, 677, 678, 679, 680, 681, 682, 683, 685, 686, 687, 688, 689, 690, 691, 692, 850,
    852, 853, 855, 856, 880, 886, 960, 961, 962, 963, 964, 965, 966, 967, 968, 970, 971, 972, 973, 974, 975,
    976, 977, 992, 993, 994, 995, 996, 998))
# ANACOM's numbering plan: landlines are 2 + a geographic area code (21 Lisboa, 22 Porto, 253 Braga …);
# mobiles 91, 92, 93, 96. "200 201 203" (bus lines) is no number: there is no area 20.
_PT_NATIONAL = re.compile(r"2(?:[12]\d{7}|(?:3[1-689]|4[1-59]|5[1-9]|6[1235689]|7[1-9]|8[1-69]|9[1256])\d{6})"
                          r"|9[1236]\d{7}")
_PHONE_CHARS = re.compile(r"[\d .\-()]+")


def _phone_digits(value: str) -> tuple[bool, str] | None:
    """(international?, digits) of a written number, or None if it has other characters."""
    value = value.strip().replace("(0)", "")  # "+44 (0)20 …": the trunk 0 is not dialled from abroad
    international = value.startswith(("+", "00"))
    body = value[1:] if value.startswith("+") else value[2:] if international else value
    if not body or not _PHONE_CHARS.fullmatch(body):
        return None
    return international, re.sub(r"\D", "", body)


def is_pt_phone(value: str) -> bool:
    """A Portuguese number: optional +351/00351, then 9 digits, 2 + an area code (landline) or 91/92/93/96
    (mobile); spaces, dots and hyphens allowed."""
    parsed = _phone_digits(value)
    if parsed is None:
        return False
    international, digits = parsed
    if international:
        if not digits.startswith("351"):
            return False
        digits = digits[3:]
    return bool(_PT_NATIONAL.fullmatch(digits))


def is_e164(value: str) -> bool:
    """An international number written with + or 00: a known country code, 8–15 digits in all."""
    parsed = _phone_digits(value)
    if parsed is None or not parsed[0]:
        return False
    digits = parsed[1]
    if not 8 <= len(digits) <= 15 or digits[0] == "0":
        return False
    code = next((digits[:n] for n in (1, 2, 3) if digits[:n] in _CALLING_CODES), None)
    if code is None:
        return False
    if code == "351":
        return is_pt_phone(value)
    if code == "1":  # North American numbering plan: area code and exchange never start with 0 or 1
        return len(digits) == 11 and digits[1] not in "01" and digits[4] not in "01"
    return True


def is_phone(value: str) -> bool:
    """A Portuguese or an international (E.164) telephone number."""
    return is_pt_phone(value) or is_e164(value)


def _mask_digits(value: str, keep_start: int, keep_end: int = 0) -> str:
    """Star every letter and digit but the first and last few, keeping separators for the shape."""
    positions = [i for i, ch in enumerate(value) if ch.isalnum()]
    shown = set(positions[:keep_start]) | set(positions[len(positions) - keep_end:] if keep_end else ())
    return "".join(ch if (i in shown or not ch.isalnum()) else "*" for i, ch in enumerate(value))


def mask_phone(value: str) -> str:
    value = value.strip()
    return _mask_digits(value, 5 if value.startswith(("+", "00")) else 2)


# --- NIF (Número de Identificação Fiscal) ----------------------------------------------------------

# Ranges the tax authority (AT) assigns, by leading digits. 1–3 and 45 are people; 8 (sole traders,
# a person too) is no longer assigned but still appears in older records.
NIF_PREFIXES = ("1", "2", "3", "45", "5", "6", "70", "71", "72", "74", "75", "77", "78", "79", "8",
                "90", "91", "98", "99")
NIF_PERSON_PREFIXES = ("1", "2", "3", "45", "8")


def nif_check_digit(first8: str) -> int:
    """Mod-11 check digit: weights 9…2; a remainder of 0 or 1 gives 0, otherwise 11 − remainder."""
    remainder = sum(int(d) * w for d, w in zip(first8, range(9, 1, -1), strict=True)) % 11
    return 0 if remainder < 2 else 11 - remainder


def _compact_nif(value: str) -> str:
    if len(value) == 9 and value.isdigit():
        return value
    value = re.sub(r"[ .\-]", "", value.strip()).upper()
    return value[2:] if value.startswith("PT") else value


def is_nif(value: str) -> bool:
    """9 digits (spaces, dots or a "PT" VAT prefix allowed) in an assigned range, with a valid check digit."""
    digits = _compact_nif(value)
    return (len(digits) == 9 and digits.isascii() and digits.isdigit() and digits.startswith(NIF_PREFIXES)
            and nif_check_digit(digits[:8]) == int(digits[8]))


def nif_is_person(value: str) -> bool:
    """A valid NIF in a range for natural persons (companies' numbers are not personal data)."""
    return is_nif(value) and _compact_nif(value).startswith(NIF_PERSON_PREFIXES)


def mask_nif(value: str) -> str:
    digits = _compact_nif(value)
    return digits[:1] + "*" * (len(digits) - 1)


# --- Cartão de Cidadão -----------------------------------------------------------------------------

_CC = re.compile(r"(\d{8})[ -]?(\d)[ -]?([0-9A-Z]{2})[ -]?(\d)")


def _cc_value(ch: str) -> int:
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10


def _cc_sum(chars: str) -> int:
    """Luhn-like sum of the document number: A=10 … Z=35, every second character from the left doubled
    (minus 9 when above 9)."""
    total = 0
    for i, ch in enumerate(chars):
        v = _cc_value(ch)
        if i % 2 == 0:
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return total


def cc_check_digit(first11: str) -> int:
    """The last digit of a Cartão de Cidadão document number, from the 11 characters before it."""
    return (10 - _cc_sum(first11.upper() + "0") % 10) % 10


def is_cc(value: str) -> bool:
    """A Cartão de Cidadão number `00000000 0 ZZ0`: civil id, its check digit, a 2-character version and
    a final check digit, valid by the official mod-10 algorithm over all 12 characters."""
    match = _CC.fullmatch(value.strip().upper())
    return match is not None and _cc_sum("".join(match.groups())) % 10 == 0


def mask_cc(value: str) -> str:
    return _mask_digits(value.strip(), 0)


# --- IBAN ------------------------------------------------------------------------------------------

# ISO 13616 lengths (SWIFT IBAN registry): every SEPA country, and the others met in practice.
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25,
    "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25,
    "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}


def _iban_mod97(iban: str) -> int:
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97


def iban_check_digits(country: str, bban: str) -> str:
    """The two check digits that make `country + digits + bban` a valid IBAN (98 − mod 97)."""
    return f"{98 - _iban_mod97(country.upper() + '00' + bban.upper()):02d}"


def is_iban(value: str) -> bool:
    """An IBAN (spaces allowed): a known country, that country's length, and mod 97 equal to 1."""
    iban = value.replace(" ", "").upper()
    return (iban[:2] in IBAN_LENGTHS and len(iban) == IBAN_LENGTHS[iban[:2]] and iban[2:4].isdigit()
            and iban.isascii() and iban.isalnum() and _iban_mod97(iban) == 1)


_IBAN_TOKEN = re.compile(r"(?<![\w])[A-Za-z]{2}\d{2}(?:(?: [A-Za-z0-9]{4})+(?: [A-Za-z0-9]{1,3})?|[A-Za-z0-9]{11,30})"
                         r"(?![\w])")


def iban_candidates(text: str) -> Iterable[str]:
    """IBANs in text, printed in groups of four or run together; a group after the last one ("… 7034 EUR")
    may be a following word, so the token without it is tried too."""
    for match in _IBAN_TOKEN.finditer(text):
        token = match.group(0)
        yield token
        if " " in token:
            yield token.rsplit(" ", 1)[0]


def mask_iban(value: str) -> str:
    return _mask_digits(value.strip(), 4)


# --- MAC addresses ---------------------------------------------------------------------------------

_MAC_SEPARATED = re.compile(r"[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}")
_MAC_CISCO = re.compile(r"[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}")
_MAC_BARE = re.compile(r"[0-9A-Fa-f]{12}")


def is_mac(value: str, *, bare_ok: bool = False) -> bool:
    """A MAC address with colons, hyphens or Cisco dots; bare 12-hex only when `bare_ok` (the column is
    named for MACs), since ordinary hex ids have that shape. All-zero and broadcast are not a device."""
    value = value.strip()
    if not (_MAC_SEPARATED.fullmatch(value) or _MAC_CISCO.fullmatch(value)
            or (bare_ok and _MAC_BARE.fullmatch(value))):
        return False
    digits = re.sub(r"[:.\-]", "", value).lower()
    return digits not in ("000000000000", "ffffffffffff")


def mask_mac(value: str) -> str:
    """Keep the vendor prefix (OUI), which names a manufacturer, not a device."""
    return _mask_digits(value.strip(), 6)


# --- IP addresses ----------------------------------------------------------------------------------

_IPV4_SHAPE = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")


def is_ip(value: str) -> bool:
    """An IPv4 (four dotted decimals ≤ 255, so not "1.2.3" or "192.168.1.300") or IPv6 address, other than
    the unspecified and loopback addresses, which are no one's."""
    value = value.strip()
    if _IPV4_SHAPE.fullmatch(value):
        try:
            address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.IPv4Address(value)
        except ValueError:
            return False
    elif value.count(":") >= 2 and ("::" in value or value.count(":") == 7 or "." in value):
        try:
            address = ipaddress.IPv6Address(value)
        except ValueError:
            return False
    else:
        return False
    return not (address.is_unspecified or address.is_loopback)


def mask_ip(value: str) -> str:
    value = value.strip()
    sep = "." if _IPV4_SHAPE.fullmatch(value) else ":"
    head, *_ = value.split(sep)
    return head + sep + "*" * 3 + sep + "…"


# --- licence plates --------------------------------------------------------------------------------

_PLATE_LAYOUTS = ("LLDDDD", "DDDDLL", "DDLLDD", "LLDDLL")  # 1937–92, 1992–2005, 2005–20, since 2020
_PLATE = re.compile(r"([A-Z0-9]{2})([- ]?)([A-Z0-9]{2})\2([A-Z0-9]{2})")


def is_plate(value: str) -> bool:
    """A Portuguese licence plate as the whole cell: AA-00-00, 00-00-AA, 00-AA-00 or AA-00-AA, with
    hyphens, spaces or nothing between the pairs (the same throughout)."""
    match = _PLATE.fullmatch(value.strip().upper())
    if match is None:
        return False
    pairs = match.group(1) + match.group(3) + match.group(4)
    layout = "".join("L" if ch.isalpha() else "D" for ch in pairs)
    groups = (pairs[0:2], pairs[2:4], pairs[4:6])
    return layout in _PLATE_LAYOUTS and all(g.isalpha() or g.isdigit() for g in groups)


def mask_plate(value: str) -> str:
    return _mask_digits(value.strip(), 2)


# --- coordinates -----------------------------------------------------------------------------------

# Porto and its metropolitan area, generously: values here are coordinates even without a column name.
PORTO_LAT = (40.8, 41.6)
PORTO_LON = (-8.95, -8.0)
EXACT_DECIMALS = 5  # 5 decimals ≈ 1.1 m; 4 ≈ 11 m, a block of flats rather than a door


def decimals(value: str) -> int:
    """Decimal places as written, trailing zeros dropped ("41.150000" has 2)."""
    _, _, fraction = value.strip().replace(",", ".").partition(".")
    return len(fraction.rstrip("0"))


def is_exact_coordinate(value: str) -> bool:
    """A latitude or longitude written with more than 4 decimal places (better than ≈ 11 m)."""
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        return False
    return abs(number) <= 180 and decimals(value) >= EXACT_DECIMALS


def mask_coordinate(value: str) -> str:
    whole, _, fraction = value.strip().replace(",", ".").partition(".")
    return f"{whole}.{fraction[:2]}…"


# --- column names ----------------------------------------------------------------------------------

def name_tokens(column: str) -> tuple[str, ...]:
    """Lower-case, accent-free words of a column name: "domicílioFiscal" → ("domicilio", "fiscal")."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", column) if not unicodedata.combining(ch))
    plain = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", plain)
    return tuple(re.findall(r"[a-z0-9]+", plain.lower()))


def _has(tokens: tuple[str, ...], *phrases: str) -> bool:
    joined = "_" + "_".join(tokens) + "_"
    return any(f"_{phrase}_" in joined for phrase in phrases)


_NUMBER_WORDS = {"n", "no", "nr", "num", "numero", "number"}
PERSON_WORDS = frozenset({
    "titular", "requerente", "utente", "cidadao", "municipe", "proprietario", "proprietaria", "residente",
    "morador", "moradora", "paciente", "beneficiario", "beneficiaria", "cliente", "pessoa", "inquilino",
    "arrendatario", "eleitor", "aluno", "aluna", "funcionario", "trabalhador", "vitima", "condutor",
    "person", "owner", "applicant", "resident", "patient", "citizen", "holder", "tenant", "customer",
    "driver", "employee", "student", "victim", "voter"})
RESIDENCE_WORDS = frozenset({
    "morada", "endereco", "address", "residencia", "domicilio", "home", "casa", "habitacao", "moradia",
    "alojamento", "fogo", "dwelling", "household", "agregado"})
PLACE_WORDS = frozenset({
    "paragem", "stop", "station", "estacao", "sensor", "equipamento", "equipment", "facility", "poi",
    "posto", "loja", "shop", "store", "parque", "park", "escola", "school", "hospital", "farmacia",
    "pharmacy", "museu", "museum", "biblioteca", "library", "monumento", "edificio", "building",
    "servico", "service", "camara", "camera", "antena", "hotspot"})
_NAME_WORDS = {"nome", "nomes", "name", "names", "apelido", "apelidos", "surname", "firstname", "lastname",
               "fullname"}
_NAME_QUALIFIERS = {"full", "first", "last", "given", "family", "middle", "completo", "proprio", "do", "da",
                    "de", "dos", "das", "of", "the"} | _NUMBER_WORDS


_BARE_NAME_WORDS = {"nome", "nomes", "name", "names"}


def is_person_name_column(column: str) -> bool:
    """"nome", "nome_completo", "nome_requerente" may be people's names; "stop_name", "nome_rua" are not."""
    tokens = name_tokens(column)
    return (any(t in _NAME_WORDS for t in tokens)
            and all(t in _NAME_WORDS or t in _NAME_QUALIFIERS or t in PERSON_WORDS for t in tokens))


def is_bare_name_column(column: str) -> bool:
    """Just "nome" or "name": people in a register, places in a list of bus stops; only the values tell."""
    tokens = name_tokens(column)
    return bool(tokens) and all(t in _BARE_NAME_WORDS or t in _NUMBER_WORDS for t in tokens) and any(
        t in _BARE_NAME_WORDS for t in tokens)


def is_person_column(column: str) -> bool:
    """Named for people ("requerente", "nome_completo"), not just "nome": see `is_bare_name_column`."""
    return ((is_person_name_column(column) and not is_bare_name_column(column))
            or any(t in PERSON_WORDS for t in name_tokens(column)))


# The commonest given names in Portugal (accents dropped): a name column's values start with one.
GIVEN_NAMES = frozenset((
    "maria", "ana", "joana", "beatriz", "mariana", "ines", "sofia", "leonor", "matilde", "carolina", "rita",
    "catarina", "marta", "sara", "patricia", "claudia", "sandra", "susana", "paula", "teresa", "isabel", "helena",
    "margarida", "filipa", "daniela", "diana", "raquel", "andreia", "vera", "sonia", "cristina", "fernanda",
    "rosa", "lucia", "manuela", "fatima", "graca", "luisa", "alice", "clara", "francisca", "laura", "lara",
    "carla", "celia", "adriana", "barbara", "bruna", "eduarda", "gabriela", "joaquina", "lurdes", "olga",
    "rosario", "silvia", "tania", "vania", "elisa", "emilia", "irene", "julia", "madalena", "natalia", "benedita",
    "constanca", "alexandra", "angela", "anabela", "conceicao", "deolinda", "dulce", "gloria", "ivone", "lina",
    "liliana", "jose", "joao", "antonio", "manuel", "francisco", "carlos", "paulo", "pedro", "luis", "jorge",
    "miguel", "rui", "nuno", "ricardo", "tiago", "bruno", "andre", "filipe", "fernando", "joaquim", "mario",
    "vitor", "sergio", "hugo", "diogo", "duarte", "goncalo", "rodrigo", "martim", "tomas", "afonso", "santiago",
    "guilherme", "gabriel", "lucas", "henrique", "alexandre", "daniel", "david", "eduardo", "fabio", "helder",
    "ivo", "jaime", "marco", "marcos", "nelson", "oscar", "raul", "renato", "samuel", "simao", "vasco", "artur",
    "armando", "alberto", "augusto", "abel", "adriano", "agostinho", "alvaro", "americo", "amadeu", "domingos",
    "ernesto", "fausto", "gil", "horacio", "leonel", "lourenco", "rafael", "salvador", "xavier", "bernardo",
    "dinis", "emanuel", "flavio", "gustavo", "julio", "leandro", "mateus", "telmo", "cesar", "valter", "luciano"))


def looks_like_person_name(value: str) -> bool:
    """"Maria da Silva Costa": one to six words, the first a common Portuguese given name."""
    words = ["".join(ch for ch in unicodedata.normalize("NFKD", w) if not unicodedata.combining(ch)).lower()
             for w in value.split()]
    return (1 <= len(words) <= 6 and words[0].split("-")[0].strip(".,") in GIVEN_NAMES
            and all(w.replace("-", "").replace("'", "").strip(".,").isalpha() for w in words))


def mask_name(value: str) -> str:
    """Initials only: "Maria Silva" → "M*** S***"."""
    return " ".join(word[:1] + "***" for word in value.split())


def is_residence_column(column: str) -> bool:
    return any(t in RESIDENCE_WORDS for t in name_tokens(column))


def is_place_column(column: str) -> bool:
    return any(t in PLACE_WORDS for t in name_tokens(column))


def coordinate_axis(column: str) -> str | None:
    """"lat" or "lon" when the column is named for one (lat, latitude, stop_lon, lng, longitude…)."""
    tokens = set(name_tokens(column))
    if tokens & {"lat", "latitude", "latitud"}:
        return "lat"
    if tokens & {"lon", "lng", "long", "longitude", "longitud"}:
        return "lon"
    return None


def hinted_kinds(column: str) -> set[str]:
    """Kinds of personal data a column's name announces, whatever its values look like."""
    t = name_tokens(column)
    hints = {
        "email": _has(t, "email", "mail", "e_mail", "emails", "correio_eletronico", "correio_electronico"),
        "phone": _has(t, "telefone", "telemovel", "telef", "tel", "tlm", "tlf", "phone", "telephone",
                      "mobile", "cellphone", "contacto_telefonico"),
        "nif": _has(t, "nif", "nipc", "contribuinte", "vat", "numero_fiscal"),
        "cc": _has(t, "cartao_cidadao", "cartao_de_cidadao", "citizen_card", "bilhete_identidade",
                   "documento_identificacao", "id_card")
              or (bool(set(t) & {"cc", "bi"}) and set(t) <= {"cc", "bi"} | _NUMBER_WORDS),
        "iban": _has(t, "iban", "nib"),
        "mac": _has(t, "mac", "macaddress", "mac_address"),
        "ip": _has(t, "ip", "ipv4", "ipv6", "ip_address", "endereco_ip"),
        "plate": _has(t, "matricula", "matriculas", "plate", "licence_plate", "license_plate"),
        "name": is_person_name_column(column) and not is_bare_name_column(column),
        "birth": _has(t, "nascimento", "data_nascimento", "birth", "birthdate", "date_of_birth", "dob"),
    }
    return {kind for kind, hinted in hints.items() if hinted}


# --- the registry the gate scans with --------------------------------------------------------------

_B = r"(?<![\w])"  # no word character just before
_E = r"(?![\w])"   # …or just after
# Not part of a longer run of numbers: 41.123456789, 12-34-…, or the bus lines "200 201 203 204".
_NOT_IN_NUMBER_BEFORE = r"(?<!\d[.,\- ])"
_NOT_IN_NUMBER_AFTER = r"(?![.,\- ]\d)"
_NOT_CC_HEAD = r"(?![ -]?[A-Za-z0-9]{2}[ -]?\d(?!\w))"  # "23456789 1" of a Cartão de Cidadão "… ZZ0"
_NINE_DIGITS_SQL = r"(?:^|[^0-9.,]|[^0-9][.,])"


@dataclass(frozen=True)
class Detector:
    """One kind of personal data as the gate scans for it.

    `prefilter` is RE2 for DuckDB and must match every cell the Python `pattern` can find something in;
    `by_chance` kinds are short digit strings that a column of ordinary codes passes at a known rate.
    """

    kind: str
    label: str
    validate: Callable[[str], bool]
    prefilter: str
    pattern: re.Pattern[str]
    mask: Callable[[str], str]
    advice: str
    whole_cell: bool = False
    by_chance: bool = False
    extract: Callable[[str], Iterable[str]] | None = None

    def candidates(self, text: str) -> Iterable[str]:
        """The substrings of a cell worth validating (the cell itself for whole-cell kinds)."""
        if self.whole_cell:
            return [text.strip()]
        if self.extract is not None:
            return self.extract(text)
        return (m.group(0) for m in self.pattern.finditer(text))


DETECTORS: tuple[Detector, ...] = (
    Detector("email", "e-mail addresses", is_email,
             r"[^\s@]@[A-Za-z0-9-]+\.[A-Za-z0-9]",
             re.compile(rf"(?<![\w.!#$%&'*+/=?^`{{|}}~-]){_ATEXT}+(?:\.{_ATEXT}+)*@[A-Za-z0-9]"
                        r"(?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"),
             mask_email, "remove the column, or replace each address with a category"),
    Detector("phone", "telephone numbers", is_phone,
             r"(?:^|[^0-9])(?:\+|00)[1-9][0-9 .()\-]{5,}[0-9]|"
             + _NINE_DIGITS_SQL + r"[0-9](?:[ .\-]?[0-9]){8}(?:$|[^0-9])",
             re.compile(_B + _NOT_IN_NUMBER_BEFORE
                        + r"(?:(?:\+|(?<!\d)00)[1-9](?:[ .\-]?(?:\(0\)[ .\-]?)?\(?\d\)?){6,16}|\d(?:[ .\-]?\d){8})"
                        + _E + _NOT_IN_NUMBER_AFTER + _NOT_CC_HEAD),
             mask_phone, "remove the column, or keep only an institution's switchboard numbers",
             by_chance=True),
    Detector("nif", "Portuguese tax numbers (NIF)", is_nif,
             _NINE_DIGITS_SQL + r"[0-9]{3} ?[0-9]{3} ?[0-9]{3}(?:$|[^0-9])",
             re.compile(_B + _NOT_IN_NUMBER_BEFORE + r"(?:PT ?)?\d{3} ?\d{3} ?\d{3}" + _E
                        + _NOT_IN_NUMBER_AFTER + _NOT_CC_HEAD),
             mask_nif, "remove the column; a hash of a NIF is not enough, since all 10⁸ numbers can be tried",
             by_chance=True),
    Detector("cc", "Cartão de Cidadão numbers", is_cc,
             r"(?:^|[^0-9])[0-9]{8}[ -]?[0-9][ -]?[A-Za-z0-9]{2}[ -]?[0-9](?:$|[^0-9A-Za-z])",
             # Not a run inside a hyphenated identifier: a UUID's "12345678-9ab4-…" has the same shape.
             re.compile(_B + r"(?<![0-9A-Za-z]-)\d{8}[ -]?\d[ -]?[A-Za-z0-9]{2}[ -]?\d" + _E + r"(?!-[0-9A-Za-z])"),
             mask_cc, "remove the column", by_chance=True),
    Detector("iban", "bank account numbers (IBAN)", is_iban,
             r"(?i:(?:^|[^a-z0-9])[a-z]{2}[0-9]{2}(?: ?[a-z0-9]){11,30})",
             _IBAN_TOKEN, mask_iban, "remove the column", extract=iban_candidates),
    Detector("mac", "MAC addresses of devices", is_mac,
             r"[0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}"
             r"|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}",
             re.compile(r"(?<![\w:.\-])(?:[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}"
                        r"|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})(?![\w:\-])(?!\.\w)"),
             mask_mac, "remove the column; publish counts per access point or zone instead"),
    Detector("ip", "IP addresses", is_ip,
             r"(?:[0-9]{1,3}\.){3}[0-9]{1,3}|[0-9A-Fa-f]*::[0-9A-Fa-f]|(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}",
             re.compile(r"(?<![\w.:])(?:\d{1,3}(?:\.\d{1,3}){3}(?![\w:])(?!\.\d)"
                        r"|[0-9A-Fa-f:]*::[0-9A-Fa-f:]*(?:\d{1,3}(?:\.\d{1,3}){3})?(?![\w:])"
                        r"|(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![\w:]))"),
             mask_ip, "remove the column, or truncate addresses to a network (/24) before publishing"),
    Detector("plate", "licence plates", is_plate,
             r"(?i:^\s*(?:[a-z]{2}[- ]?[0-9]{2}[- ]?[0-9]{2}|[0-9]{2}[- ]?[0-9]{2}[- ]?[a-z]{2}"
             r"|[0-9]{2}[- ]?[a-z]{2}[- ]?[0-9]{2}|[a-z]{2}[- ]?[0-9]{2}[- ]?[a-z]{2})\s*$)",
             _PLATE, mask_plate, "remove the column", whole_cell=True),
)
DETECTOR_BY_KIND = {d.kind: d for d in DETECTORS}
# Kinds a whole number (an integer column) can carry.
NUMERIC_KINDS = ("phone", "nif")
