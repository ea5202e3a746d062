"""Praça: an open-source digital-rights platform for cities."""

__version__ = "0.1.0"
