"""DCAT-AP 3.0.1: the public catalogue and each dataset as RDF, valid against the official SHACL shapes.

The shapes and their validator are the standard's own files in ../shared/conformance (next to the
checkout), run as a subprocess exactly as a harvester's operator would run them.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS as DCT
from rdflib.namespace import FOAF, RDF, SKOS
from sqlalchemy.orm import Session

from praca.opendata import demo, service
from praca.opendata.models import Dataset
from praca.opendata.schemas import DatasetIn, ResourceIn
from praca.settings import Settings
from tests.opendata.factories import ACTOR, add_csv, make_dataset, make_organization, write_csv

ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE = (ROOT / ".." / "shared" / "conformance").resolve()
VALIDATOR = CONFORMANCE / "validate_dcat.py"

DCAT = Namespace("http://www.w3.org/ns/dcat#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")  # rdflib's closed XSD warns when pytest probes it
EU = "http://publications.europa.eu/resource/authority"
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
READINGS = [{"estacao": station, "hora": f"2026-01-01 {h:02d}:00", "pm10": 10 + h, "no2": 30 - h}
            for station in ("Boavista", "Campanhã", "Sobreiras") for h in range(8)]
LINK_WITH_SPACES = "https://dados.example.org/parques 2026.csv?zona=baixa&\"tipo\"=<coberto>"


def validate(path: Path, profile: str = "full") -> subprocess.CompletedProcess[str]:
    """The official shapes through the conformance folder's own script, as a separate process."""
    assert VALIDATOR.is_file(), f"the DCAT-AP conformance files belong at {CONFORMANCE} (see DESIGN.md)"
    return subprocess.run([sys.executable, str(VALIDATOR), "-p", profile, str(path)],
                          capture_output=True, text=True, timeout=120, check=False)


def assert_conforms(turtle: bytes, path: Path) -> None:
    path.write_bytes(turtle)
    result = validate(path)
    report = result.stdout + result.stderr
    assert result.returncode == 0, f"DCAT-AP violations in {path.name}:\n{report}"
    assert "profile full: 0 violation(s)" in result.stdout, report


def fetch(client: TestClient, path: str) -> Graph:
    response = client.get(path)
    assert response.status_code == 200, response.text
    fmt = {"ttl": "turtle", "rdf": "xml", "jsonld": "json-ld"}[path.rsplit(".", 1)[1]]
    return Graph().parse(data=response.content, format=fmt)


@dataclass
class Catalogue:
    air: Dataset  # every optional field; a CSV in the datastore, an uploaded PDF and a link
    bins: Dataset  # another publisher (a municipal company), CC0, an upload and a link
    parking: Dataset  # a partner body without e-mail, ODbL, a link whose URL needs escaping
    minimal: Dataset  # none of the optional metadata, no resources
    draft: Dataset
    withdrawn: Dataset
    deleted: Dataset

    @property
    def public(self) -> list[Dataset]:
        return [self.air, self.bins, self.parking, self.minimal]


def publish(session: Session, settings: Settings, dataset: Dataset) -> None:
    version = service.publish(session, settings, dataset, ACTOR)
    assert version.gate_passed, version.gate_report


def link(session: Session, settings: Settings, dataset: Dataset, url: str, name: str, fmt: str) -> None:
    service.add_resource(session, settings, dataset,
                         ResourceIn(name_pt=name, name_en=name, url=url, format=fmt,
                                    description_pt=f"{name}, na fonte.", description_en=f"{name}, at the source."),
                         ACTOR)


