"""Browser tests: the real server on a free loopback port, a committed SQLite demo city, a real SMTP
server, and Debian's Chromium driven by Playwright. axe-core comes from the npm registry (node_modules).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from praca import demo
from praca.core.db import make_engine, make_sessionmaker
from praca.core.migrate import upgrade
from praca.settings import Settings
from tests.smtp import SmtpServer, smtp_server

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveCity:
    url: str
    settings: Settings
    smtp: SmtpServer

    def sessionmaker(self):
        return make_sessionmaker(make_engine(self.settings.sqlalchemy_url))

    def deliver_email(self) -> int:
        """What the worker's core.send_email job does, now."""
        from praca.core import notify

        with self.sessionmaker()() as session:
            return notify.send_pending(session, self.settings)


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveCity]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    data_dir = tmp_path_factory.mktemp("live")
    with smtp_server() as smtp:
        env = {**os.environ, "PRACA_DATA_DIR": str(data_dir), "PRACA_DATABASE_URL": "",
               "PRACA_SMTP_HOST": smtp.host, "PRACA_SMTP_PORT": str(smtp.port), "PRACA_REGISTRY_CACHE_S": "0",
               "PRACA_PUBLIC_POST_RATE": "1000", "PRACA_SECRET_KEY": "browser-tests-secret"}
        settings = Settings(data_dir=data_dir, smtp_host=smtp.host, smtp_port=smtp.port, _env_file=None)
        settings.base_url = "http://127.0.0.1:0"
        upgrade(settings.sqlalchemy_url)
        with make_sessionmaker(make_engine(settings.sqlalchemy_url))() as session:
            demo.seed(session, settings)
            session.commit()
        port = _free_port()
        env["PRACA_BASE_URL"] = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "praca.asgi:build", "--factory", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning"], env=env, cwd=ROOT)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    if httpx.get(f"{url}/livez", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            else:
                raise RuntimeError("the server did not start")
            settings.base_url = url
            yield LiveCity(url, settings, smtp)
        finally:
            server.terminate()
            server.wait(timeout=10)


@pytest.fixture(scope="session")
def browser(live: LiveCity):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live: LiveCity):
    context = browser.new_context(base_url=live.url, bypass_csp=True, locale="pt-PT",
                                  geolocation={"latitude": 41.1496, "longitude": -8.6109},
                                  permissions=["geolocation"])
    # No network beyond our server: map tiles and anything else external fail fast.
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(live.url)
                  else route.abort())
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors  # type: ignore[attr-defined]
    yield page
    context.close()


def axe_violations(page) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations on the current page."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]} for v in result["violations"]]
