"""The stewards' forms: from posted fields to the catalogue's schemas, and from their errors to one plain,
translated message per field, linked from the summary at the top of the form.

Pydantic's messages are English and technical; a steward reads what is expected instead, in their
language. Labels for states, gate results, changes and detector kinds live here too, so the templates
and the translation test find every one of them in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from praca.core.i18n import _
from praca.opendata.schemas import DatasetIn

N_ = str  # marks a message for extraction; translated where it is shown

BBOX = ("west", "south", "east", "north")
TEXT_FIELDS = ("name", "title_pt", "title_en", "notes_pt", "notes_en", "organization", "keywords", "license_id",
               "temporal_start", "temporal_end", "spatial", "frequency", "contact_name", "contact_email",
               "k_threshold")
LIST_FIELDS = ("themes", "quasi_identifiers")
REQUIRED_TEXT = ("name", "title_pt", "title_en", "notes_pt", "notes_en", "organization", "license_id", "k_threshold")
RESOURCE_FIELDS = ("name_pt", "name_en", "description_pt", "description_en", "format", "url")

DATASET_MESSAGES: dict[str, str] = {
    "name": N_("Give the dataset's address name: 2 to 100 lower-case letters, digits, - or _."),
    "title_pt": N_("Give the title in Portuguese: at most 300 characters."),
    "title_en": N_("Give the title in English: at most 300 characters."),
    "notes_pt": N_("The description may have at most 20,000 characters."),
    "notes_en": N_("The description may have at most 20,000 characters."),
    "organization": N_("Choose the publisher from the list."),
    "themes": N_("Choose the themes from the list."),
    "keywords": N_("Give at most 50 keywords, separated by commas, each of at most 100 characters."),
    "license_id": N_("Choose a licence from the list."),
    "temporal_start": N_("Enter the first day the data covers as a date, like 2026-01-31, or leave it empty."),
    "temporal_end": N_("Enter the last day the data covers, on or after the first day, or leave it empty."),
    "spatial": N_("The place name may have at most 200 characters."),
    "spatial_bbox": N_("Give all four edges in degrees (west not east of east, between -180 and 180; south not "
                       "north of north, between -90 and 90), or none of them."),
    "frequency": N_("Choose how often the data is updated, or leave it empty."),
    "contact_name": N_("The contact may have at most 200 characters: a team, never a person."),
    "contact_email": N_("Enter the team's e-mail address, like dados@cm-porto.pt, or leave it empty."),
    "quasi_identifiers": N_("Tick at most 20 columns."),
    "k_threshold": N_("Give the smallest group size as a whole number from 2 to 1000."),
}
NAME_TAKEN = N_("Another dataset already has this address name: choose another.")
UNKNOWN_PUBLISHER = N_("Choose the publisher from the list.")
CHECK_FIELD = N_("Check this field.")

RESOURCE_MESSAGES: dict[str, str] = {
    "name_pt": N_("Give the resource's name in Portuguese: at most 300 characters."),
    "name_en": N_("Give the resource's name in English: at most 300 characters."),
    "description_pt": N_("The description may have at most 5,000 characters."),
    "description_en": N_("The description may have at most 5,000 characters."),
    "format": N_("Choose the file's format from the list, or leave it to be read from the file name."),
    "url": N_("Enter a link that starts with https:// or http://, at most 1000 characters."),
}
FILE_OR_LINK = N_("Choose a file to upload or give a link, not both.")
UNKNOWN_FORMAT = N_("The format cannot be told from the file name: choose it in the list.")
TOO_LARGE = N_("The file is larger than %(mb)s MB: nothing was stored.")
NO_LENGTH = N_("The browser did not say how large the upload is, so it was not read: send the form again.")
EMPTY_FILE = N_("The file is empty: nothing was stored.")
UNREADABLE = N_("The file could not be read as a table, so nothing was stored. Correct it and upload it again.")
GATE_REFUSED_FILE = N_(
    "The dataset is published, so the publication gate checked the new file first, and refused it: nothing was "
    "stored. The report below shows which columns and rows failed.")

WITHDRAW_REASON = N_("Say why the dataset is withdrawn: 1 to 500 characters. Citizens read it.")
NOT_PUBLISHED = N_("Only a published dataset can be withdrawn.")
OVERRIDE_REASON = N_("Record why the dataset is published despite the gate: 10 to 1000 characters.")
NOTHING_TO_OVERRIDE = N_(
    "There is no refusal to override: the dataset changed since, or was never refused. Publish it again to have "
    "the gate check it.")
CONFIRM_DELETE = N_("Tick the box to confirm that the dataset is to be deleted.")
DELETED = N_("This dataset was deleted: it can no longer change.")

NOTICES: dict[str, str] = {
    "created": N_("The dataset was created as a draft. Add its resources, then publish it."),
    "saved": N_("The changes were saved."),
    "unchanged": N_("Nothing had changed, so no new version was saved."),
    "resource_added": N_("The resource was added."),
    "resource_removed": N_("The resource and its files were removed."),
    "published": N_("The dataset passed the publication gate and is published."),
    "overridden": N_("The dataset is published despite the gate; your reason is kept with the version."),
    "withdrawn": N_("The dataset was withdrawn from the portal."),
    "deleted": N_("The dataset was deleted. Its history is kept."),
}

STATE_LABELS: dict[str, str] = {
    "draft": N_("Draft"), "active": N_("Published"), "withdrawn": N_("Withdrawn"), "deleted": N_("Deleted"),
}
GATE_LABELS: dict[str, str] = {
    "passed": N_("Passed"), "refused": N_("Refused"), "overridden": N_("Published by override"),
}
CHANGE_LABELS: dict[str, str] = {
    "created": N_("Created"), "updated": N_("Metadata edited"), "resource_added": N_("Resource added"),
    "resource_replaced": N_("Resource file replaced"), "resource_removed": N_("Resource removed"),
    "published": N_("Published"), "gate_refused": N_("Refused by the gate"),
    "published_by_override": N_("Published by the DPO despite the gate"), "withdrawn": N_("Withdrawn"),
    "deleted": N_("Deleted"),
}
KIND_LABELS: dict[str, str] = {
    "email": N_("E-mail addresses"), "phone": N_("Telephone numbers"), "nif": N_("Tax numbers (NIF)"),
    "cc": N_("Citizen card numbers"), "iban": N_("Bank accounts (IBAN)"), "mac": N_("MAC addresses"),
    "ip": N_("IP addresses"), "plate": N_("Licence plates"), "name": N_("Names of people"),
    "birth": N_("Dates of birth"), "exact_location": N_("Exact locations of homes"),
}
SEVERITY_LABELS: dict[str, str] = {"fail": N_("Blocks publication"), "warn": N_("Check it")}
FIELD_LABELS: dict[str, str] = {
    "name": N_("Address name"), "title_pt": N_("Title in Portuguese"), "title_en": N_("Title in English"),
    "notes_pt": N_("Description in Portuguese"), "notes_en": N_("Description in English"),
    "organization": N_("Publisher"), "themes": N_("Themes"), "keywords": N_("Keywords"), "license_id": N_("Licence"),
    "temporal_start": N_("Covers from"), "temporal_end": N_("Covers until"), "spatial": N_("Place"),
    "spatial_bbox": N_("Bounding box"), "frequency": N_("Update frequency"), "contact_name": N_("Contact"),
    "contact_email": N_("Contact e-mail"), "quasi_identifiers": N_("Quasi-identifier columns"),
    "k_threshold": N_("Smallest group size (k)"), "state": N_("State"),
}


@dataclass(frozen=True)
class FieldError:
    """One message for one form control; `field` is the control's id, so the summary links to it."""

    field: str
    message: str


