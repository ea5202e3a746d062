"""Porto's demo device register, as plain data: no database, same output for the same seed.

Fictional but plausible: devices cluster around real places in the city's seven parishes, and each kind
of deployment declares what a Portuguese municipality would (purposes, legal basis, retention,
safeguards), so the map, the "near me" search, the citizen cards and the exports look like a real city's.
Coordinates, counts, fleet numbers and DPIA references are invented; this is not Porto's real register.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple

from praca.registry.taxonomy import DataType as D
from praca.registry.taxonomy import Deidentification as X
from praca.registry.taxonomy import DeviceType as T
from praca.registry.taxonomy import LegalBasis as L
from praca.registry.taxonomy import OperatorKind as K
from praca.registry.taxonomy import PersonalDataCategory as C
from praca.registry.taxonomy import Purpose as P
from praca.registry.taxonomy import Status, label

BOUNDS = (-8.691, 41.138, -8.553, 41.186)  # min_lon, min_lat, max_lon, max_lat: Porto municipality, roughly
LAST_VERIFIED_MAX = date(2026, 10, 31)  # the demo's "today"
_INSTALLED_MAX = date(2026, 6, 30)

CENTRO = "Cedofeita, Santo Ildefonso, Sé, Miragaia, São Nicolau e Vitória"
LORDELO = "Lordelo do Ouro e Massarelos"
FOZ = "Aldoar, Foz do Douro e Nevogilde"
PARISHES = ("Bonfim", "Campanhã", "Paranhos", "Ramalde", LORDELO, FOZ, CENTRO)


def departments() -> list[dict[str, str]]:
    """The municipal departments that own devices or answer for them (liaisons belong to one)."""
    rows = [
        ("mobilidade", "Mobilidade e Transportes", "Mobility and Transport"),
        ("ambiente", "Ambiente e Serviços Urbanos", "Environment and Urban Services"),
        ("seguranca", "Polícia Municipal e Proteção Civil", "Municipal Police and Civil Protection"),
        ("educacao", "Educação", "Education"),
        ("saude", "Saúde e Coesão Social", "Health and Social Cohesion"),
        ("cultura", "Cultura", "Culture"),
        ("sistemas-informacao", "Sistemas de Informação e Transição Digital", "IT and Digital Transition"),
        ("urbanismo", "Urbanismo e Espaço Público", "Urban Planning and Public Space"),
    ]
    return [{"slug": s, "name_pt": pt, "name_en": en} for s, pt, en in rows]


def operators() -> list[dict[str, Any]]:
    """Who runs the devices. Contact addresses are office mailboxes, never a person's."""
    cmp, dep, com, oth = "https://www.cm-porto.pt", K.MUNICIPAL_DEPARTMENT, K.MUNICIPAL_COMPANY, K.OTHER
    rows = [
        ("cmp-mobilidade", "Câmara Municipal do Porto – Mobilidade e Transportes", dep, "mobilidade", cmp,
         "mobilidade@cm-porto.example"),
        ("cmp-ambiente", "Câmara Municipal do Porto – Ambiente", dep, "ambiente", cmp, "ambiente@cm-porto.example"),
        ("cmp-urbanismo", "Câmara Municipal do Porto – Urbanismo e Espaço Público", dep, "urbanismo", cmp,
         "espaco.publico@cm-porto.example"),
        ("cmp-sistemas-informacao", "Câmara Municipal do Porto – Sistemas de Informação", dep,
         "sistemas-informacao", cmp, "sistemas.informacao@cm-porto.example"),
        ("policia-municipal", "Polícia Municipal do Porto", dep, "seguranca", cmp,
         "policia.municipal@cm-porto.example"),
        ("porto-ambiente", "Porto Ambiente, E.M.", com, "ambiente", "https://www.portoambiente.pt",
         "privacidade@portoambiente.example"),
        # An association the city founded and funds: for citizens it is a municipal company.
        ("porto-digital", "Associação Porto Digital", com, "sistemas-informacao", "https://www.portodigital.pt",
         "privacidade@portodigital.example"),
        # Owned by the metropolitan municipalities since 2021, Porto the largest shareholder.
        ("stcp", "STCP – Sociedade de Transportes Colectivos do Porto", com, "mobilidade", "https://www.stcp.pt",
         "protecao.dados@stcp.example"),
        ("agora", "Ágora – Cultura e Desporto do Porto, E.M.", com, "cultura", "https://www.agoraporto.pt",
         "privacidade@agoraporto.example"),
        ("psp", "PSP – Polícia de Segurança Pública", oth, None, "https://www.psp.pt", "protecao.dados@psp.example"),
        ("ansr", "ANSR – Autoridade Nacional de Segurança Rodoviária", oth, None, "https://www.ansr.pt",
         "protecao.dados@ansr.example"),
        ("feup", "FEUP – Faculdade de Engenharia da Universidade do Porto", oth, None, "https://sigarra.up.pt/feup",
         "investigacao.ambiente@feup.example"),
        ("ccdr-norte", "CCDR Norte – Rede de Qualidade do Ar", oth, None, "https://www.ccdr-n.pt",
         "qualidade.ar@ccdr-n.example"),
    ]
    keys = ("slug", "name", "kind", "department_slug", "website", "contact_email")
    return [dict(zip(keys, (*row[:2], row[2].value, *row[3:]), strict=True)) for row in rows]


