"""Fixtures for the DPO desk: a real SMTP server, and staff of every role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.factories import make_user
from tests.smtp import SmtpServer, smtp_server


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a free loopback port; `.messages` holds what it received."""
    with smtp_server() as server:
        yield server


@pytest.fixture
def dpo(session):
    return make_user(session, "dpo")


@pytest.fixture
def viewer(session):
    return make_user(session, "viewer")
