"""The `civic` command (contract: ../shared/contracts/cli.md). Names and exit codes are stable."""
from __future__ import annotations

import argparse
import sys

from civic.settings import Settings


def _sessions(settings: Settings):
    from civic.db import make_engine, make_sessionmaker

    engine = make_engine(settings.database_url)
    return engine, make_sessionmaker(engine, write=True)


def cmd_db_upgrade(args, settings: Settings) -> int:
    from civic.migrate import upgrade

    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    print("database is up to date")
    return 0


def cmd_serve(args, settings: Settings) -> int:
    from civic import serving

    cmd_db_upgrade(args, settings)
    print(f"Civic on http://{args.host}:{args.port}/ ({'SQLite' if settings.is_sqlite else 'PostgreSQL'})")
    serving.run("civic.asgi:app", host=args.host, port=args.port, workers=args.workers, proxy_headers=True,
                log_level=settings.log_level.lower(), access_log=settings.access_log, timeout_keep_alive=30)
    return 0


def cmd_demo(args, settings: Settings) -> int:
    from civic import demo

    cmd_db_upgrade(args, settings)
    engine, sessions = _sessions(settings)
    if args.scale == "district":
        from civic.scale import load_district

        with sessions() as db:
            load_district(db)
        engine.dispose()
        return 0
    with sessions() as db:
        loaded = demo.load(db)
    engine.dispose()
    if loaded is None:
        print("the demo district is already loaded; nothing changed")
    else:
        print("demo district loaded: 3 communities; logins are listed in README.md (password %s)" % demo.DEMO_PASSWORD)
    return 0


def cmd_audit_verify(args, settings: Settings) -> int:
    from civic.audit import verify_all
    from civic.models import import_all_models

    import_all_models()
    engine, sessions = _sessions(settings)
    with sessions() as db:
        results = verify_all(db)
    engine.dispose()
    bad = False
    for chain, problems in results.items():
        if problems:
            bad = True
            print(f"{chain}: TAMPERED")
            for problem in problems[:50]:
                print("  - " + problem)
        else:
            print(f"{chain}: intact")
    return 1 if bad else 0


def cmd_verify(args, settings: Settings) -> int:
    from civic.elections.board import main_verify

    return main_verify(args.board)


def cmd_backup(args, settings: Settings) -> int:
    from civic.backup import backup

    return backup(settings, args.file)


def cmd_restore(args, settings: Settings) -> int:
    from civic.backup import restore

    return restore(settings, args.file)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="civic",
        description="Civic: elections, consultations, public disclosure and appraisal for residents' committees. "
        "Configuration comes from CIVIC_* environment variables (see README.md).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = sub.add_parser("serve", help="apply migrations, then serve the web application")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1; use PostgreSQL for more)")
    serve.set_defaults(func=cmd_serve)
    demo = sub.add_parser("demo", help="load the demo district into the configured database (safe to run twice)")
    demo.add_argument("--scale", choices=["small", "district"], default="small",
                      help="small: 3 communities, 450 residents (default); district: 100 communities, 1,000,000 residents (benchmarks)")
    demo.set_defaults(func=cmd_demo)
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply migrations").set_defaults(func=cmd_db_upgrade)
    verify = sub.add_parser("verify", help="check an election board's hash chain and recount it (exit 0 only if intact and equal)")
    verify.add_argument("board", help="path to BOARD.json")
    verify.set_defaults(func=cmd_verify)
    audit = sub.add_parser("audit", help="the audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="ACTION")
    audit_sub.add_parser("verify", help="check every hash chain in the database (exit 0 only if intact)").set_defaults(func=cmd_audit_verify)
    backup = sub.add_parser("backup", help="consistent backup while serving (SQLite online backup; see README for PostgreSQL)")
    backup.add_argument("file")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="restore a backup into an empty database")
    restore.add_argument("file")
    restore.set_defaults(func=cmd_restore)
    from civic.cli_modules import add_module_commands

    add_module_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0 if not args.command else 2
    import logging

    settings = Settings.from_env()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return args.func(args, settings) or 0


if __name__ == "__main__":
    sys.exit(main())
