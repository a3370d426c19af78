"""Migrations: one Alembic history for the core, one branch per domain module (its own folder),
so modules evolve independently; `upgrade()` applies every head."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

ROOT = Path(__file__).parent
MODULE_DIRS = ["elections", "consultations", "disclosure", "appraisal"]


def alembic_config(url: str, connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    locations = [str(ROOT / "migrations" / "versions")]
    locations += [str(ROOT / m / "migrations") for m in MODULE_DIRS if (ROOT / m / "migrations").is_dir()]
    config.set_main_option("version_locations", " ".join(locations))
    config.set_main_option("path_separator", "space")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str) -> None:
    command.upgrade(alembic_config(url), "heads")