@pytest.fixture
def catalogue(session: Session, settings: Settings, tmp_path: Path) -> Catalogue:
    make_organization(session)
    service.ensure_organization(session, name="aguas-do-porto", title_pt="Águas e Energia do Porto, EM",
                                title_en="Porto Water and Energy", kind="municipal_company",
                                website="https://aguas.example/", email="dados@aguas.example")
    service.ensure_organization(session, name="universidade", title_pt="Universidade parceira",
                                title_en="Partner university", kind="partner")
    air = make_dataset(session, temporal_end="2026-06-30", themes=["ENVI", "HEAL"])
    add_csv(session, settings, air, write_csv(tmp_path / "leituras.csv", READINGS), name="Leituras horárias")
    pdf = tmp_path / "metodologia.pdf"
    pdf.write_bytes(PDF_BYTES)
    service.add_resource(session, settings, air, ResourceIn(name_pt="Metodologia", name_en="Methodology",
                                                            description_pt="Como se mede.",
                                                            description_en="How it is measured."),
                         ACTOR, upload=pdf, filename=pdf.name)
    link(session, settings, air, "https://api.example.org/air?station=Boavista&format=json", "Estação", "JSON")
    bins = make_dataset(session, name="contentores", title_pt="Contentores de resíduos", title_en="Waste bins",
                        organization="aguas-do-porto", themes=["ENVI", "REGI"], keywords=["resíduos"],
                        license_id="CC0-1.0", frequency="WEEKLY", temporal_start="2025-01-01",
                        temporal_end="2025-12-31", contact_name=None, contact_email="contentores@aguas.example")
    service.add_resource(session, settings, bins, ResourceIn(name_pt="Mapa", name_en="Map"), ACTOR,
                         upload=pdf, filename=pdf.name)
    link(session, settings, bins, "https://aguas.example/contentores.geojson", "Contentores", "GEOJSON")
    parking = make_dataset(session, name="estacionamento", title_pt="Parques de estacionamento",
                           title_en="Car parks", organization="universidade", themes=["TRAN"], keywords=["carro"],
                           license_id="ODbL-1.0", frequency="DAILY", spatial="Baixa do Porto", spatial_bbox=None,
                           contact_name="Laboratório de mobilidade", contact_email=None)
    link(session, settings, parking, LINK_WITH_SPACES, "Lugares livres", "CSV")
    minimal = service.create_dataset(session, DatasetIn(name="ruido", title_pt="Ruído", title_en="Noise",
                                                        organization="ambiente"), ACTOR)
    draft = make_dataset(session, name="rascunho", title_pt="Rascunho", title_en="Draft")
    withdrawn = make_dataset(session, name="retirado", title_pt="Retirado", title_en="Withdrawn")
    deleted = make_dataset(session, name="apagado", title_pt="Apagado", title_en="Deleted")
    for dataset in (air, bins, parking, minimal, withdrawn, deleted):
        publish(session, settings, dataset)
    service.withdraw(session, withdrawn, "Dados errados.", ACTOR)
    service.delete_dataset(session, deleted, ACTOR)
    session.flush()
    # The app shares this session; a real request starts with nothing loaded.
    session.expire_all()
    return Catalogue(air=service.get_dataset(session, air.name), bins=service.get_dataset(session, bins.name),
                     parking=service.get_dataset(session, parking.name), minimal=minimal, draft=draft,
                     withdrawn=withdrawn, deleted=deleted)


def uri(settings: Settings, dataset: Dataset) -> URIRef:
    return URIRef(f"{settings.base_url.rstrip('/')}/dataset/{dataset.public_id}")


# --- conformance ------------------------------------------------------------------------------------------------

def test_the_validator_runs_and_rejects_the_invalid_sample(tmp_path: Path) -> None:
    invalid = validate(CONFORMANCE / "dcat-ap" / "sample-catalog-missing-description.ttl")
    assert invalid.returncode == 1, invalid.stdout + invalid.stderr
    assert "profile full: 1 violation(s)" in invalid.stdout and "dct:description" in invalid.stdout
    assert validate(CONFORMANCE / "dcat-ap" / "sample-catalog.ttl").returncode == 0


def test_the_catalogue_conforms_to_dcat_ap(client: TestClient, catalogue: Catalogue, tmp_path: Path) -> None:
    response = client.get("/catalog.ttl")
    assert response.status_code == 200
    assert_conforms(response.content, tmp_path / "catalog.ttl")