class Place(NamedTuple):
    name: str
    parish: str
    lat: float
    lon: float
    weight: int  # how busy: more devices cluster here
    tags: frozenset[str]


_PLACE_ROWS = [
    ("Avenida dos Aliados", CENTRO, 41.1486, -8.6111, 3, "centro praca noite"),
    ("Praça da Liberdade", CENTRO, 41.1466, -8.6113, 2, "centro praca"),
    ("Estação de São Bento", CENTRO, 41.1456, -8.6104, 2, "centro transportes"),
    ("Ribeira", CENTRO, 41.1413, -8.6130, 3, "centro praca noite rio"),
    ("Sé do Porto", CENTRO, 41.1428, -8.6108, 1, "centro praca"),
    ("Rua das Flores", CENTRO, 41.1433, -8.6138, 2, "centro praca"),
    ("Torre dos Clérigos", CENTRO, 41.1457, -8.6146, 2, "centro praca"),
    ("Galerias de Paris", CENTRO, 41.1472, -8.6152, 1, "centro noite"),
    ("Jardim da Cordoaria", CENTRO, 41.1464, -8.6169, 2, "centro parque noite"),
    ("Mercado do Bolhão", CENTRO, 41.1496, -8.6059, 2, "centro praca"),
    ("Rua de Santa Catarina", CENTRO, 41.1478, -8.6062, 3, "centro praca"),
    ("Praça da Batalha", CENTRO, 41.1445, -8.6062, 2, "centro praca cultura"),
    ("Teatro Rivoli", CENTRO, 41.1483, -8.6090, 1, "centro cultura"),
    ("Trindade", CENTRO, 41.1522, -8.6096, 2, "centro transportes"),
    ("Praça da República", CENTRO, 41.1555, -8.6135, 1, "centro arterial"),
    ("Rua de Cedofeita", CENTRO, 41.1530, -8.6175, 2, "centro praca"),
    ("Praça de Carlos Alberto", CENTRO, 41.1485, -8.6172, 1, "centro praca"),
    ("Miragaia", CENTRO, 41.1447, -8.6210, 1, "centro residencial"),
    ("Rotunda da Boavista", CENTRO, 41.1580, -8.6292, 3, "arterial praca transportes"),
    ("Palácio de Cristal", LORDELO, 41.1480, -8.6260, 2, "parque cultura"),
    ("Casa da Música", LORDELO, 41.1589, -8.6307, 2, "praca transportes cultura"),
    ("Mercado do Bom Sucesso", LORDELO, 41.1552, -8.6330, 1, "praca"),
    ("Campo Alegre", LORDELO, 41.1535, -8.6385, 1, "universidade residencial cultura"),
    ("Massarelos", LORDELO, 41.1490, -8.6375, 1, "rio residencial"),
    ("Ponte da Arrábida (acesso norte)", LORDELO, 41.1500, -8.6420, 1, "arterial"),
    ("Lordelo do Ouro", LORDELO, 41.1520, -8.6480, 1, "residencial"),
    ("Pasteleira", LORDELO, 41.1525, -8.6580, 1, "residencial parque"),
    ("Avenida da Boavista – Bessa", LORDELO, 41.1610, -8.6440, 2, "arterial"),
    ("Serralves", LORDELO, 41.1596, -8.6580, 1, "arterial parque cultura"),
    ("Foz Velha", FOZ, 41.1500, -8.6720, 2, "parque rio noite"),
    ("Avenida do Brasil", FOZ, 41.1565, -8.6775, 2, "rio parque"),
    ("Avenida de Montevideu", FOZ, 41.1635, -8.6825, 1, "rio"),
    ("Castelo do Queijo", FOZ, 41.1662, -8.6850, 1, "rio transportes"),
    ("Parque da Cidade", FOZ, 41.1690, -8.6760, 3, "parque"),
    ("Praça do Império", FOZ, 41.1572, -8.6705, 1, "praca residencial"),
    ("Nevogilde", FOZ, 41.1615, -8.6745, 1, "residencial"),
    ("Aldoar", FOZ, 41.1705, -8.6620, 1, "residencial"),
    ("Fonte da Moura", FOZ, 41.1735, -8.6560, 1, "residencial"),
    ("Estádio do Bessa", "Ramalde", 41.1626, -8.6428, 1, "estadio"),
    ("Ramalde", "Ramalde", 41.1725, -8.6395, 1, "residencial"),
    ("Parque da Prelada", "Ramalde", 41.1745, -8.6425, 1, "parque"),
    ("Francos", "Ramalde", 41.1700, -8.6385, 1, "transportes residencial"),
    ("VCI – Nó de Francos", "Ramalde", 41.1680, -8.6320, 1, "arterial"),
    ("Viso", "Ramalde", 41.1775, -8.6300, 1, "residencial"),
    ("Carvalhido", "Ramalde", 41.1640, -8.6255, 1, "arterial residencial"),
    ("Praça do Marquês", "Paranhos", 41.1608, -8.6040, 2, "praca parque"),
    ("Rua da Constituição", "Paranhos", 41.1620, -8.6130, 1, "arterial residencial"),
    ("Arca d'Água", "Paranhos", 41.1685, -8.6060, 1, "parque residencial"),
    ("Paranhos", "Paranhos", 41.1705, -8.6000, 1, "residencial"),
    ("Hospital de São João", "Paranhos", 41.1810, -8.6010, 2, "transportes arterial"),
    ("Polo Universitário da Asprela", "Paranhos", 41.1780, -8.5965, 2, "universidade"),
    ("Circunvalação – Amial", "Paranhos", 41.1790, -8.6180, 1, "arterial"),
    ("Areosa", "Paranhos", 41.1775, -8.5860, 1, "residencial arterial"),
    ("Antas", "Paranhos", 41.1625, -8.5920, 1, "residencial"),
    ("Campo 24 de Agosto", "Bonfim", 41.1485, -8.5995, 2, "praca transportes"),
    ("Bonfim", "Bonfim", 41.1478, -8.5955, 1, "residencial"),
    ("Heroísmo", "Bonfim", 41.1462, -8.5930, 1, "residencial transportes"),
    ("Fontainhas", "Bonfim", 41.1428, -8.6030, 1, "residencial rio"),
    ("Jardim de São Lázaro", "Bonfim", 41.1465, -8.6020, 1, "parque"),
    ("Praça da Rainha D. Amélia", "Bonfim", 41.1520, -8.6005, 1, "praca"),
    ("Avenida Fernão de Magalhães", "Bonfim", 41.1555, -8.5960, 2, "arterial"),
    ("Estação de Campanhã", "Campanhã", 41.1487, -8.5857, 3, "transportes"),
    ("Terminal Intermodal de Campanhã", "Campanhã", 41.1505, -8.5830, 1, "transportes arterial"),
    ("Estádio do Dragão", "Campanhã", 41.1617, -8.5837, 3, "estadio transportes"),
    ("Matadouro", "Campanhã", 41.1555, -8.5850, 1, "cultura"),
    ("Corujeira", "Campanhã", 41.1560, -8.5800, 1, "residencial parque"),
    ("Contumil", "Campanhã", 41.1655, -8.5855, 1, "transportes residencial"),
    ("Parque Oriental", "Campanhã", 41.1600, -8.5665, 1, "parque"),
    ("Azevedo", "Campanhã", 41.1620, -8.5630, 1, "residencial"),
    ("Freixo", "Campanhã", 41.1500, -8.5760, 1, "rio residencial arterial"),
]
PLACES = tuple(Place(n, p, la, lo, w, frozenset(t.split())) for n, p, la, lo, w, t in _PLACE_ROWS)

