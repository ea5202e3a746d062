"""core/security: the in-process rate limiter and the Content-Security-Policy."""

from __future__ import annotations

import threading
import time

import pytest

from praca.core import security
from praca.core.security import RateLimiter


class Clock:
    """Stands in for time.monotonic so windows can pass without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(security.time, "monotonic", clock)
    return clock


# --- RateLimiter ---------------------------------------------------------------------------------------

def test_limit_then_allowed_again_after_the_window(clock):
    limiter = RateLimiter()
    assert [limiter.hit("report", "10.0.0.1", 3, 60) for _ in range(3)] == [None, None, None]
    assert limiter.hit("report", "10.0.0.1", 3, 60) == pytest.approx(60)
    clock.now += 59.5
    assert limiter.hit("report", "10.0.0.1", 3, 60) == pytest.approx(0.5)
    clock.now += 0.5
    assert limiter.hit("report", "10.0.0.1", 3, 60) is None


def test_window_slides_hit_by_hit(clock):
    limiter = RateLimiter()
    for offset in (0, 20, 40):  # hits at t=0, 20, 40
        clock.now = 1000.0 + offset
        assert limiter.hit("b", "c", 3, 60) is None
    clock.now = 1000.0 + 50
    assert limiter.hit("b", "c", 3, 60) == pytest.approx(10)  # the t=0 hit leaves at t=60
    clock.now = 1000.0 + 60
    assert limiter.hit("b", "c", 3, 60) is None  # one slot freed …
    assert limiter.hit("b", "c", 3, 60) == pytest.approx(20)  # … and taken; next frees at t=80


def test_refused_hits_do_not_extend_the_lockout(clock):
    limiter = RateLimiter()
    limiter.hit("b", "c", 1, 10)
    for _ in range(9):
        clock.now += 1
        assert limiter.hit("b", "c", 1, 10) is not None
    clock.now += 1  # 10 s after the only accepted hit
    assert limiter.hit("b", "c", 1, 10) is None


def test_clients_and_buckets_are_counted_separately(clock):
    limiter = RateLimiter()
    assert limiter.hit("report", "10.0.0.1", 1, 60) is None
    assert limiter.hit("report", "10.0.0.1", 1, 60) is not None
    assert limiter.hit("report", "10.0.0.2", 1, 60) is None
    assert limiter.hit("question", "10.0.0.1", 1, 60) is None


def test_real_clock_short_window():
    limiter = RateLimiter()
    assert limiter.hit("b", "c", 2, 0.2) is None
    assert limiter.hit("b", "c", 2, 0.2) is None
    wait = limiter.hit("b", "c", 2, 0.2)
    assert wait is not None and 0 < wait <= 0.2
    time.sleep(wait + 0.02)
    assert limiter.hit("b", "c", 2, 0.2) is None


def test_concurrent_hits_never_exceed_the_limit():
    limiter = RateLimiter()
    allowed: list[bool] = []
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait()
        results = [limiter.hit("b", "c", 50, 60) is None for _ in range(100)]
        allowed.extend(results)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(allowed) == 800
    assert sum(allowed) == 50


def test_idle_clients_are_forgotten_when_the_table_grows(clock):
    limiter = RateLimiter()
    for i in range(100_001):
        limiter.hit("b", f"client-{i}", 5, 60)
    clock.now += 61
    assert limiter.hit("b", "newcomer", 5, 60) is None
    assert len(limiter._hits) == 1


# --- Content-Security-Policy ---------------------------------------------------------------------------

def directives(csp: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in csp.split(";"):
        name, *values = part.split()
        assert name not in out, f"duplicate directive {name}"
        out[name] = values
    return out


@pytest.mark.parametrize("tile_url, origin", [
    ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
    ("https://{s}.tile.openstreetmap.fr/hot/{z}/{x}/{y}.png", "https://*.tile.openstreetmap.fr"),
    ("http://127.0.0.1:8081/tiles/{z}/{x}/{y}.png", "http://127.0.0.1:8081"),
])
def test_csp_allows_map_tiles_as_images_only(tile_url, origin):
    csp = security.content_security_policy(tile_url)
    d = directives(csp)
    assert origin in d["img-src"]
    assert "'self'" in d["img-src"]
    for name, values in d.items():
        if name != "img-src":
            assert origin not in values, name
    assert "{z}" not in csp and "{s}" not in csp


def test_csp_forbids_inline_code_framing_and_plugins():
    csp = security.content_security_policy("https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    d = directives(csp)
    assert d["default-src"] == ["'self'"]
    assert d["script-src"] == ["'self'"]
    assert d["style-src"] == ["'self'"]
    assert d["object-src"] == ["'none'"]
    assert d["base-uri"] == ["'none'"]
    assert d["frame-ancestors"] == ["'none'"]
    assert d["form-action"] == ["'self'"]
    assert d["connect-src"] == ["'self'"]
