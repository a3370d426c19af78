"""Backup and restore. SQLite: the online backup API gives a consistent copy while the server writes.
PostgreSQL: use pg_dump / pg_restore (README), which are consistent by snapshot."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from civic.settings import Settings


def _sqlite_path(settings: Settings) -> Path:
    return Path(settings.database_url.split("sqlite:///", 1)[1])


def backup(settings: Settings, target: str) -> int:
    if not settings.is_sqlite:
        print("For PostgreSQL use: pg_dump --format=custom --file FILE \"$DATABASE\" (see README.md)")
        return 2
    source = sqlite3.connect(_sqlite_path(settings), timeout=30)
    dest = sqlite3.connect(target)
    with dest:
        source.backup(dest, pages=1024)
    dest.close()
    source.close()
    print(f"backup written to {target}")
    return 0


def restore(settings: Settings, source_file: str) -> int:
    if not settings.is_sqlite:
        print("For PostgreSQL use: pg_restore --dbname \"$DATABASE\" FILE into an empty database (see README.md)")
        return 2
    path = _sqlite_path(settings)
    if path.exists() and path.stat().st_size > 0:
        check = sqlite3.connect(path)
        tables = [r[0] for r in check.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' AND name <> 'alembic_version'")]
        rows = any(check.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone() for table in tables)
        check.close()
        if rows:
            print(f"refusing to restore: {path} is not empty")
            return 1
    path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(source_file)
    dest = sqlite3.connect(path)
    with dest:
        source.backup(dest)
    dest.close()
    source.close()
    print(f"restored {source_file} into {path}")
    return 0