# Land edges, conservative, as (lon, lat) or (lat, lon) breakpoints: the Douro bank, the northern
# boundary (Circunvalação) and the Atlantic coast. Points outside are resampled.
_RIVER = ((-8.691, 41.1490), (-8.676, 41.1480), (-8.668, 41.1465), (-8.655, 41.1465), (-8.640, 41.1475),
          (-8.625, 41.1445), (-8.613, 41.1405), (-8.600, 41.1405), (-8.590, 41.1430), (-8.580, 41.1460),
          (-8.570, 41.1495), (-8.553, 41.1535))
_NORTH = ((-8.691, 41.1680), (-8.675, 41.1740), (-8.660, 41.1770), (-8.640, 41.1800), (-8.620, 41.1830),
          (-8.600, 41.1850), (-8.585, 41.1820), (-8.565, 41.1720), (-8.553, 41.1650))
_COAST = ((41.138, -8.672), (41.149, -8.676), (41.156, -8.681), (41.163, -8.686), (41.186, -8.689))


def _interp(x: float, pts: tuple[tuple[float, float], ...]) -> float:
    for (x0, y0), (x1, y1) in itertools.pairwise(pts):
        if x0 <= x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return pts[0][1] if x < pts[0][0] else pts[-1][1]


def on_land(lat: float, lon: float) -> bool:
    """Inside the municipality's box, north of the Douro, east of the sea, south of the Circunvalação."""
    min_lon, min_lat, max_lon, max_lat = BOUNDS
    return (min_lon <= lon <= max_lon and min_lat <= lat <= max_lat and lon >= _interp(lat, _COAST)
            and _interp(lon, _RIVER) <= lat <= _interp(lon, _NORTH))