def test_one_dataset_records_conform_to_dcat_ap(client: TestClient, catalogue: Catalogue, tmp_path: Path) -> None:
    for dataset in (catalogue.air, catalogue.minimal):
        response = client.get(f"/dataset/{dataset.name}.ttl")
        assert response.status_code == 200
        assert_conforms(response.content, tmp_path / f"{dataset.name}.ttl")


def test_the_demo_catalogue_conforms(client: TestClient, session: Session, settings: Settings,
                                     tmp_path: Path) -> None:
    """The demo city's catalogue, as harvesters first see it; what the gate refused is not in it."""
    demo.seed(session, settings)
    session.expire_all()
    response = client.get("/catalog.ttl")
    assert_conforms(response.content, tmp_path / "demo.ttl")
    graph = Graph().parse(data=response.content, format="turtle")
    public = service.public_datasets(session)
    assert len(public) >= 10
    assert set(graph.subjects(RDF.type, DCAT.Dataset)) == {uri(settings, d) for d in public}
    unpublished = set(service.dataset_names(session, include_unpublished=True)) - {d.name for d in public}
    assert unpublished  # the demo seeds a dataset with personal data, which the gate refuses
    for name in unpublished:
        hidden = service.get_dataset(session, name, include_unpublished=True)
        assert (uri(settings, hidden), None, None) not in graph


def test_an_empty_catalogue_conforms(client: TestClient, tmp_path: Path) -> None:
    graph = fetch(client, "/catalog.ttl")
    assert not list(graph.objects(None, DCAT.dataset))
    assert_conforms(client.get("/catalog.ttl").content, tmp_path / "empty.ttl")


# --- the three serialisations -------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/catalog", "/dataset/estacionamento"])
def test_turtle_rdf_xml_and_json_ld_hold_the_same_graph(client: TestClient, catalogue: Catalogue,
                                                        path: str) -> None:
    turtle, xml, jsonld = (fetch(client, f"{path}.{ext}") for ext in ("ttl", "rdf", "jsonld"))
    assert len(turtle) > 50
    assert isomorphic(turtle, xml) and isomorphic(turtle, jsonld)
    text = client.get(f"{path}.ttl").text  # vocabularies by prefixed name, as rdflib writes them
    assert "@prefix dcat: <http://www.w3.org/ns/dcat#> ." in text and " a dcat:Catalog ;" in text
    context = json.loads(client.get(f"{path}.jsonld").content)["@context"]
    assert isinstance(context, dict) and context["dcat"] == str(DCAT)  # inline: parses offline


def test_content_types_and_caching(client: TestClient, catalogue: Catalogue) -> None:
    for ext, media_type in (("ttl", "text/turtle"), ("rdf", "application/rdf+xml"),
                            ("jsonld", "application/ld+json")):
        for path in (f"/catalog.{ext}", f"/dataset/{catalogue.air.name}.{ext}",
                     f"/dataset/{catalogue.air.public_id}.{ext}"):
            response = client.get(path)
            assert response.status_code == 200
            assert response.headers["content-type"].split(";")[0] == media_type
            assert "max-age=300" in response.headers["cache-control"]


def test_unknown_unpublished_and_unserialisable_are_404_in_json(client: TestClient, catalogue: Catalogue) -> None:
    for path in ("/dataset/nao-existe.ttl", f"/dataset/{catalogue.draft.name}.ttl",
                 f"/dataset/{catalogue.withdrawn.name}.rdf", f"/dataset/{catalogue.deleted.public_id}.jsonld",
                 "/catalog.xml", f"/dataset/{catalogue.air.name}.n3"):
        response = client.get(path, headers={"Accept": "text/turtle"})
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found", path


# --- what the catalogue says --------------------------------------------------------------------------------------

