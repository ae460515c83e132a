"""Fixtures of the database suites."""

from support.services import cli_database

__all__ = ["cli_database"]
