"""The register's vocabularies, with plain-language labels in Portuguese and English.

Modelled on the DTPR taxonomy (Digital Trust for Places & Routines): each code has a short label and,
for data types and purposes, a sentence a passer-by understands.
"""

from __future__ import annotations

import enum
from typing import NamedTuple


class Label(NamedTuple):
    pt: str
    en: str

    def get(self, locale: str) -> str:
        return self.pt if locale == "pt" else self.en


class DeviceType(enum.StrEnum):
    CCTV_CAMERA = "cctv_camera"
    TRAFFIC_CAMERA = "traffic_camera"
    LPR_CAMERA = "lpr_camera"
    AIR_QUALITY_SENSOR = "air_quality_sensor"
    NOISE_SENSOR = "noise_sensor"
    WEATHER_STATION = "weather_station"
    PEOPLE_COUNTER = "people_counter"
    BIKE_COUNTER = "bike_counter"
    WIFI_ACCESS_POINT = "wifi_access_point"
    BUS_WIFI = "bus_wifi"
    SMART_BIN = "smart_bin"
    PARKING_SENSOR = "parking_sensor"
    SMART_LIGHTING = "smart_lighting"
    OTHER = "other"


class OperatorKind(enum.StrEnum):
    MUNICIPAL_DEPARTMENT = "municipal_department"
    MUNICIPAL_COMPANY = "municipal_company"
    OTHER = "other"


