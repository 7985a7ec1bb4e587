"""Schema changes go through Alembic: one step, run before any replica starts."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from hubdata.settings import PROJECT_ROOT


def alembic_config(database_url: str) -> Config:
    """The Alembic configuration for ``database_url``."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database to ``revision`` (the newest by default)."""
    command.upgrade(alembic_config(database_url), revision)


def revision(database_url: str, message: str) -> None:
    """Write a new migration by comparing the models with the database (maintainers)."""
    command.revision(alembic_config(database_url), message=message, autogenerate=True)
