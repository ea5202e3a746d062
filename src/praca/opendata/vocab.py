"""The controlled vocabularies a catalogue shares with European portals: themes, frequencies, formats, licences.

Codes are the EU Publications Office authority tables' own, so DCAT-AP can link them by URI and
harvesters (dados.gov.pt, data.europa.eu) recognise them without a mapping.
"""

from __future__ import annotations

from dataclasses import dataclass

EU = "http://publications.europa.eu/resource/authority"

# The EU data-theme vocabulary (DCAT-AP's dcat:theme): code → (pt, en).
THEMES: dict[str, tuple[str, str]] = {
    "AGRI": ("Agricultura, pesca, silvicultura e alimentação", "Agriculture, fisheries, forestry and food"),
    "ECON": ("Economia e finanças", "Economy and finance"),
    "EDUC": ("Educação, cultura e desporto", "Education, culture and sport"),
    "ENER": ("Energia", "Energy"),
    "ENVI": ("Ambiente", "Environment"),
    "GOVE": ("Governo e setor público", "Government and public sector"),
    "HEAL": ("Saúde", "Health"),
    "INTR": ("Questões internacionais", "International issues"),
    "JUST": ("Justiça, sistema jurídico e segurança pública", "Justice, legal system and public safety"),
    "REGI": ("Regiões e cidades", "Regions and cities"),
    "SOCI": ("População e sociedade", "Population and society"),
    "TECH": ("Ciência e tecnologia", "Science and technology"),
    "TRAN": ("Transportes", "Transport"),
}

# The EU frequency vocabulary (dct:accrualPeriodicity): code → (pt, en).
FREQUENCIES: dict[str, tuple[str, str]] = {
    "UPDATE_CONT": ("Atualização contínua", "Continuously updated"),
    "HOURLY": ("De hora a hora", "Hourly"),
    "DAILY": ("Diária", "Daily"),
    "WEEKLY": ("Semanal", "Weekly"),
    "MONTHLY": ("Mensal", "Monthly"),
    "QUARTERLY": ("Trimestral", "Quarterly"),
    "ANNUAL": ("Anual", "Annual"),
    "IRREG": ("Irregular", "Irregular"),
    "NEVER": ("Nunca", "Never"),
}


@dataclass(frozen=True)
class Format:
    code: str  # the EU file-type code, also CKAN's `format`
    mimetype: str
    extension: str
    tabular: bool  # stored in the datastore as Parquet and scanned by the gate


FORMATS: dict[str, Format] = {f.code: f for f in (
    Format("CSV", "text/csv", "csv", True),
    Format("JSON", "application/json", "json", True),
    Format("GEOJSON", "application/geo+json", "geojson", True),
    Format("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", True),
    Format("PARQUET", "application/vnd.apache.parquet", "parquet", True),
    Format("PDF", "application/pdf", "pdf", False),
    Format("ZIP", "application/zip", "zip", False),
    Format("HTML", "text/html", "html", False),
    Format("RDF_TURTLE", "text/turtle", "ttl", False),
)}


@dataclass(frozen=True)
class License:
    id: str  # CKAN's license id
    title: str
    url: str
    eu_code: str  # the EU licence vocabulary's code, for DCAT-AP
    od_conformance: str = "approved"


LICENSES: dict[str, License] = {lic.id: lic for lic in (
    License("CC-BY-4.0", "Creative Commons Attribution 4.0", "https://creativecommons.org/licenses/by/4.0/",
            "CC_BY_4_0"),
    License("CC-BY-SA-4.0", "Creative Commons Attribution Share-Alike 4.0",
            "https://creativecommons.org/licenses/by-sa/4.0/", "CC_BYSA_4_0"),
    License("CC0-1.0", "Creative Commons CCZero", "https://creativecommons.org/publicdomain/zero/1.0/", "CC0"),
    License("ODbL-1.0", "Open Data Commons Open Database License (ODbL)",
            "https://opendatacommons.org/licenses/odbl/1-0/", "ODC_BL"),
)}

DEFAULT_LICENSE = "CC-BY-4.0"

ORGANIZATION_KINDS = ("department", "municipal_company", "partner")


def theme_uri(code: str) -> str:
    return f"{EU}/data-theme/{code}"


def frequency_uri(code: str) -> str:
    return f"{EU}/frequency/{code}"


def file_type_uri(code: str) -> str:
    return f"{EU}/file-type/{code}"


def license_uri(license_id: str) -> str:
    return f"{EU}/licence/{LICENSES[license_id].eu_code}"


def format_of(filename: str) -> Format | None:
    """The format a file's extension names, or None."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return next((f for f in FORMATS.values() if f.extension == ext), None)