# STCP lines as (lat, lon) stops inside the city; an on-bus access point's route is its line's.
BUS_LINES = (
    ("200", "Bolhão – Castelo do Queijo", ((41.1496, -8.6059), (41.1486, -8.6111), (41.1462, -8.6140),
     (41.1464, -8.6169), (41.1484, -8.6262), (41.1492, -8.6375), (41.1500, -8.6430), (41.1520, -8.6560),
     (41.1505, -8.6720), (41.1565, -8.6775), (41.1660, -8.6855))),
    ("201", "Aliados – Viso", ((41.1486, -8.6111), (41.1522, -8.6096), (41.1555, -8.6135), (41.1640, -8.6255),
     (41.1680, -8.6320), (41.1725, -8.6395), (41.1775, -8.6300))),
    ("204", "Hospital de São João – Foz", ((41.1810, -8.6010), (41.1780, -8.5965), (41.1685, -8.6060),
     (41.1608, -8.6040), (41.1620, -8.6130), (41.1580, -8.6292), (41.1610, -8.6440), (41.1596, -8.6580),
     (41.1572, -8.6705), (41.1505, -8.6720))),
    ("205", "Campanhã – Castelo do Queijo", ((41.1487, -8.5857), (41.1462, -8.5930), (41.1485, -8.5995),
     (41.1496, -8.6059), (41.1530, -8.6175), (41.1580, -8.6292), (41.1610, -8.6440), (41.1596, -8.6580),
     (41.1690, -8.6760), (41.1660, -8.6855))),
    ("500", "Praça da Liberdade – Castelo do Queijo, pela marginal", ((41.1466, -8.6113), (41.1412, -8.6160),
     (41.1435, -8.6235), (41.1468, -8.6375), (41.1462, -8.6520), (41.1470, -8.6690), (41.1505, -8.6720),
     (41.1565, -8.6775), (41.1660, -8.6855))),
    ("800", "Campanhã – Hospital de São João", ((41.1487, -8.5857), (41.1617, -8.5837), (41.1625, -8.5920),
     (41.1775, -8.5860), (41.1780, -8.5965), (41.1810, -8.6010))),
)


@dataclass(frozen=True)
class Profile:
    """One kind of deployment: what its devices collect, why, under which basis and safeguards."""

    type: T
    share: float  # of its type's devices
    operators: tuple[str, ...]
    tags: str  # place tags it favours; "*" = anywhere
    description: str
    purposes: tuple[P, ...]
    data_types: tuple[D, ...]
    access: str
    storage: str
    since: int  # first year installed
    retention_days: int | None = None
    retention_note: str | None = None
    categories: tuple[C, ...] = ()  # empty = no personal data
    legal_basis: L = L.NOT_APPLICABLE
    deid: X = X.NONE
    deid_note: str | None = None
    dpia_ref: str | None = None
    url: str | None = None
    name: str | None = None  # defaults to the type's Portuguese label
    area_share: float = 0.0  # drawn as a zone polygon instead of a point