def label(labels: dict[str, str], code: str | None) -> str:
    """A code's translated label; an unknown code (a newer change, a new detector) shows as itself."""
    if code is None:
        return ""
    return _(labels[code]) if code in labels else code


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def uploaded(form: FormData, name: str) -> UploadFile | None:
    value = form.get(name)
    return value if isinstance(value, UploadFile) and value.filename else None


# --- datasets ---------------------------------------------------------------------------------------------------

def dataset_values(form: FormData) -> dict[str, Any]:
    """The posted fields as typed, to show the form again."""
    values: dict[str, Any] = {name: text(form, name) for name in TEXT_FIELDS}
    for name in LIST_FIELDS:
        values[name] = [v for v in form.getlist(name) if isinstance(v, str) and v]
    values["bbox"] = {edge: text(form, f"bbox_{edge}") for edge in BBOX}
    return values


def values_of(dataset: Any) -> dict[str, Any]:
    """A stored dataset as the form shows it."""
    values: dict[str, Any] = {name: getattr(dataset, name) for name in TEXT_FIELDS
                              if name not in ("organization", "keywords")}
    values = {k: ("" if v is None else v.isoformat() if hasattr(v, "isoformat") else str(v))
              for k, v in values.items()}
    values["organization"] = dataset.organization.name
    values["keywords"] = ", ".join(dataset.keywords)
    values["themes"] = list(dataset.themes)
    values["quasi_identifiers"] = list(dataset.quasi_identifiers)
    bbox = dataset.spatial_bbox or ["", "", "", ""]
    values["bbox"] = {edge: str(v) for edge, v in zip(BBOX, bbox, strict=True)}
    return values