def test_only_public_datasets_are_listed(client: TestClient, settings: Settings, catalogue: Catalogue) -> None:
    graph = fetch(client, "/catalog.ttl")
    catalog = URIRef(f"{settings.base_url.rstrip('/')}/catalog")
    listed = set(graph.objects(catalog, DCAT.dataset))
    assert listed == {uri(settings, d) for d in catalogue.public}
    described = set(graph.subjects(RDF.type, DCAT.Dataset))
    assert described == listed
    for hidden in (catalogue.draft, catalogue.withdrawn, catalogue.deleted):
        assert (uri(settings, hidden), None, None) not in graph
        assert hidden.title_en not in graph.serialize(format="nt")
    [service_node] = graph.objects(catalog, DCAT.service)
    assert set(graph.objects(service_node, DCAT.servesDataset)) == listed


def test_a_full_dataset_in_both_languages_with_typed_values(client: TestClient, settings: Settings,
                                                            catalogue: Catalogue) -> None:
    graph = fetch(client, f"/dataset/{catalogue.air.name}.ttl")
    ds = uri(settings, catalogue.air)
    assert set(graph.objects(ds, DCT.title)) == {Literal("Qualidade do ar", lang="pt"),
                                                 Literal("Air quality", lang="en")}
    assert {d.language for d in graph.objects(ds, DCT.description)} == {"pt", "en"}
    assert graph.value(ds, DCT.identifier) == Literal(catalogue.air.public_id)
    for predicate in (DCT.issued, DCT.modified):
        assert graph.value(ds, predicate).datatype == XSD.dateTime
    period = graph.value(ds, DCT.temporal)
    assert (period, RDF.type, DCT.PeriodOfTime) in graph
    assert graph.value(period, DCAT.startDate) == Literal("2026-01-01", datatype=XSD.date)
    assert graph.value(period, DCAT.endDate) == Literal("2026-06-30", datatype=XSD.date)
    place = graph.value(ds, DCT.spatial)
    assert (place, RDF.type, DCT.Location) in graph and str(graph.value(place, SKOS.prefLabel)) == "Porto"
    bbox = graph.value(place, DCAT.bbox)
    assert bbox.datatype == GSP.wktLiteral
    assert str(bbox) == "POLYGON((-8.69 41.13, -8.55 41.13, -8.55 41.19, -8.69 41.19, -8.69 41.13))"
    assert set(graph.objects(ds, DCAT.theme)) == {URIRef(f"{EU}/data-theme/ENVI"), URIRef(f"{EU}/data-theme/HEAL")}
    assert (URIRef(f"{EU}/data-theme/ENVI"), SKOS.prefLabel, Literal("Ambiente", lang="pt")) in graph
    assert {str(k) for k in graph.objects(ds, DCAT.keyword)} == {"ar", "poluição"}
    frequency = graph.value(ds, DCT.accrualPeriodicity)
    assert frequency == URIRef(f"{EU}/frequency/HOURLY") and (frequency, RDF.type, DCT.Frequency) in graph
    publisher = graph.value(ds, DCT.publisher)
    assert (publisher, RDF.type, FOAF.Agent) in graph
    assert Literal("Direção Municipal do Ambiente", lang="pt") in set(graph.objects(publisher, FOAF.name))
    assert graph.value(publisher, DCT.type) == URIRef("http://purl.org/adms/publishertype/LocalAuthority")
    contact = graph.value(ds, DCAT.contactPoint)
    assert (contact, RDF.type, VCARD.Kind) in graph
    assert str(graph.value(contact, VCARD.fn)) == "Equipa de dados abertos"
    assert graph.value(contact, VCARD.hasEmail) == URIRef("mailto:dados@cm-porto.example")
    landing = graph.value(ds, DCAT.landingPage)
    assert landing == URIRef(f"{settings.base_url.rstrip('/')}/data/qualidade-do-ar")
    assert (landing, RDF.type, FOAF.Document) in graph
    assert graph.value(ds, DCAT.version) == Literal(str(catalogue.air.version))
    assert str(graph.value(ds, ADMS.versionNotes)).startswith(f"Version {catalogue.air.version}: ")
    assert len(set(graph.objects(ds, DCAT.distribution))) == 3
    [link] = [d for d in graph.objects(ds, DCAT.distribution) if graph.value(d, DCAT.downloadURL) is None]
    assert graph.value(link, DCAT.accessURL) == URIRef("https://api.example.org/air?station=Boavista&format=json")
    assert set(graph.objects(link, DCT.title)) == {Literal("Estação", lang="pt"), Literal("Estação", lang="en")}
    assert {d.language for d in graph.objects(link, DCT.description)} == {"pt", "en"}


