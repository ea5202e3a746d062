"""DCAT-AP 3.0.1 serialisation of the public catalogue, at /catalog.ttl|.rdf|.jsonld and per dataset.

National and European portals (dados.gov.pt, data.europa.eu) harvest these documents and check them
against the official SHACL shapes, which infer nothing: so every linked resource states its class (a
publisher `a foaf:Agent`, a licence `a dct:LicenseDocument`…), every date its XSD type (the 3.0.1 shapes
do not check dates, harvesters do), and coded values are EU vocabulary URIs from vocab.py. An adapter
only: what is public, and every value, comes from the catalogue's service.

URIs are stable and opaque (`<base>/dataset/<public_id>`), so a renamed dataset stays the same record for
the harvesters; the human pages (`/data/<name>`) are its landing page. A catalogue of a few thousand
datasets is one document; paging (hydra:PagedCollection, as ckanext-dcat does) is not needed yet.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import BytesIO
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS as DCT
from rdflib.namespace import FOAF, RDF, SKOS, XSD
from rdflib.plugins.serializers.turtle import TurtleSerializer
from rdflib.term import Node
from sqlalchemy.orm import Session

from praca.core.db import DbSession
from praca.core.errors import NotFound
from praca.opendata import service, vocab
from praca.opendata.ckan_dicts import download_name
from praca.opendata.models import Dataset, Organization, Resource
from praca.settings import Settings

router = APIRouter(include_in_schema=False)

# rdflib's DCAT is the closed DCAT 2 term list; DCAT-AP 3 also uses DCAT 3 terms (dcat:version).
DCAT = Namespace("http://www.w3.org/ns/dcat#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
NAMESPACES = {"dcat": DCAT, "dct": DCT, "foaf": FOAF, "vcard": VCARD, "skos": SKOS, "adms": ADMS,
              "spdx": SPDX, "gsp": GSP, "xsd": XSD, "rdf": RDF}
# Inline, so the JSON-LD parses offline (a URL context needs the network to expand).
JSONLD_CONTEXT = {prefix: str(ns) for prefix, ns in NAMESPACES.items()}

SERIALISATIONS = {  # extension → (rdflib format, media type)
    "ttl": ("turtle", "text/turtle; charset=utf-8"),
    "rdf": ("pretty-xml", "application/rdf+xml"),
    "jsonld": ("json-ld", "application/ld+json"),
}
CACHE_CONTROL = "public, max-age=300"  # harvesters poll daily; five minutes spares the database bursts

EU_LANGUAGES = {"pt": f"{vocab.EU}/language/POR", "en": f"{vocab.EU}/language/ENG"}
THEME_SCHEME = URIRef(f"{vocab.EU}/data-theme")
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
CKAN_API_DOCS = URIRef("https://docs.ckan.org/en/2.10/api/")
# ADMS publisher types (the range of the publisher's dct:type); a partner body can be anything, so none.
PUBLISHER_TYPES = {"department": "LocalAuthority", "municipal_company": "Company", "city": "LocalAuthority"}
# ADMS licence types of the licences vocab.py offers.
LICENCE_TYPES = {"CC-BY-4.0": ("Attribution",), "CC-BY-SA-4.0": ("Attribution", "ViralEffect-ShareAlike"),
                 "CC0-1.0": ("PublicDomain",), "ODbL-1.0": ("Attribution", "ViralEffect-ShareAlike")}
ADMS_LABELS = {"LocalAuthority": "Local Authority", "Company": "Company", "Attribution": "Attribution",
               "ViralEffect-ShareAlike": "Viral effect (a.k.a. Share-alike)", "PublicDomain": "Public domain"}


def iri(value: str) -> URIRef:
    """A URIRef safe to serialise: characters an IRI may not hold (spaces, quotes, <>…) percent-encoded,
    so a steward's pasted link cannot break the Turtle or the XML."""
    return URIRef(quote(value.strip(), safe=":/?#[]@!$&'()*+,;=%~-._"))


def _datetime(value: datetime) -> Literal:
    return Literal(value.astimezone(UTC).replace(microsecond=0), datatype=XSD.dateTime)


def _coordinate(degrees: float) -> str:
    return repr(round(degrees, 7))  # ~1 cm; no float noise (-8.620000000000001) in the WKT


def _date(value: date) -> Literal:
    return Literal(value, datatype=XSD.date)


