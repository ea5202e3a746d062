"""The ASGI factory for `praca serve`: settings are read here, at start-up, never at import."""

from fastapi import FastAPI

from praca.app import create_app
from praca.core.observability import configure_logging
from praca.settings import Settings


def build() -> FastAPI:
    settings = Settings()
    configure_logging(settings.log_level)
    return create_app(settings)
