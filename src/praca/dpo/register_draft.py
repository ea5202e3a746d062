"""A first draft of a register entry from a citizen's report, for staff to check and complete.

Staff close a report as "registered now" through a form pre-filled from here: what the citizen saw
(type, pin, description) plus what a device of that type usually gathers and why. Nothing reaches
the register until staff submit it, through the register's own service and checks.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from praca.dpo.models import Case
from praca.registry.taxonomy import DataType, DeviceType, LegalBasis, PersonalDataCategory, Purpose, Status

NAME_MAX = 80


class Typical(NamedTuple):
    data_types: tuple[DataType, ...]
    purposes: tuple[Purpose, ...]
    personal_categories: tuple[PersonalDataCategory, ...] = ()  # empty: no personal data

    @property
    def legal_basis(self) -> LegalBasis:
        return LegalBasis.PUBLIC_TASK if self.personal_categories else LegalBasis.NOT_APPLICABLE


D, P, C = DataType, Purpose, PersonalDataCategory
TYPICAL: dict[str, Typical] = {
    DeviceType.CCTV_CAMERA: Typical((D.VIDEO,), (P.PUBLIC_SAFETY,), (C.IMAGES_OF_PEOPLE,)),
    DeviceType.TRAFFIC_CAMERA: Typical((D.VIDEO,), (P.TRAFFIC_MANAGEMENT,), (C.IMAGES_OF_PEOPLE, C.VEHICLE_PLATES)),
    DeviceType.LPR_CAMERA: Typical((D.LICENCE_PLATES,), (P.TRAFFIC_ENFORCEMENT,), (C.VEHICLE_PLATES,)),
    DeviceType.AIR_QUALITY_SENSOR: Typical((D.ENVIRONMENTAL,), (P.ENVIRONMENTAL_MONITORING,)),
    DeviceType.NOISE_SENSOR: Typical((D.SOUND_LEVELS,), (P.NOISE_MONITORING,)),
    DeviceType.WEATHER_STATION: Typical((D.ENVIRONMENTAL,), (P.ENVIRONMENTAL_MONITORING,)),
    DeviceType.PEOPLE_COUNTER: Typical((D.COUNTS,), (P.URBAN_PLANNING,)),
    DeviceType.BIKE_COUNTER: Typical((D.COUNTS,), (P.MOBILITY_PLANNING,)),
    DeviceType.WIFI_ACCESS_POINT: Typical((D.DEVICE_IDENTIFIERS, D.CONNECTION_METADATA), (P.PUBLIC_CONNECTIVITY,),
                                          (C.DEVICE_IDENTIFIERS,)),
    DeviceType.BUS_WIFI: Typical((D.DEVICE_IDENTIFIERS, D.CONNECTION_METADATA), (P.PUBLIC_CONNECTIVITY,),
                                 (C.DEVICE_IDENTIFIERS,)),
    DeviceType.SMART_BIN: Typical((D.FILL_LEVEL,), (P.WASTE_MANAGEMENT,)),
    DeviceType.PARKING_SENSOR: Typical((D.OCCUPANCY,), (P.PARKING_MANAGEMENT,)),
    DeviceType.SMART_LIGHTING: Typical((D.COUNTS,), (P.ENERGY_EFFICIENCY,)),
}


def _name_from(description: str) -> str:
    """The description's first sentence, cut at a word boundary: a starting point staff will edit."""
    first = description.strip().splitlines()[0] if description.strip() else ""
    first = first.split(". ")[0].rstrip(".")
    if len(first) <= NAME_MAX:
        return first
    return first[:NAME_MAX].rsplit(" ", 1)[0] + "…"


def draft_device(case: Case, description: str) -> dict[str, Any]:
    """Form values for a new register entry; `description` is the citizen's first message."""
    type_ = case.suspected_type or DeviceType.OTHER
    typical = TYPICAL.get(type_, Typical((), ()))
    return {
        "name": _name_from(description),
        "type": type_,
        "lat": case.lat,
        "lon": case.lon,
        "description": description.strip(),
        "operator": "",
        "purposes": [p.value for p in typical.purposes],
        "data_types": [d.value for d in typical.data_types],
        "personal_data": bool(typical.personal_categories),
        "personal_data_categories": [c.value for c in typical.personal_categories],
        "legal_basis": typical.legal_basis.value,
        "retention_days": None,
        "status": Status.ACTIVE.value,
    }
