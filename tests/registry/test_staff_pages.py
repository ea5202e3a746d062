"""The register's staff pages: sign-in, list, create with field errors, edit, photo, import."""

import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from praca.core import audit
from praca.registry.models import Device
from tests.factories import PASSWORD, device_data, make_device, make_operator, make_user


def csrf(client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def login(client, user) -> None:
    token = csrf(client, "/staff/login")
    r = client.post("/staff/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303, r.text


@pytest.fixture
def dpo(client, session):
    make_operator(session, "mobilidade")
    user = make_user(session, "dpo")
    session.commit()
    login(client, user)
    return user


def form_of(**overrides) -> dict:
    data = device_data(**overrides)
    form = {k: v for k, v in data.items() if not isinstance(v, list | bool)}
    for key in ("purposes", "data_types", "personal_data_categories"):
        form[key] = data.get(key, [])
    if data.get("personal_data"):
        form["personal_data"] = "on"
    return form


def test_anonymous_is_sent_to_login(client):
    r = client.get("/staff/devices", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/staff/login")


def test_wrong_password_is_refused_and_audited(client, session):
    user = make_user(session, "dpo")
    session.commit()
    token = csrf(client, "/staff/login")
    r = client.post("/staff/login", data={"email": user.email, "password": "nope-nope-nope", "csrf_token": token})
    assert r.status_code == 401
    assert [e.action for e in audit.entries_for(session, user.actor)][-1] == "auth.login.failed"


def test_create_edit_and_decommission_through_pages(client, session, dpo):
    token = csrf(client, "/staff/devices/new")
    r = client.post("/staff/devices/new", data={**form_of(name="Sensor Trindade"), "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    device_id = r.headers["location"].split("/")[3].split("?")[0]
    page = client.get(f"/staff/devices/{device_id}")
    assert "Sensor Trindade" in page.text

    token = csrf(client, f"/staff/devices/{device_id}")
    r = client.post(f"/staff/devices/{device_id}", data={**form_of(name="Sensor da Trindade"), "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303
    assert client.get(f"/api/v1/devices/{device_id}").json()["name"] == "Sensor da Trindade"

    r = client.post(f"/staff/devices/{device_id}/decommission", data={"reason": "obra", "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303
    assert client.get(f"/api/v1/devices/{device_id}").json()["status"] == "decommissioned"


def test_form_errors_name_the_fields_and_store_nothing(client, session, dpo):
    token = csrf(client, "/staff/devices/new")
    r = client.post("/staff/devices/new", data={**form_of(lat="38.7", lon="-9.1", name=""), "csrf_token": token})
    assert r.status_code == 422
    assert 'id="name-error"' in r.text
    assert session.scalar(select(func.count(Device.id))) == 0


def test_form_without_csrf_token_is_refused(client, session, dpo):
    r = client.post("/staff/devices/new", data=form_of())
    assert r.status_code == 403


def test_photo_upload_strips_metadata(client, session, settings, dpo):
    device = make_device(session, settings)
    session.commit()
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(buf, "JPEG", exif=exif)
    token = csrf(client, f"/staff/devices/{device.public_id}")
    r = client.post(f"/staff/devices/{device.public_id}/photo", data={"csrf_token": token},
                    files={"photo": ("p.jpg", buf.getvalue(), "image/jpeg")}, follow_redirects=False)
    assert r.status_code == 303, r.text
    url = client.get(f"/api/v1/devices/{device.public_id}").json()["photo_url"]
    photo = client.get(url)
    assert photo.status_code == 200
    assert b"SpyCam" not in photo.content
    assert not Image.open(io.BytesIO(photo.content)).getexif()

    token = csrf(client, f"/staff/devices/{device.public_id}")
    r = client.post(f"/staff/devices/{device.public_id}/photo", data={"csrf_token": token},
                    files={"photo": ("p.txt", b"not an image", "text/plain")})
    assert r.status_code == 422
    assert client.get("/media/devices/..%2Fsecret_key").status_code == 404


def test_viewer_reads_but_cannot_change(client, session, settings):
    device = make_device(session, settings)
    viewer = make_user(session, "viewer")
    session.commit()
    login(client, viewer)
    assert client.get("/staff/devices").status_code == 200
    token = csrf(client, f"/staff/devices/{device.public_id}")
    r = client.post(f"/staff/devices/{device.public_id}", data={**form_of(), "csrf_token": token})
    assert r.status_code == 403


def test_csv_import_page_reports_rows(client, session, dpo):
    from tests.registry.test_csv import GOOD, to_csv

    token = csrf(client, "/staff/devices/import")
    bad = [GOOD[0], {**GOOD[1], "type": "toaster"}]
    r = client.post("/staff/devices/import", data={"csrf_token": token},
                    files={"file": ("d.csv", to_csv(bad), "text/csv")})
    assert r.status_code == 422
    assert "Nothing was imported" in r.text or "Nada foi importado" in r.text
    assert session.scalar(select(func.count(Device.id))) == 0
    r = client.post("/staff/devices/import", data={"csrf_token": token, "skip_invalid": "true"},
                    files={"file": ("d.csv", to_csv(bad), "text/csv")})
    assert r.status_code == 200
    assert session.scalar(select(func.count(Device.id))) == 1
