"""The demo portal: a dozen Porto datasets through the real upload, datastore and gate; the one with
applicants' e-mails is refused and waits as a draft with its report; a second run adds nothing."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from praca.opendata import demo, participation, service
from praca.opendata.models import Dataset, DatasetVersion
from praca.settings import Settings


def test_the_demo_portal_publishes_what_passes_the_gate(session: Session, settings: Settings) -> None:
    demo.seed(session, settings)
    public = [d for d in service.search(session, rows=100).datasets if d.source is None]  # not Praça's own
    assert len(public) == len(demo.DATASETS) - 1
    assert {r.format for d in public for r in d.resources} == {"CSV", "GEOJSON", "XLSX"}
    assert {d.organization.name for d in public} == {o["name"] for o in demo.ORGANIZATIONS} - {"urbanismo"}
    refused = service.get_dataset(session, "licencas-esplanadas", include_unpublished=True)
    assert refused.state == "draft"
    report = service.latest_version(session, refused).gate_report
    failing = {(f["column"], f["kind"]) for r in report["resources"] for f in r["findings"] if f["severity"] == "fail"}
    assert failing == {("email_requerente", "email")}
    survey = service.get_dataset(session, "inquerito-mobilidade")
    assert service.latest_version(session, survey).gate_report["resources"][0]["k_anonymity"]["passed"]

    air = service.get_dataset(session, "qualidade-do-ar")
    assert any(c.answer for c in participation.public_comments(session, air))
    total, requests = participation.list_requests(session)
    assert total == 3 and requests[0].request.supporters == 37
    assert len(participation.public_reuses(session, air)) == 2

    versions = session.scalar(select(func.count(DatasetVersion.id)))
    demo.seed(session, settings)
    assert session.scalar(select(func.count(DatasetVersion.id))) == versions
    assert session.scalar(select(func.count(Dataset.id)).where(Dataset.source.is_(None))) == len(demo.DATASETS)
