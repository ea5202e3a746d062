"""The demo portal's files: realistic, deterministic Porto data in the formats departments really send.

Each generator writes one file and returns its path. Places are real Porto streets, parishes and
coordinates; values follow plausible daily and weekly rhythms. One file, the terrace licences,
carries applicants' e-mail addresses and NIFs on purpose: the publication gate must catch it.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from random import Random

PARISHES = [
    ("Bonfim", 41.1478, -8.5962), ("Campanhã", 41.1553, -8.5802), ("Paranhos", 41.1706, -8.6052),
    ("Ramalde", 41.1693, -8.6364), ("Lordelo do Ouro e Massarelos", 41.1524, -8.6398),
    ("Cedofeita, Santo Ildefonso, Sé, Miragaia, São Nicolau e Vitória", 41.1466, -8.6136),
    ("Aldoar, Foz do Douro e Nevogilde", 41.1608, -8.6719),
]
STREETS = ["Rua de Santa Catarina", "Avenida dos Aliados", "Rua de Cedofeita", "Rua da Constituição",
           "Avenida da Boavista", "Rua de Costa Cabral", "Rua do Heroísmo", "Rua de Júlio Dinis",
           "Rua das Flores", "Praça da Batalha", "Rua de Álvares Cabral", "Rua Fernandes Tomás",
           "Rua de Camões", "Avenida de Fernão de Magalhães", "Rua do Campo Alegre", "Rua de Pinto Bessa"]
AIR_STATIONS = [("Sobreiras-Lordelo do Ouro", 41.1477, -8.6564), ("Francisco Sá Carneiro-Campanhã", 41.1635, -8.5899),
                ("Boavista", 41.1574, -8.6299), ("Antas", 41.1626, -8.5844), ("Baixa", 41.1466, -8.6109),
                ("Foz", 41.1524, -8.6767)]
POLLUTANTS = [("NO2", "µg/m3", 28.0), ("PM10", "µg/m3", 22.0), ("PM2.5", "µg/m3", 11.0), ("O3", "µg/m3", 55.0)]
START = date(2026, 10, 1)


def _rng(name: str) -> Random:
    return Random(f"praca-opendata-{name}")


def _near(rng: Random, lat: float, lon: float, metres: float) -> tuple[float, float]:
    dlat = rng.uniform(-1, 1) * metres / 111_000
    dlon = rng.uniform(-1, 1) * metres / (111_000 * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def _write_csv(path: Path, header: list[str], rows: list[list[object]], *, delimiter: str = ",",
               encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _write_geojson(path: Path, features: list[tuple[float, float, dict[str, object]]]) -> Path:
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props}
        for lat, lon, props in features]}
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return path


def air_quality(folder: Path, days: int = 30) -> Path:
    """Hourly readings per station and pollutant: traffic peaks for NO2, afternoon sun for O3."""
    rng = _rng("air")
    rows: list[list[object]] = []
    for d in range(days):
        day = START + timedelta(days=d)
        weekday_factor = 0.75 if day.weekday() >= 5 else 1.0
        for hour in range(24):
            at = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
            rush = 1.0 + 0.6 * (math.exp(-((hour - 8.5) ** 2) / 3) + math.exp(-((hour - 18.5) ** 2) / 3))
            sun = 0.5 + 0.8 * max(0.0, math.sin(math.pi * (hour - 7) / 12))
            for station, lat, lon in AIR_STATIONS:
                for pollutant, unit, base in POLLUTANTS:
                    factor = sun if pollutant == "O3" else rush * weekday_factor
                    value = max(0.5, rng.gauss(base * factor, base * 0.18))
                    rows.append([at.isoformat().replace("+00:00", "Z"), station, lat, lon, pollutant,
                                 round(value, 1), unit, "validado" if d < days - 2 else "provisório"])
    return _write_csv(folder / "qualidade-do-ar.csv", ["data_hora", "estacao", "latitude", "longitude", "poluente",
                                                        "valor", "unidade", "estado"], rows)


def waste_bins(folder: Path, count: int = 1800) -> Path:
    rng = _rng("bins")
    kinds = [("Indiferenciado", 800), ("Papel e cartão", 2500), ("Embalagens", 2500), ("Vidro", 2500),
             ("Orgânicos", 240)]
    features = []
    for i in range(count):
        parish, lat, lon = rng.choice(PARISHES)
        kind, litres = rng.choice(kinds)
        plat, plon = _near(rng, lat, lon, 900)
        features.append((plat, plon, {"codigo": f"CT-{i + 1:05d}", "tipo": kind, "capacidade_l": litres,
                                      "freguesia": parish, "rua": rng.choice(STREETS),
                                      "instalado_em": (date(2018, 1, 1) + timedelta(rng.randrange(3000))).isoformat()}))
    return _write_geojson(folder / "contentores.geojson", features)


def collection_rounds(folder: Path) -> Path:
    rng = _rng("rounds")
    rows: list[list[object]] = []
    weekdays = ["segunda", "terça", "quarta", "quinta", "sexta", "sábado", "domingo"]
    for n in range(1, 61):
        parish = PARISHES[n % len(PARISHES)][0]
        stream = ["Indiferenciado", "Papel e cartão", "Embalagens", "Vidro", "Orgânicos"][n % 5]
        for wd in weekdays:
            if stream != "Indiferenciado" and rng.random() < 0.5:
                continue
            start = "21:30" if stream == "Indiferenciado" else rng.choice(["06:00", "07:00", "14:00"])
            rows.append([f"C{n:03d}", stream, parish, wd, start, rng.randint(18, 45),
                         round(rng.uniform(2.5, 11.0), 2)])
    return _write_csv(folder / "circuitos-recolha.csv", ["circuito", "fluxo", "freguesia", "dia_semana",
                                                          "hora_inicio", "contentores", "toneladas_media"], rows)


def car_parks(folder: Path) -> Path:
    rng = _rng("parks")
    names = ["Parque da Trindade", "Parque do Bolhão", "Parque da Avenida", "Parque de Camões", "Parque da Batalha",
             "Parque do Infante", "Parque da Casa da Música", "Parque de Campanhã", "Parque do Campo 24 de Agosto",
             "Parque da Alfândega", "Parque do Dragão", "Parque do Palácio de Cristal"]
    rows = []
    for i, name in enumerate(names):
        parish, lat, lon = PARISHES[i % len(PARISHES)]
        plat, plon = _near(rng, lat, lon, 600)
        capacity = rng.choice([180, 240, 320, 450, 600, 850])
        rows.append([f"P{i + 1:02d}", name, parish, plat, plon, capacity, rng.randint(4, 40),
                     rng.choice(["24h", "07:00-01:00", "08:00-22:00"]), round(rng.uniform(0.9, 1.6), 2)])
    return _write_csv(folder / "parques.csv", ["codigo", "nome", "freguesia", "latitude", "longitude", "lugares",
                                                "lugares_mobilidade_reduzida", "horario", "preco_hora_eur"],
                      rows, delimiter=";")


def bus_stops(folder: Path, count: int = 900) -> Path:
    rng = _rng("stops")
    lines = ["200", "201", "203", "204", "205", "207", "300", "301", "302", "305", "400", "401", "500", "502",
             "600", "601", "700", "704", "800", "801", "900", "901", "ZR"]
    rows = []
    for i in range(count):
        parish, lat, lon = rng.choice(PARISHES)
        plat, plon = _near(rng, lat, lon, 1200)
        served = sorted(rng.sample(lines, rng.randint(1, 4)))
        rows.append([f"{rng.choice('ABCDEFGHIJKLMNOPRSTV')}{rng.choice('ABCDEFGHIJKLMNOPRSTV')}{i % 10}{i:04d}",
                     f"{rng.choice(STREETS)} {rng.randint(1, 40)}", parish, plat, plon, " ".join(served),
                     rng.random() < 0.55])
    return _write_csv(folder / "paragens.csv", ["codigo", "nome", "freguesia", "latitude", "longitude", "linhas",
                                                 "abrigo"], rows)


def trees(folder: Path, count: int = 2500) -> Path:
    rng = _rng("trees")
    species = [("Platanus × hispanica", "Plátano"), ("Tilia tomentosa", "Tília-prateada"), ("Jacaranda mimosifolia",
               "Jacarandá"), ("Quercus robur", "Carvalho-alvarinho"), ("Celtis australis", "Lódão-bastardo"),
               ("Acer pseudoplatanus", "Bordo"), ("Ginkgo biloba", "Ginkgo"), ("Magnolia grandiflora", "Magnólia")]
    features = []
    for i in range(count):
        parish, lat, lon = rng.choice(PARISHES)
        plat, plon = _near(rng, lat, lon, 1000)
        sci, common = rng.choice(species)
        features.append((plat, plon, {"id": i + 1, "especie": sci, "nome_comum": common, "freguesia": parish,
                                      "altura_m": round(rng.uniform(3, 24), 1), "pap_cm": rng.randint(20, 320),
                                      "estado": rng.choice(["bom", "bom", "bom", "razoável", "mau"])}))
    return _write_geojson(folder / "arvores.geojson", features)


def noise(folder: Path) -> Path:
    """Monthly noise indicators per sensor, as the environment team keeps them: a spreadsheet."""
    from openpyxl import Workbook

    rng = _rng("noise")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("ruido")
    ws.append(["sensor", "local", "freguesia", "mes", "lden_db", "ln_db", "excedencias"])
    for s in range(1, 19):
        parish, _lat, _lon = PARISHES[s % len(PARISHES)]
        street = STREETS[s % len(STREETS)]
        base = rng.uniform(55, 68)
        for month in range(1, 11):
            lden = round(base + rng.gauss(0, 1.2), 1)
            ws.append([f"RU{s:02d}", street, parish, f"2026-{month:02d}", lden, round(lden - 9.5, 1),
                       max(0, int(rng.gauss((lden - 60) * 2, 2)))])
    path = folder / "ruido.xlsx"
    wb.save(path)
    return path


def budget(folder: Path) -> Path:
    rng = _rng("budget")
    areas = [("Ambiente e serviços urbanos", 61.2), ("Mobilidade e transportes", 48.5), ("Habitação", 72.0),
             ("Cultura", 31.8), ("Educação", 44.3), ("Ação social", 26.9), ("Desporto", 14.1),
             ("Proteção civil e segurança", 18.7), ("Administração geral", 55.6), ("Inovação e transição digital", 9.4)]
    rows = []
    for year in (2024, 2025, 2026):
        for area, millions in areas:
            planned = round(millions * (1 + 0.04 * (year - 2024)) * 1_000_000, 2)
            rows.append([year, area, planned, round(planned * rng.uniform(0.78, 0.97), 2)])
    return _write_csv(folder / "orcamento.csv", ["ano", "area", "dotacao_eur", "execucao_eur"], rows,
                      encoding="cp1252")  # as the finance system exports it


def mobility_survey(folder: Path, count: int = 3000) -> Path:
    """Answers with declared quasi-identifiers (age band, postcode prefix, sex) coarse enough for k = 10."""
    rng = _rng("survey")
    modes = ["a pé", "autocarro", "metro", "automóvel", "bicicleta", "trotinete"]
    rows = []
    for i in range(count):
        band = rng.choice(["18-29", "30-44", "45-64", "65+"])
        rows.append([i + 1, band, rng.choice(["F", "M"]), rng.choice(["4000", "4050", "4100", "4150", "4200", "4250",
                                                                        "4300", "4350"]),
                     rng.choice(modes), rng.randint(5, 75), rng.randint(1, 5)])
    header = ["resposta", "faixa_etaria", "sexo", "codigo_postal", "modo_principal", "minutos_deslocacao",
              "satisfacao"]
    return _write_csv(folder / "inquerito-mobilidade.csv", header, rows)


def terrace_licences(folder: Path, count: int = 400) -> Path:
    """Licences for café terraces, exported straight from the licensing system — applicants' e-mails and
    NIFs included. This is the file the gate must refuse."""
    rng = _rng("terraces")
    rows = []
    for i in range(count):
        parish = rng.choice(PARISHES)[0]
        nif = _valid_nif(rng)
        rows.append([f"OVP-2026-{i + 1:04d}", f"{rng.choice(STREETS)} {rng.randint(1, 300)}", parish,
                     rng.randint(2, 16), rng.choice(["anual", "sazonal"]), f"cliente{i + 1}@correio.example.pt",
                     nif])
    header = ["processo", "morada", "freguesia", "mesas", "tipo", "email_requerente", "nif_requerente"]
    return _write_csv(folder / "esplanadas.csv", header, rows)


def _valid_nif(rng: Random) -> str:
    """A NIF with a correct check digit (of no real person: random digits after a company prefix)."""
    digits = [5] + [rng.randrange(10) for _ in range(7)]
    check = 11 - sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
    return "".join(map(str, digits)) + str(0 if check >= 10 else check)


GENERATORS: dict[str, Callable[[Path], Path]] = {
    "qualidade-do-ar": air_quality, "contentores-residuos": waste_bins, "circuitos-recolha": collection_rounds,
    "parques-estacionamento": car_parks, "paragens-autocarro": bus_stops, "arvoredo-urbano": trees,
    "ruido-ambiente": noise, "orcamento-municipal": budget, "inquerito-mobilidade": mobility_survey,
    "licencas-esplanadas": terrace_licences,
}