_CMD = "Centro de dados municipal, Porto"
_OPEN = "Público: dados abertos em opendata.porto.digital"
_OPEN_URL = "https://opendata.porto.digital"
_HASH = "O endereço MAC é substituído por um hash com chave no momento da recolha; a chave é destruída todos os dias."
_WIFI_KEEP = "Sessões pseudonimizadas apagadas ao fim de 2 dias; ficam só totais agregados por hora."
_FIVE_YEARS = "Dados não pessoais, conservados 5 anos e publicados como dados abertos."
_PLATES = ("Matrículas sem infração apagadas de imediato; registos de infração conservados 30 dias "
           "ou até ao fim do processo de contraordenação.")
_ON_DEVICE = "As imagens são analisadas no próprio aparelho e descartadas de imediato; só saem totais."
_LIVE = (C.IMAGES_OF_PEOPLE, C.VEHICLE_PLATES)

PROFILES = (
    Profile(T.WIFI_ACCESS_POINT, 0.7, ("porto-digital",), "praca parque transportes universidade centro rio",
            "Wi-Fi público e gratuito «Porto Digital»; para navegar aceita os termos no portal de acesso.",
            (P.PUBLIC_CONNECTIVITY,), (D.DEVICE_IDENTIFIERS, D.CONNECTION_METADATA),
            "Equipa técnica da Associação Porto Digital", "Centro de dados da Porto Digital, Porto", 2013,
            2, _WIFI_KEEP, (C.DEVICE_IDENTIFIERS,), L.CONSENT, X.HASHING, _HASH, "AIPD-2023-004",
            "https://www.portodigital.pt"),
    Profile(T.WIFI_ACCESS_POINT, 0.3, ("porto-digital",), "praca parque transportes centro",
            "Wi-Fi público que também conta visitantes, a partir dos sinais dos telemóveis, para planear o espaço.",
            (P.PUBLIC_CONNECTIVITY, P.URBAN_PLANNING), (D.DEVICE_IDENTIFIERS, D.CONNECTION_METADATA, D.COUNTS),
            "Equipa técnica da Porto Digital; os serviços municipais recebem só totais agregados",
            "Centro de dados da Porto Digital, Porto", 2018, 2, _WIFI_KEEP, (C.DEVICE_IDENTIFIERS,),
            L.PUBLIC_TASK, X.HASHING, _HASH, "AIPD-2024-011", "https://www.portodigital.pt"),
    Profile(T.BUS_WIFI, 1.0, ("stcp",), "",
            "Wi-Fi gratuito a bordo; o percurso mostrado é o da linha onde o autocarro circula.",
            (P.PUBLIC_CONNECTIVITY,), (D.DEVICE_IDENTIFIERS, D.CONNECTION_METADATA, D.LOCATION),
            "Equipa de sistemas da STCP", "Servidores da STCP, Porto", 2016, 2, _WIFI_KEEP,
            (C.DEVICE_IDENTIFIERS, C.LOCATION_TRACES), L.CONSENT, X.HASHING, _HASH, "AIPD-2022-009",
            "https://www.stcp.pt"),
    Profile(T.TRAFFIC_CAMERA, 0.5, ("cmp-mobilidade",), "arterial transportes estadio",
            "Imagem em direto para o Centro de Gestão Integrada acompanhar o trânsito.", (P.TRAFFIC_MANAGEMENT,),
            (D.VIDEO,), "Operadores do Centro de Gestão Integrada; PSP em caso de incidente, só em direto",
            "Sem armazenamento: transmissão em direto", 2012, 0, "Sem gravação: a imagem só é vista em direto.",
            _LIVE, L.PUBLIC_TASK, X.NO_RECORDING, "A câmara não grava e o zoom está limitado por configuração.",
            "AIPD-2021-006", "https://www.cm-porto.pt"),
    Profile(T.TRAFFIC_CAMERA, 0.3, ("cmp-mobilidade",), "arterial centro",
            "Câmara de trânsito com desfocagem automática de rostos e matrículas antes de transmitir.",
            (P.TRAFFIC_MANAGEMENT,), (D.VIDEO, D.COUNTS), "Operadores do Centro de Gestão Integrada", _CMD, 2019,
            7, "Imagens desfocadas conservadas 7 dias para analisar acidentes e incidentes.", _LIVE,
            L.PUBLIC_TASK, X.BLURRING, "Rostos e matrículas são desfocados na própria câmara.", "AIPD-2023-012",
            "https://www.cm-porto.pt"),
    Profile(T.TRAFFIC_CAMERA, 0.2, ("cmp-mobilidade",), "arterial transportes",
            "Conta veículos, bicicletas e peões por vídeo analisado no próprio aparelho; só envia contagens.",
            (P.TRAFFIC_MANAGEMENT, P.MOBILITY_PLANNING), (D.COUNTS,), _OPEN, _CMD, 2022, 0,
            "Nenhuma imagem é guardada; as contagens são dados abertos.", _LIVE, L.PUBLIC_TASK,
            X.ON_DEVICE_COUNTING, _ON_DEVICE, "AIPD-2024-003", _OPEN_URL, "Câmara de contagem de tráfego"),
    Profile(T.LPR_CAMERA, 0.6, ("policia-municipal",), "arterial centro",
            "Fiscaliza o uso indevido dos corredores BUS; lê a matrícula dos veículos que neles circulam.",
            (P.TRAFFIC_ENFORCEMENT,), (D.IMAGES, D.LICENCE_PLATES),
            "Agentes da Polícia Municipal afetos à fiscalização de trânsito", _CMD, 2019, 30, _PLATES,
            (C.VEHICLE_PLATES, C.IMAGES_OF_PEOPLE), L.LEGAL_OBLIGATION, dpia_ref="AIPD-2022-014",
            url="https://www.cm-porto.pt", name="Câmara de fiscalização de corredor BUS"),
    Profile(T.LPR_CAMERA, 0.4, ("ansr",), "arterial",
            "Radar de velocidade da rede nacional SINCRO; fotografa a matrícula dos veículos em excesso.",
            (P.TRAFFIC_ENFORCEMENT,), (D.IMAGES, D.LICENCE_PLATES),
            "ANSR e forças de segurança, no âmbito do processo de contraordenação", "Sistema SINCRO, ANSR, Portugal",
            2017, 30, _PLATES, (C.VEHICLE_PLATES, C.IMAGES_OF_PEOPLE), L.LEGAL_OBLIGATION,
            dpia_ref="AIPD-2019-021", url="https://www.ansr.pt", name="Radar de velocidade"),
    Profile(T.CCTV_CAMERA, 1.0, ("psp",), "centro noite estadio transportes",
            "Videovigilância autorizada pelo Ministério da Administração Interna; sinalizada no local com aviso.",
            (P.PUBLIC_SAFETY,), (D.VIDEO,),
            "Agentes da PSP na sala de comando; Ministério Público e tribunais, mediante pedido",
            "Servidores da PSP, Comando Metropolitano do Porto", 2020, 30,
            "Gravações conservadas 30 dias (limite legal, Lei n.º 95/2021), salvo se forem precisas num processo.",
            _LIVE, L.PUBLIC_TASK, dpia_ref="AIPD-2022-001", url="https://www.psp.pt"),
    Profile(T.AIR_QUALITY_SENSOR, 0.6, ("cmp-ambiente",), "*",
            "Mede partículas (PM2,5 e PM10), NO2 e ozono de 15 em 15 minutos.", (P.ENVIRONMENTAL_MONITORING,),
            (D.ENVIRONMENTAL,), _OPEN, "Plataforma urbana municipal, Porto", 2018, None,
            "Dados não pessoais, publicados e conservados sem prazo.", url=_OPEN_URL),
    Profile(T.AIR_QUALITY_SENSOR, 0.35, ("feup",), "*",
            "Sensor de baixo custo de um projeto de investigação sobre a poluição do ar na cidade.",
            (P.ENVIRONMENTAL_MONITORING,), (D.ENVIRONMENTAL,), "Investigadores da FEUP; médias horárias publicadas",
            "Servidores da FEUP, Porto", 2020, None, "Conservados durante o projeto e depois publicados."),
    Profile(T.AIR_QUALITY_SENSOR, 0.05, ("ccdr-norte",), "arterial parque",
            "Estação de referência da rede nacional de qualidade do ar (QualAr).", (P.ENVIRONMENTAL_MONITORING,),
            (D.ENVIRONMENTAL,), "Público: dados publicados na QualAr", "Base de dados QualAr, Agência Portuguesa "
            "do Ambiente", 2005, None, "Séries históricas conservadas sem prazo.", url="https://qualar.apambiente.pt",
            name="Estação de referência da qualidade do ar"),
    Profile(T.NOISE_SENSOR, 1.0, ("cmp-ambiente",), "noite arterial centro estadio transportes residencial",
            "Mede o nível de ruído em decibéis, minuto a minuto, para o mapa de ruído; não grava som.",
            (P.NOISE_MONITORING,), (D.SOUND_LEVELS,), _OPEN, _CMD, 2019, 1825, _FIVE_YEARS, url=_OPEN_URL),
    Profile(T.WEATHER_STATION, 0.7, ("cmp-ambiente",), "parque universidade rio residencial",
            "Temperatura, humidade, vento e chuva; apoia a proteção civil e os avisos de calor.",
            (P.ENVIRONMENTAL_MONITORING,), (D.ENVIRONMENTAL,), _OPEN, _CMD, 2015, None,
            "Dados não pessoais, conservados sem prazo.", url=_OPEN_URL),
    Profile(T.WEATHER_STATION, 0.3, ("feup",), "universidade parque",
            "Estação meteorológica de investigação sobre o clima urbano.", (P.ENVIRONMENTAL_MONITORING,),
            (D.ENVIRONMENTAL,), "Investigadores da FEUP; dados publicados", "Servidores da FEUP, Porto", 2016,
            None, "Dados não pessoais, conservados sem prazo."),
    Profile(T.PEOPLE_COUNTER, 0.65, ("cmp-sistemas-informacao", "agora"), "praca parque cultura transportes",
            "Sensor ótico que conta quem passa, para planear o espaço público e os eventos.",
            (P.URBAN_PLANNING, P.MOBILITY_PLANNING), (D.COUNTS,),
            "Serviços municipais de planeamento; totais publicados como dados abertos", _CMD, 2021, 0,
            "Nenhuma imagem é guardada; os totais de 15 em 15 minutos ficam 5 anos.", (C.IMAGES_OF_PEOPLE,),
            L.PUBLIC_TASK, X.ON_DEVICE_COUNTING, _ON_DEVICE, "AIPD-2024-008", _OPEN_URL, area_share=0.4),
    Profile(T.PEOPLE_COUNTER, 0.35, ("cmp-sistemas-informacao", "agora"), "praca parque cultura",
            "Sensor térmico de baixa resolução: deteta vultos, não rostos; só envia contagens.",
            (P.URBAN_PLANNING,), (D.COUNTS,), _OPEN, _CMD, 2022, 1825, _FIVE_YEARS, url=_OPEN_URL,
            area_share=0.4),
    Profile(T.BIKE_COUNTER, 1.0, ("cmp-mobilidade",), "rio parque universidade arterial",
            "Laço magnético no pavimento da ciclovia que conta bicicletas.", (P.MOBILITY_PLANNING,), (D.COUNTS,),
            _OPEN, _CMD, 2020, 1825, _FIVE_YEARS, url=_OPEN_URL),
    Profile(T.SMART_BIN, 1.0, ("porto-ambiente",), "*",
            "Sensor de enchimento: a recolha só passa quando o contentor precisa.", (P.WASTE_MANAGEMENT,),
            (D.FILL_LEVEL,), "Equipas de recolha da Porto Ambiente", "Plataforma do fornecedor, nuvem na UE",
            2019, 730, "Níveis de enchimento conservados 2 anos para otimizar circuitos.",
            url="https://www.portoambiente.pt"),
    Profile(T.PARKING_SENSOR, 1.0, ("cmp-mobilidade",), "centro praca transportes arterial",
            "Sensor no pavimento que deteta se o lugar está ocupado; não identifica o veículo.",
            (P.PARKING_MANAGEMENT,), (D.OCCUPANCY,), _OPEN, _CMD, 2021, 365,
            "Histórico de ocupação conservado 1 ano; o estado atual é público.", url=_OPEN_URL),
    Profile(T.SMART_LIGHTING, 1.0, ("cmp-urbanismo",), "parque rio praca residencial",
            "Luminária LED que baixa a intensidade quando não há movimento; o sensor não identifica pessoas.",
            (P.ENERGY_EFFICIENCY,), (D.COUNTS,), "Serviços municipais de iluminação pública", _CMD, 2022, 365,
            "Registos de funcionamento conservados 1 ano.", url="https://www.cm-porto.pt"),
)

