"""`civic disclosure …`: the daily job that tells supervisors about overdue disclosures."""
from __future__ import annotations


def cmd_notify_overdue(args, settings) -> int:
    from civic.db import make_engine, make_sessionmaker
    from civic.disclosure import services
    from civic.models import import_all_models

    import_all_models()
    engine = make_engine(settings.database_url)
    with make_sessionmaker(engine, write=True)() as db:
        count = services.notify_overdue(db)
    engine.dispose()
    print(f"{count} overdue disclosure periods notified")
    return 0


def add_commands(sub) -> None:
    disclosure = sub.add_parser("disclosure", help="public disclosure (居务公开) maintenance")
    actions = disclosure.add_subparsers(dest="disclosure_command", metavar="ACTION")
    actions.add_parser(
        "notify-overdue",
        help="notify the supervision committee and the street office of each newly overdue disclosure (run daily, e.g. from cron)",
    ).set_defaults(func=cmd_notify_overdue)