class CatalogueGraph:
    """One DCAT-AP graph being built; shared nodes (publishers, themes, licences) are added once."""

    def __init__(self, settings: Settings) -> None:
        self.base = settings.base_url.rstrip("/")
        self.settings = settings
        self.g = Graph(bind_namespaces="core")  # "core" keeps xml: for xml:lang in RDF/XML
        for prefix, namespace in NAMESPACES.items():
            self.g.bind(prefix, namespace)
        self.catalog = URIRef(f"{self.base}/catalog")
        self.city = URIRef(f"{self.base}/catalog#publisher")
        self.api = URIRef(f"{self.base}/catalog#ckan-api")

    # --- URIs -----------------------------------------------------------------------------------------------

    def dataset_uri(self, dataset: Dataset) -> URIRef:
        return URIRef(f"{self.base}/dataset/{dataset.public_id}")

    def distribution_uri(self, dataset: Dataset, resource: Resource) -> URIRef:
        return URIRef(f"{self.base}/dataset/{dataset.public_id}/resource/{resource.public_id}")

    def landing_page(self, dataset: Dataset) -> URIRef:
        return URIRef(f"{self.base}/data/{dataset.name}")

    # --- small helpers --------------------------------------------------------------------------------------

    def add(self, s: Node, p: URIRef, o: Node) -> None:
        self.g.add((s, p, o))

    def texts(self, node: Node, predicate: URIRef, pt: str | None, en: str | None) -> None:
        """A text in the city's two languages, each tagged; an empty one is left out, not stated blank."""
        for lang, value in (("pt", pt), ("en", en)):
            if value and value.strip():
                self.add(node, predicate, Literal(value.strip(), lang=lang))

    def typed(self, uri: str | URIRef, *classes: URIRef) -> URIRef:
        node = uri if isinstance(uri, URIRef) else iri(uri)
        for cls in classes:
            self.add(node, RDF.type, cls)
        return node

    def document(self, url: str | URIRef) -> URIRef:
        return self.typed(url, FOAF.Document)

    def concept(self, uri: str, pt: str, en: str, *classes: URIRef) -> URIRef:
        """A coded value: typed skos:Concept (the range shapes need it) with the labels the shapes require."""
        node = self.typed(uri, SKOS.Concept, *classes)
        self.texts(node, SKOS.prefLabel, pt, en)
        return node

    def adms_concept(self, scheme: str, code: str) -> URIRef:
        node = self.typed(f"http://purl.org/adms/{scheme}/{code}", SKOS.Concept)
        self.add(node, SKOS.prefLabel, Literal(ADMS_LABELS[code], lang="en"))
        return node

    def licence(self, license_id: str) -> URIRef:
        lic = vocab.LICENSES[license_id]
        node = self.typed(vocab.license_uri(license_id), DCT.LicenseDocument)
        self.add(node, DCT.title, Literal(lic.title, lang="en"))
        for code in LICENCE_TYPES.get(license_id, ()):
            self.add(node, DCT.type, self.adms_concept("licencetype", code))
        return node

    def languages(self, node: URIRef) -> None:
        for uri in EU_LANGUAGES.values():
            self.add(node, DCT.language, self.typed(uri, DCT.LinguisticSystem))

    def location(self, name: str | None, bbox: list[float] | tuple[float, ...] | None,
                 centre: tuple[float, float] | None = None) -> BNode:
        """A dct:Location: its name, and its box (and centre) as WKT in longitude-latitude order (CRS84)."""
        node = BNode()
        self.add(node, RDF.type, DCT.Location)
        if name:
            self.add(node, SKOS.prefLabel, Literal(name))
        if bbox:
            west, south, east, north = bbox
            w, s, e, n = (_coordinate(c) for c in bbox)
            wkt = f"POLYGON(({w} {s}, {e} {s}, {e} {n}, {w} {n}, {w} {s}))"
            self.add(node, DCAT.bbox, Literal(wkt, datatype=GSP.wktLiteral))
            centre = centre or ((south + north) / 2, (west + east) / 2)
        if centre:
            lat, lon = centre
            point = f"POINT({_coordinate(lon)} {_coordinate(lat)})"
            self.add(node, DCAT.centroid, Literal(point, datatype=GSP.wktLiteral))
        return node

    # --- agents ---------------------------------------------------------------------------------------------

    def city_publisher(self) -> URIRef:
        node = self.typed(self.city, FOAF.Agent)
        city = self.settings.city_name
        self.texts(node, FOAF.name, f"Câmara Municipal — {city}", f"City council — {city}")
        self.add(node, DCT.type, self.adms_concept("publishertype", PUBLISHER_TYPES["city"]))
        return node

    def organisation(self, org: Organization) -> URIRef:
        node = self.typed(f"{self.base}/organization/{org.public_id}", FOAF.Agent)
        self.texts(node, FOAF.name, org.title_pt, org.title_en)
        if org.kind in PUBLISHER_TYPES:
            self.add(node, DCT.type, self.adms_concept("publishertype", PUBLISHER_TYPES[org.kind]))
        if org.email:
            self.add(node, FOAF.mbox, iri(f"mailto:{org.email}"))
        if org.website:
            self.add(node, FOAF.homepage, self.document(org.website))
        return node

    def contact_point(self, dataset: Dataset) -> BNode | None:
        """The dataset's contact (a team, never a person), as a vCard organisation; named after the
        publisher when only an address is given."""
        if not (dataset.contact_name or dataset.contact_email):
            return None
        node = BNode()
        self.add(node, RDF.type, VCARD.Kind)  # the range shape checks the class itself, without inference
        self.add(node, RDF.type, VCARD.Organization)
        if dataset.contact_name:
            self.add(node, VCARD.fn, Literal(dataset.contact_name))
        else:
            self.texts(node, VCARD.fn, dataset.organization.title_pt, dataset.organization.title_en)
        if dataset.contact_email:
            self.add(node, VCARD.hasEmail, iri(f"mailto:{dataset.contact_email}"))
        return node

    # --- the catalogue and its service ----------------------------------------------------------------------

    def add_catalog(self, datasets: list[Dataset], *, dates: bool = True) -> URIRef:
        """The catalogue node. `dates` is off for a one-dataset record, whose catalogue dates would need
        the whole catalogue read."""
        cat = self.typed(self.catalog, DCAT.Catalog)
        city = self.settings.city_name
        self.texts(cat, DCT.title, f"Portal de dados abertos — {city}", f"Open data portal — {city}")
        self.texts(cat, DCT.description,
                   "Dados dos serviços municipais, das empresas municipais e de entidades parceiras, abertos a "
                   "todos; antes de publicado, cada ficheiro é verificado para que nenhum cidadão possa ser "
                   "identificado.",
                   "Data from the city's departments, municipal companies and partner bodies, open to all; "
                   "before publication every file is checked so that no citizen can be identified.")
        self.add(cat, DCT.publisher, self.city_publisher())
        self.add(cat, FOAF.homepage, self.document(f"{self.base}/data"))
        self.languages(cat)
        self.add(cat, DCT.license, self.licence(vocab.DEFAULT_LICENSE))
        self.add(cat, DCT.spatial, self.location(city, self.settings.city_bounds, self.settings.city_center))
        scheme = self.typed(THEME_SCHEME, SKOS.ConceptScheme)
        self.add(scheme, DCT.title, Literal("Data theme", lang="en"))
        self.add(cat, DCAT.themeTaxonomy, scheme)
        if dates and datasets:
            issued = [d.issued_at for d in datasets if d.issued_at]
            if issued:
                self.add(cat, DCT.issued, _datetime(min(issued)))
            self.add(cat, DCT.modified, _datetime(max(d.modified_at for d in datasets)))
        self.add(cat, DCAT.service, self.add_api(datasets))
        for dataset in datasets:
            self.add(cat, DCAT.dataset, self.dataset_uri(dataset))
        return cat

    def add_api(self, datasets: list[Dataset]) -> URIRef:
        """The CKAN Action API (with its DataStore queries) that serves every public dataset."""
        api = self.typed(self.api, DCAT.DataService)
        self.texts(api, DCT.title, "API CKAN do portal (metadados e consultas DataStore)",
                   "The portal's CKAN Action API (metadata and DataStore queries)")
        self.texts(api, DCT.description,
                   "A API de ações do CKAN 2.10: pesquisa e leitura do catálogo e consultas às tabelas dos "
                   "recursos tabulares (datastore_search, datastore_search_sql).",
                   "CKAN 2.10's Action API: catalogue search and reads, and queries over the tabular "
                   "resources' tables (datastore_search, datastore_search_sql).")
        self.add(api, DCAT.endpointURL, URIRef(f"{self.base}/api/3/action/"))
        self.add(api, DCAT.endpointDescription, CKAN_API_DOCS)
        standard = self.typed(CKAN_API_DOCS, DCT.Standard)
        self.add(standard, DCT.title, Literal("CKAN Action API 2.10", lang="en"))
        self.add(api, DCT.conformsTo, standard)
        self.add(api, DCT.publisher, self.city_publisher())
        self.add(api, DCT.license, self.licence(vocab.DEFAULT_LICENSE))
        for keyword in ("CKAN", "API", "DataStore"):
            self.add(api, DCAT.keyword, Literal(keyword))
        for dataset in datasets:
            self.add(api, DCAT.servesDataset, self.dataset_uri(dataset))
            for code in dataset.themes:
                self.add(api, DCAT.theme, self.theme(code))
        return api

    def theme(self, code: str) -> URIRef:
        node = self.concept(vocab.theme_uri(code), *vocab.THEMES[code])
        self.add(node, SKOS.inScheme, THEME_SCHEME)
        return node

    # --- datasets -------------------------------------------------------------------------------------------

    def add_dataset(self, session: Session, dataset: Dataset) -> URIRef:
        ds = self.typed(self.dataset_uri(dataset), DCAT.Dataset)
        self.add(ds, DCT.identifier, Literal(dataset.public_id))
        self.texts(ds, DCT.title, dataset.title_pt, dataset.title_en)
        if dataset.notes_pt.strip() or dataset.notes_en.strip():
            self.texts(ds, DCT.description, dataset.notes_pt, dataset.notes_en)
        else:  # DCAT-AP makes a description mandatory; the title is the most the catalogue knows
            self.texts(ds, DCT.description, dataset.title_pt, dataset.title_en)
        self.add(ds, DCT.publisher, self.organisation(dataset.organization))
        for code in dataset.themes:
            self.add(ds, DCAT.theme, self.theme(code))
        for keyword in dataset.keywords:
            self.add(ds, DCAT.keyword, Literal(keyword))
        if dataset.temporal_start or dataset.temporal_end:
            period = BNode()
            self.add(period, RDF.type, DCT.PeriodOfTime)
            if dataset.temporal_start:
                self.add(period, DCAT.startDate, _date(dataset.temporal_start))
            if dataset.temporal_end:
                self.add(period, DCAT.endDate, _date(dataset.temporal_end))
            self.add(ds, DCT.temporal, period)
        if dataset.spatial or dataset.spatial_bbox:
            self.add(ds, DCT.spatial, self.location(dataset.spatial, dataset.spatial_bbox))
        if dataset.frequency:
            frequency = self.concept(vocab.frequency_uri(dataset.frequency), *vocab.FREQUENCIES[dataset.frequency],
                                     DCT.Frequency)
            self.add(ds, DCT.accrualPeriodicity, frequency)
        contact = self.contact_point(dataset)
        if contact is not None:
            self.add(ds, DCAT.contactPoint, contact)
        self.add(ds, DCAT.landingPage, self.document(self.landing_page(dataset)))
        if dataset.issued_at:
            self.add(ds, DCT.issued, _datetime(dataset.issued_at))
        self.add(ds, DCT.modified, _datetime(dataset.modified_at))
        self.add(ds, DCAT.version, Literal(str(dataset.version)))
        last = service.latest_version(session, dataset)
        if last is not None:
            self.add(ds, ADMS.versionNotes, Literal(version_note(last.number, last.change, last.changed_fields),
                                                    lang="en"))
        for resource in dataset.resources:
            self.add(ds, DCAT.distribution, self.add_distribution(dataset, resource))
        return ds

    def add_distribution(self, dataset: Dataset, resource: Resource) -> URIRef:
        dist = self.typed(self.distribution_uri(dataset, resource), DCAT.Distribution)
        self.texts(dist, DCT.title, resource.name_pt, resource.name_en)
        self.texts(dist, DCT.description, resource.description_pt, resource.description_en)
        fmt = vocab.FORMATS.get(resource.format)
        if resource.url:  # linked: the link is where the data is reached; what it serves is not ours to vouch
            self.add(dist, DCAT.accessURL, iri(resource.url))
        else:
            self.add(dist, DCAT.accessURL, self.landing_page(dataset))
            self.add(dist, DCAT.downloadURL, URIRef(self.download_url(dataset, resource)))
            if resource.size is not None:
                self.add(dist, DCAT.byteSize, Literal(resource.size, datatype=XSD.nonNegativeInteger))
            if resource.sha256:
                checksum = BNode()
                self.add(checksum, RDF.type, SPDX.Checksum)
                self.add(checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256)
                self.add(checksum, SPDX.checksumValue, Literal(resource.sha256, datatype=XSD.hexBinary))
                self.add(dist, SPDX.checksum, checksum)
        if resource.parquet:  # in the datastore: also queryable through the API
            self.add(dist, DCAT.accessService, self.api)
        if fmt is not None:
            self.add(dist, DCT.format, self.typed(vocab.file_type_uri(fmt.code), DCT.MediaTypeOrExtent))
        mimetype = resource.mimetype or (fmt.mimetype if fmt else None)
        if mimetype:
            self.add(dist, DCAT.mediaType, self.typed(IANA_MEDIA_TYPES + mimetype, DCT.MediaType))
        self.add(dist, DCT.license, self.licence(dataset.license_id))
        self.add(dist, DCT.issued, _datetime(resource.created_at))
        self.add(dist, DCT.modified, _datetime(resource.modified_at))
        return dist

    def download_url(self, dataset: Dataset, resource: Resource) -> str:
        """The uploaded file itself, at the URL the CKAN API gives as the resource's `url`, so harvesters
        match the two. Not the datastore's CSV dump: the checksum, size and format stated beside it
        describe the uploaded bytes, which the dump (re-exported from Parquet) does not reproduce; the
        datastore is reached through the distribution's dcat:accessService instead."""
        return (f"{self.base}/dataset/{dataset.public_id}/resource/{resource.public_id}/download/"
                f"{download_name(resource)}")