class Status(enum.StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    DECOMMISSIONED = "decommissioned"


class GeometryKind(enum.StrEnum):
    POINT = "point"
    AREA = "area"
    ROUTE = "route"


class LegalBasis(enum.StrEnum):
    """GDPR Art. 6(1)(a)–(f)."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTERESTS = "legitimate_interests"
    NOT_APPLICABLE = "not_applicable"  # no personal data processed


class DataType(enum.StrEnum):
    VIDEO = "video"
    IMAGES = "images"
    AUDIO = "audio"
    DEVICE_IDENTIFIERS = "device_identifiers"
    LICENCE_PLATES = "licence_plates"
    COUNTS = "counts"
    ENVIRONMENTAL = "environmental"
    SOUND_LEVELS = "sound_levels"
    OCCUPANCY = "occupancy"
    FILL_LEVEL = "fill_level"
    LOCATION = "location"
    CONNECTION_METADATA = "connection_metadata"


class Purpose(enum.StrEnum):
    PUBLIC_SAFETY = "public_safety"
    TRAFFIC_MANAGEMENT = "traffic_management"
    TRAFFIC_ENFORCEMENT = "traffic_enforcement"
    ENVIRONMENTAL_MONITORING = "environmental_monitoring"
    NOISE_MONITORING = "noise_monitoring"
    URBAN_PLANNING = "urban_planning"
    WASTE_MANAGEMENT = "waste_management"
    PARKING_MANAGEMENT = "parking_management"
    PUBLIC_CONNECTIVITY = "public_connectivity"
    ENERGY_EFFICIENCY = "energy_efficiency"
    MOBILITY_PLANNING = "mobility_planning"


class PersonalDataCategory(enum.StrEnum):
    IMAGES_OF_PEOPLE = "images_of_people"
    VEHICLE_PLATES = "vehicle_plates"
    DEVICE_IDENTIFIERS = "device_identifiers"
    VOICE = "voice"
    LOCATION_TRACES = "location_traces"
    CONTACT_DETAILS = "contact_details"


class Deidentification(enum.StrEnum):
    NONE = "none"
    BLURRING = "blurring"
    HASHING = "hashing"
    AGGREGATION = "aggregation"
    ON_DEVICE_COUNTING = "on_device_counting"
    NO_RECORDING = "no_recording"


LABELS: dict[str, Label] = {
    # device types
    "cctv_camera": Label("Câmara de videovigilância", "CCTV camera"),
    "traffic_camera": Label("Câmara de tráfego", "Traffic camera"),
    "lpr_camera": Label("Leitor de matrículas", "Licence-plate reader"),
    "air_quality_sensor": Label("Sensor de qualidade do ar", "Air-quality sensor"),
    "noise_sensor": Label("Sensor de ruído", "Noise sensor"),
    "weather_station": Label("Estação meteorológica", "Weather station"),
    "people_counter": Label("Contador de pessoas", "People counter"),
    "bike_counter": Label("Contador de bicicletas", "Bicycle counter"),
    "wifi_access_point": Label("Ponto de acesso Wi-Fi", "Wi-Fi access point"),
    "bus_wifi": Label("Wi-Fi no autocarro", "On-bus Wi-Fi"),
    "smart_bin": Label("Contentor inteligente", "Smart bin"),
    "parking_sensor": Label("Sensor de estacionamento", "Parking sensor"),
    "smart_lighting": Label("Iluminação inteligente", "Smart street light"),
    "other": Label("Outro", "Other"),
    # operator kinds
    "municipal_department": Label("Serviço municipal", "Municipal department"),
    "municipal_company": Label("Empresa municipal", "Municipal company"),
    # statuses
    "planned": Label("Planeado", "Planned"),
    "active": Label("Ativo", "Active"),
    "decommissioned": Label("Desativado", "Decommissioned"),
    # geometry
    "point": Label("Local fixo", "Fixed location"),
    "area": Label("Área", "Area"),
    "route": Label("Percurso", "Route"),
    # legal bases
    "consent": Label("Consentimento (art. 6.º, n.º 1, al. a) RGPD)", "Consent (GDPR Art. 6(1)(a))"),
    "contract": Label("Execução de contrato (art. 6.º, n.º 1, al. b) RGPD)", "Contract (GDPR Art. 6(1)(b))"),
    "legal_obligation": Label("Obrigação jurídica (art. 6.º, n.º 1, al. c) RGPD)",
                              "Legal obligation (GDPR Art. 6(1)(c))"),
    "vital_interests": Label("Interesses vitais (art. 6.º, n.º 1, al. d) RGPD)",
                             "Vital interests (GDPR Art. 6(1)(d))"),
    "public_task": Label("Exercício de funções de interesse público (art. 6.º, n.º 1, al. e) RGPD)",
                         "Public task (GDPR Art. 6(1)(e))"),
    "legitimate_interests": Label("Interesses legítimos (art. 6.º, n.º 1, al. f) RGPD)",
                                  "Legitimate interests (GDPR Art. 6(1)(f))"),
    "not_applicable": Label("Não aplicável: não trata dados pessoais", "Not applicable: no personal data"),
    # data types
    "video": Label("Vídeo", "Video"),
    "images": Label("Imagens", "Images"),
    "audio": Label("Áudio", "Audio"),
    "device_identifiers": Label("Identificadores de dispositivos (endereços MAC)",
                                "Device identifiers (MAC addresses)"),
    "licence_plates": Label("Matrículas", "Licence plates"),
    "counts": Label("Contagens", "Counts"),
    "environmental": Label("Leituras ambientais", "Environmental readings"),
    "sound_levels": Label("Níveis de ruído (sem gravação)", "Sound levels (no recording)"),
    "occupancy": Label("Ocupação de lugares", "Space occupancy"),
    "fill_level": Label("Nível de enchimento", "Fill level"),
    "location": Label("Localização", "Location"),
    "connection_metadata": Label("Dados de ligação (início, fim, volume)", "Connection data (start, end, volume)"),
    # purposes
    "public_safety": Label("Segurança pública", "Public safety"),
    "traffic_management": Label("Gestão de tráfego", "Traffic management"),
    "traffic_enforcement": Label("Fiscalização de trânsito", "Traffic enforcement"),
    "environmental_monitoring": Label("Monitorização ambiental", "Environmental monitoring"),
    "noise_monitoring": Label("Monitorização de ruído", "Noise monitoring"),
    "urban_planning": Label("Planeamento urbano", "Urban planning"),
    "waste_management": Label("Gestão de resíduos", "Waste management"),
    "parking_management": Label("Gestão de estacionamento", "Parking management"),
    "public_connectivity": Label("Acesso público à Internet", "Public Internet access"),
    "energy_efficiency": Label("Eficiência energética", "Energy efficiency"),
    "mobility_planning": Label("Planeamento da mobilidade", "Mobility planning"),
    # personal data categories
    "images_of_people": Label("Imagens de pessoas", "Images of people"),
    "vehicle_plates": Label("Matrículas de veículos", "Vehicle licence plates"),
    "voice": Label("Voz", "Voice"),
    "location_traces": Label("Rastos de localização", "Location traces"),
    "contact_details": Label("Contactos", "Contact details"),
    # de-identification
    "none": Label("Nenhuma", "None"),
    "blurring": Label("Desfocagem de rostos e matrículas", "Faces and plates blurred"),
    "hashing": Label("Pseudonimização por hash com chave", "Keyed-hash pseudonymisation"),
    "aggregation": Label("Só são guardados totais agregados", "Only aggregate totals are kept"),
    "on_device_counting": Label("Contagem no próprio aparelho; nada sai dele além de totais",
                                "Counted on the device; only totals leave it"),
    "no_recording": Label("Sem gravação", "Not recorded"),
}

# One sentence per data type, for the citizen's card.
EXPLANATIONS: dict[str, Label] = {
    "video": Label("Filma o que acontece à sua frente, incluindo pessoas e veículos.",
                   "Films what happens in front of it, including people and vehicles."),
    "images": Label("Tira fotografias, que podem mostrar pessoas ou veículos.",
                    "Takes still pictures, which may show people or vehicles."),
    "audio": Label("Grava som.", "Records sound."),
    "device_identifiers": Label("Deteta os identificadores que telemóveis e outros aparelhos emitem.",
                                "Detects the identifiers that phones and other devices broadcast."),
    "licence_plates": Label("Lê as matrículas dos veículos que passam.", "Reads the plates of passing vehicles."),
    "counts": Label("Conta quantas pessoas, bicicletas ou veículos passam, sem os identificar.",
                    "Counts how many people, bicycles or vehicles pass, without identifying them."),
    "environmental": Label("Mede o ar, a temperatura ou o tempo; não recolhe dados sobre pessoas.",
                           "Measures the air, temperature or weather; collects nothing about people."),
    "sound_levels": Label("Mede o nível de ruído em decibéis; não grava conversas.",
                          "Measures noise levels in decibels; does not record conversations."),
    "occupancy": Label("Sabe se um lugar está ocupado, não quem o ocupa.",
                       "Knows whether a space is taken, not by whom."),
    "fill_level": Label("Mede quão cheio está o contentor.", "Measures how full the bin is."),
    "location": Label("Regista a localização do próprio aparelho.", "Records the device's own location."),
    "connection_metadata": Label("Regista quando um aparelho se liga à rede e quantos dados usa.",
                                 "Records when a device connects to the network and how much data it uses."),
}


def label(code: str | None, locale: str) -> str:
    if code is None:
        return ""
    found = LABELS.get(code)
    return found.get(locale) if found else code


def explanation(code: str, locale: str) -> str:
    found = EXPLANATIONS.get(code)
    return found.get(locale) if found else ""