def test_an_uploaded_file_is_downloadable_with_its_size_and_checksum(client: TestClient, settings: Settings,
                                                                     catalogue: Catalogue) -> None:
    graph = fetch(client, f"/dataset/{catalogue.air.name}.jsonld")
    pdf = next(r for r in catalogue.air.resources if r.format == "PDF")
    base = settings.base_url.rstrip("/")
    dist = URIRef(f"{base}/dataset/{catalogue.air.public_id}/resource/{pdf.public_id}")
    assert (uri(settings, catalogue.air), DCAT.distribution, dist) in graph
    # CKAN's download path, with the readable name the Action API gives the resource's url
    assert graph.value(dist, DCAT.downloadURL) == URIRef(f"{dist}/download/methodology.pdf")
    assert service.resource_path(settings, pdf.file).read_bytes() == PDF_BYTES
    assert graph.value(dist, DCAT.accessURL) == URIRef(f"{base}/data/qualidade-do-ar")
    assert graph.value(dist, DCAT.byteSize) == Literal(len(PDF_BYTES), datatype=XSD.nonNegativeInteger)
    checksum = graph.value(dist, SPDX.checksum)
    assert (checksum, RDF.type, SPDX.Checksum) in graph
    assert graph.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
    digest = hashlib.sha256(PDF_BYTES).hexdigest()
    assert graph.value(checksum, SPDX.checksumValue) == Literal(digest, datatype=XSD.hexBinary)
    assert graph.value(dist, DCT.format) == URIRef(f"{EU}/file-type/PDF")
    assert (URIRef(f"{EU}/file-type/PDF"), RDF.type, DCT.MediaTypeOrExtent) in graph
    media = URIRef("https://www.iana.org/assignments/media-types/application/pdf")
    assert graph.value(dist, DCAT.mediaType) == media and (media, RDF.type, DCT.MediaType) in graph
    licence = graph.value(dist, DCT.license)
    assert licence == URIRef(f"{EU}/licence/CC_BY_4_0") and (licence, RDF.type, DCT.LicenseDocument) in graph
    assert set(graph.objects(dist, DCT.title)) == {Literal("Metodologia", lang="pt"),
                                                   Literal("Methodology", lang="en")}
    assert graph.value(dist, DCAT.accessService) is None  # not in the datastore


def test_a_tabular_upload_is_also_served_by_the_datastore_api(client: TestClient, settings: Settings,
                                                              catalogue: Catalogue) -> None:
    graph = fetch(client, f"/dataset/{catalogue.air.name}.ttl")
    csv = next(r for r in catalogue.air.resources if r.format == "CSV")
    base = settings.base_url.rstrip("/")
    dist = URIRef(f"{base}/dataset/{catalogue.air.public_id}/resource/{csv.public_id}")
    assert graph.value(dist, DCT.format) == URIRef(f"{EU}/file-type/CSV")
    assert graph.value(dist, DCAT.mediaType) == URIRef("https://www.iana.org/assignments/media-types/text/csv")
    assert graph.value(dist, DCAT.downloadURL) == URIRef(f"{dist}/download/leituras-horarias.csv")
    # size and checksum are the uploaded file's, the bytes the download URL serves
    uploaded = service.resource_path(settings, csv.file).read_bytes()
    checksum = graph.value(graph.value(dist, SPDX.checksum), SPDX.checksumValue)
    assert str(checksum) == hashlib.sha256(uploaded).hexdigest() == csv.sha256
    assert int(graph.value(dist, DCAT.byteSize)) == len(uploaded)
    api = graph.value(dist, DCAT.accessService)
    assert (api, RDF.type, DCAT.DataService) in graph
    assert graph.value(api, DCAT.endpointURL) == URIRef(f"{base}/api/3/action/")
    assert (api, DCAT.servesDataset, uri(settings, catalogue.air)) in graph