TYPE_COUNTS = {
    T.WIFI_ACCESS_POINT: 300, T.BUS_WIFI: 120, T.TRAFFIC_CAMERA: 150, T.LPR_CAMERA: 20, T.CCTV_CAMERA: 80,
    T.AIR_QUALITY_SENSOR: 120, T.NOISE_SENSOR: 100, T.WEATHER_STATION: 15, T.PEOPLE_COUNTER: 60,
    T.BIKE_COUNTER: 20, T.SMART_BIN: 325, T.PARKING_SENSOR: 150, T.SMART_LIGHTING: 40,
}  # 1,500 in all


def _allocate(count: int) -> dict[T, int]:
    """Scale TYPE_COUNTS to `count` exactly (largest remainder), keeping the city's mix."""
    total = sum(TYPE_COUNTS.values())
    quotas = {t: n * count / total for t, n in TYPE_COUNTS.items()}
    alloc = {t: int(q) for t, q in quotas.items()}
    for t in sorted(quotas, key=lambda t: alloc[t] - quotas[t])[: count - sum(alloc.values())]:
        alloc[t] += 1
    return alloc


def _spot(rng: random.Random, tags: str) -> tuple[str, float, float]:
    """A named place the deployment favours, and a point on land ~200 m around it."""
    wanted = set(tags.split())
    places = [p for p in PLACES if "*" in wanted or p.tags & wanted]
    place = rng.choices(places, weights=[p.weight for p in places])[0]
    for _ in range(100):
        lat, lon = place.lat + rng.gauss(0, 0.0018), place.lon + rng.gauss(0, 0.0024)
        if on_land(lat, lon):
            return place.name, round(lat, 6), round(lon, 6)
    return place.name, place.lat, place.lon


