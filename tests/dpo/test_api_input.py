"""Input the JSON API must refuse with a 422 on both engines, found by schemathesis."""

from tests.factories import api_headers, make_user


def test_bulk_assignment_refuses_a_nul_in_a_case_id(client, session):
    headers = api_headers(session, make_user(session, role="dpo"))
    session.commit()
    r = client.post("/api/v1/cases/assign", json={"cases": ["\x00"], "department": None}, headers=headers)
    assert r.status_code == 422, r.text
    assert "NUL" in r.text
