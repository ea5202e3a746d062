"""Logs carry route patterns and ids, never what a citizen wrote, their e-mail, coordinates or token."""

import logging

import pytest

from praca.core.observability import configure_logging
from tests.dpo.pages import post_form


@pytest.fixture
def settings(settings):
    settings.access_log = True  # the most a city might log
    return settings


def test_a_report_leaves_no_personal_data_in_the_logs(client, capsys, caplog):
    configure_logging("DEBUG")
    caplog.set_level(logging.DEBUG)
    # The test client's own httpx log names the URLs it fetched; that is the test's, not the server's.
    caplog.set_level(logging.WARNING, logger="httpx")
    secret_text = "Uma câmara estranha junto à padaria da Dona Rosa, aponta para a minha janela"
    r = post_form(client, "/report", {"lat": "41.157312", "lon": "-8.629871", "description": secret_text,
                                      "email": "rosa.silva@example.org"})
    assert r.status_code in (200, 303), r.text
    follow = r.headers.get("location") or str(r.url)
    client.get(follow)
    token = follow.rstrip("/").split("/")[-1]
    token = token.split("?")[0]
    logs = capsys.readouterr().err + caplog.text
    assert "/report" in logs or "http.request" in logs  # the access log did run
    for needle in ("rosa.silva", "padaria", "41.157312", "-8.629871", token):
        assert needle not in logs, f"{needle!r} leaked into the logs"