def _zone(lat: float, lon: float, half: float) -> dict[str, Any]:
    """A small rectangle around the point, counter-clockwise and closed as GeoJSON wants."""
    w, e, s, n = (round(v, 6) for v in (lon - half * 1.3, lon + half * 1.3, lat - half, lat + half))
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def _dates(rng: random.Random, since: int, status: Status) -> tuple[date | None, date | None]:
    if status is Status.PLANNED:
        return None, None
    start = date(since, 1, 1)
    installed = start + timedelta(days=rng.randrange((_INSTALLED_MAX - start).days))
    low = max(installed, date(2025, 5, 1)) if status is Status.ACTIVE else installed
    return installed, low + timedelta(days=rng.randrange((LAST_VERIFIED_MAX - low).days + 1))


def devices(seed: int = 2026, count: int = 1500) -> list[dict[str, Any]]:
    """`count` devices in the city's mix of types, the same for the same seed."""
    rng = random.Random(seed)
    alloc = _allocate(count)
    fleet = iter(rng.sample(range(1100, 4000), alloc[T.BUS_WIFI]))
    seen: dict[str, int] = {}
    out = []
    for dtype, n in alloc.items():
        variants = [p for p in PROFILES if p.type is dtype]
        for _ in range(n):
            prof = rng.choices(variants, weights=[v.share for v in variants])[0]
            kind, geometry = "point", None
            if dtype is T.BUS_WIFI:
                number, line, stops = rng.choice(BUS_LINES)
                lat, lon = rng.choice([s for s in stops if on_land(*s)])
                kind, geometry = "route", {"type": "LineString", "coordinates": [[lo, la] for la, lo in stops]}
                name = f"Wi-Fi a bordo – Linha {number} ({line}), autocarro {next(fleet)}"
            else:
                place, lat, lon = _spot(rng, prof.tags)
                name = f"{prof.name or label(dtype, 'pt')} – {place}"
                seen[name] = seen.get(name, 0) + 1
                name += f", n.º {seen[name]}" if seen[name] > 1 else ""
                if rng.random() < prof.area_share:
                    kind, geometry = "area", _zone(lat, lon, rng.uniform(0.0003, 0.0007))
            roll = rng.random()
            status = Status.PLANNED if roll < 0.04 else Status.DECOMMISSIONED if roll < 0.08 else Status.ACTIVE
            installed_on, last_verified_on = _dates(rng, prof.since, status)
            personal = bool(prof.categories)
            out.append({
                "name": name, "type": dtype.value, "description": prof.description,
                "lat": lat, "lon": lon, "geometry_kind": kind, "geometry": geometry,
                "operator": rng.choice(prof.operators),
                "purposes": [p.value for p in prof.purposes], "data_types": [d.value for d in prof.data_types],
                "personal_data": personal, "personal_data_categories": [c.value for c in prof.categories],
                "legal_basis": prof.legal_basis.value,
                "retention_days": prof.retention_days, "retention_note": prof.retention_note, "access": prof.access,
                "deidentified": prof.deid is not X.NONE, "deidentification": prof.deid.value,
                "deidentification_note": prof.deid_note, "storage_location": prof.storage,
                "dpia_ref": prof.dpia_ref if personal else None,
                "status": status.value, "installed_on": installed_on, "last_verified_on": last_verified_on,
                "more_info_url": prof.url,
            })
    return out
