"""Alembic environment: the URL comes from Settings; every module's models are imported."""
from alembic import context

from civic.db import Base
from civic.models import import_all_models

import_all_models()
config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from civic.db import make_engine

        engine = make_engine(config.get_main_option("sqlalchemy.url"))
        with engine.connect() as conn:
            _run(conn)
        engine.dispose()
    else:
        _run(connection)


def _include_name(name, type_, parent_names) -> bool:
    # Full-text search objects a module's migration makes by hand (SQLite FTS5 tables and their shadow
    # tables, PostgreSQL trigram indexes) are not in the metadata: autogenerate must not drop them.
    if type_ == "table" and "_fts" in (name or ""):
        return False
    if type_ == "index" and (name or "").endswith("_trgm"):
        return False
    return True


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_name=_include_name,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