INTERNAL_FIELDS = {"quasi_identifiers", "k_threshold", "state"}  # the gate's settings are not public metadata


def version_note(number: int, change: str, fields: list[str]) -> str:
    """What the last saved version changed, from the change history (never who changed it)."""
    shown = [f for f in fields if f not in INTERNAL_FIELDS] if change == "updated" else []
    return f"Version {number}: {change.replace('_', ' ')}" + (f" ({', '.join(shown)})." if shown else ".")


# --- building and serving -------------------------------------------------------------------------------------

def catalog_graph(session: Session, settings: Settings) -> Graph:
    """The whole public catalogue: drafts, withdrawn and deleted datasets are never in it."""
    datasets = service.public_datasets(session)
    builder = CatalogueGraph(settings)
    builder.add_catalog(datasets)
    for dataset in datasets:
        builder.add_dataset(session, dataset)
    return builder.g


def dataset_graph(session: Session, settings: Settings, name_or_id: str) -> Graph:
    """One public dataset as a catalogue record: the dataset, its distributions and the catalogue node
    referencing it. NotFound for an unknown or unpublished dataset."""
    dataset = service.get_dataset(session, name_or_id)
    builder = CatalogueGraph(settings)
    builder.add_catalog([dataset], dates=False)
    builder.add_dataset(session, dataset)
    return builder.g