def test_a_link_is_reached_where_it_lives_and_escaped(client: TestClient, settings: Settings,
                                                      catalogue: Catalogue) -> None:
    graph = fetch(client, f"/dataset/{catalogue.parking.name}.rdf")
    [dist] = graph.objects(uri(settings, catalogue.parking), DCAT.distribution)
    assert graph.value(dist, DCAT.accessURL) == URIRef(
        "https://dados.example.org/parques%202026.csv?zona=baixa&%22tipo%22=%3Ccoberto%3E")
    assert graph.value(dist, DCAT.downloadURL) is None and graph.value(dist, SPDX.checksum) is None
    assert graph.value(dist, DCT.license) == URIRef(f"{EU}/licence/ODC_BL")
    publisher = graph.value(uri(settings, catalogue.parking), DCT.publisher)
    assert graph.value(publisher, DCT.type) is None  # a partner body: no ADMS type fits them all
    place = graph.value(uri(settings, catalogue.parking), DCT.spatial)
    assert str(graph.value(place, SKOS.prefLabel)) == "Baixa do Porto" and graph.value(place, DCAT.bbox) is None


def test_a_dataset_without_optional_metadata(client: TestClient, settings: Settings, catalogue: Catalogue) -> None:
    graph = fetch(client, f"/dataset/{catalogue.minimal.name}.ttl")
    ds = uri(settings, catalogue.minimal)
    # DCAT-AP requires a description; the title stands in for the one never written.
    assert set(graph.objects(ds, DCT.description)) == {Literal("Ruído", lang="pt"), Literal("Noise", lang="en")}
    for absent in (DCAT.theme, DCAT.keyword, DCT.temporal, DCT.spatial, DCT.accrualPeriodicity,
                   DCAT.contactPoint, DCAT.distribution):
        assert graph.value(ds, absent) is None, absent
    assert graph.value(ds, DCT.issued).datatype == XSD.dateTime


def test_the_catalogue_node(client: TestClient, settings: Settings, catalogue: Catalogue) -> None:
    graph = fetch(client, "/catalog.ttl")
    base = settings.base_url.rstrip("/")
    catalog = URIRef(f"{base}/catalog")
    assert {t.language for t in graph.objects(catalog, DCT.title)} == {"pt", "en"}
    assert {d.language for d in graph.objects(catalog, DCT.description)} == {"pt", "en"}
    publisher = graph.value(catalog, DCT.publisher)
    assert (publisher, RDF.type, FOAF.Agent) in graph and graph.value(publisher, FOAF.name) is not None
    assert graph.value(catalog, FOAF.homepage) == URIRef(f"{base}/data")
    languages = set(graph.objects(catalog, DCT.language))
    assert languages == {URIRef(f"{EU}/language/POR"), URIRef(f"{EU}/language/ENG")}
    assert all((lang, RDF.type, DCT.LinguisticSystem) in graph for lang in languages)
    assert graph.value(catalog, DCT.license) == URIRef(f"{EU}/licence/CC_BY_4_0")
    issued, modified = graph.value(catalog, DCT.issued), graph.value(catalog, DCT.modified)
    assert issued.datatype == modified.datatype == XSD.dateTime
    assert modified.toPython() == max(d.modified_at for d in catalogue.public).replace(microsecond=0)
    api = graph.value(catalog, DCAT.service)
    assert graph.value(api, DCAT.endpointURL) == URIRef(f"{base}/api/3/action/")