def dataset_data(values: dict[str, Any]) -> dict[str, Any]:
    """The form's values in DatasetIn's shape, every field given: an emptied field is cleared on an edit,
    not kept (the service merges an edit over the stored dataset)."""
    data: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        raw = values.get(name, "").strip()
        if name == "keywords":
            data[name] = [k.strip() for k in raw.split(",") if k.strip()]
        elif name in REQUIRED_TEXT:
            data[name] = raw  # empty: the schema says what is missing ("" is no description, not "keep it")
        else:
            data[name] = raw or None
    for name in LIST_FIELDS:
        data[name] = list(values.get(name, []))
    edges = [values.get("bbox", {}).get(edge, "").strip() for edge in BBOX]
    data["spatial_bbox"] = edges if any(edges) else None
    return data


def validation_errors(exc: ValidationError, messages: dict[str, str], first_of: dict[str, str] | None = None
                      ) -> list[FieldError]:
    """One message per failed field, in the form's order. Whole-model checks name their field first
    ("temporal_end is before …"); `first_of` maps a field to the id of its first control."""
    failed: list[str] = []
    for error in exc.errors():
        loc, msg = error["loc"], str(error["msg"])
        field = str(loc[0]) if loc else msg.removeprefix("Value error, ").split(" ")[0]
        if field not in failed:
            failed.append(field)
    order = list(messages)
    failed.sort(key=lambda f: order.index(f) if f in order else len(order))
    return [FieldError((first_of or {}).get(f, f), _(messages.get(f, CHECK_FIELD))) for f in failed]


def dataset_errors(exc: ValidationError) -> list[FieldError]:
    return validation_errors(exc, DATASET_MESSAGES, {"spatial_bbox": "bbox_west", "themes": "themes-first",
                                                     "quasi_identifiers": "quasi_identifiers-first"})


def dataset_in(values: dict[str, Any]) -> DatasetIn:
    return DatasetIn.model_validate(dataset_data(values))


# --- resources --------------------------------------------------------------------------------------------------

def resource_values(form: FormData) -> dict[str, str]:
    return {name: text(form, name) for name in RESOURCE_FIELDS}


def resource_data(values: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {name: values.get(name, "").strip() for name in RESOURCE_FIELDS}
    data["format"] = data["format"] or None
    data["url"] = data["url"] or None
    return data


def resource_errors(exc: ValidationError) -> list[FieldError]:
    return validation_errors(exc, RESOURCE_MESSAGES)


def reason(form: FormData, name: str = "reason") -> str:
    return text(form, name).strip()