class _Turtle(TurtleSerializer):
    """rdflib's Turtle, with prefixed names only for the vocabularies bound above.

    rdflib records every URI's "namespace" and searches all of them for each name it writes: each
    distribution (`…/dataset/<id>/resource/<id>`) adds one, so a catalogue of 1,000 datasets took 12 s.
    Our own URIs are written in full anyway (no prefix is bound for them); skipping the search makes
    that 1.4 s, for the same document. (`str.startswith`: rdflib's own takes no tuple.)"""

    _bound = tuple(str(ns) for ns in NAMESPACES.values())

    def get_pname(self, uri: Node, gen_prefix: bool = True) -> str | None:
        if isinstance(uri, URIRef) and not str.startswith(uri, self._bound):
            return None
        return super().get_pname(uri, gen_prefix)


def serialise(graph: Graph, ext: str) -> bytes:
    fmt, _ = SERIALISATIONS[ext]
    if fmt == "json-ld":
        return graph.serialize(format=fmt, encoding="utf-8", context=JSONLD_CONTEXT, auto_compact=True)
    if fmt == "turtle":
        out = BytesIO()
        _Turtle(graph).serialize(out, encoding="utf-8")
        return out.getvalue()
    return graph.serialize(format=fmt, encoding="utf-8")


def _response(graph: Graph, ext: str) -> Response:
    return Response(serialise(graph, ext), media_type=SERIALISATIONS[ext][1],
                    headers={"Cache-Control": CACHE_CONTROL})


def _not_found(error: NotFound) -> JSONResponse:
    # Always the JSON body: a harvester asks for RDF, never for the HTML error page.
    return JSONResponse(error.body(), status_code=error.status)


def _unknown_format(ext: str) -> JSONResponse:
    return _not_found(NotFound(f"No serialisation '.{ext}'; use one of: "
                               + ", ".join(f".{e}" for e in SERIALISATIONS) + ".", field="format"))


@router.get("/catalog.{ext}")
def catalog(ext: str, request: Request, session: DbSession) -> Response:
    if ext not in SERIALISATIONS:
        return _unknown_format(ext)
    return _response(catalog_graph(session, request.app.state.settings), ext)


@router.get("/dataset/{name_or_id}.{ext}")
def dataset_record(name_or_id: str, ext: str, request: Request, session: DbSession) -> Response:
    if ext not in SERIALISATIONS:
        return _unknown_format(ext)
    try:
        graph = dataset_graph(session, request.app.state.settings, name_or_id)
    except NotFound as error:
        return _not_found(error)
    return _response(graph, ext)
