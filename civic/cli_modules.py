"""Sub-commands contributed by domain modules (each module adds its own in its cli.py, if any)."""
from __future__ import annotations

import importlib


def add_module_commands(sub) -> None:
    for package in ("elections", "consultations", "disclosure", "appraisal"):
        try:
            module = importlib.import_module(f"civic.{package}.cli")
        except ModuleNotFoundError as error:
            if error.name != f"civic.{package}.cli":
                raise
            continue
        module.add_commands(sub)
