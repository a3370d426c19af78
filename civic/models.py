"""Imports every model so that metadata (Alembic, tests) sees all tables."""


def import_all_models() -> None:
    import importlib
    from pathlib import Path

    import civic.accounts.models  # noqa: F401
    import civic.audit  # noqa: F401
    import civic.notify  # noqa: F401
    import civic.pagecache  # noqa: F401
    import civic.registry.models  # noqa: F401
    import civic.rulesconfig.models  # noqa: F401

    root = Path(__file__).parent
    for package in ("elections", "consultations", "disclosure", "appraisal"):
        if (root / package / "models.py").exists():
            importlib.import_module(f"civic.{package}.models")
