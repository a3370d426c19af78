"""`civic disclosure notify-overdue` (the daily job) and `civic audit verify` over disclosure versions."""
import datetime as dt

from sqlalchemy import text

from civic.cli import main
from civic.db import make_engine, make_sessionmaker
from civic.disclosure import services
from civic.registry.models import StreetOffice
from civic.security import load_actor
from tests.helpers import make_community, make_user


def test_notify_overdue_then_audit_verify_detects_an_edited_version(sqlite_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CIVIC_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("CIVIC_DATA_DIR", str(tmp_path))
    engine = make_engine(sqlite_url)
    with make_sessionmaker(engine, write=True)() as db:
        home = make_community(db, code="home")
        street = db.get(StreetOffice, home.street_id)
        supervisor = make_user(db, roles=[("street_supervisor", None)], street=street)
        staff = make_user(db, roles=[("staff", home)])
        services.save_obligation(db, load_actor(db, supervisor.id), home, "finance", 1, 10, dt.date(2020, 1, 1), True)
        item = services.create_item(db, load_actor(db, staff.id), home, services.ItemValues("decisions", "决定", "正文", None, None, None, False))
        services.publish(db, load_actor(db, staff.id), item.id, None)
    assert main(["disclosure", "notify-overdue"]) == 0
    first = capsys.readouterr().out
    assert int(first.split()[0]) > 0
    assert main(["disclosure", "notify-overdue"]) == 0
    assert capsys.readouterr().out.startswith("0 ")  # each period once
    assert main(["audit", "verify"]) == 0
    assert "disclosure: intact" in capsys.readouterr().out
    with engine.begin() as conn:
        conn.execute(text("UPDATE disclosure_version SET title = '改过的标题'"))
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "disclosure: TAMPERED" in out and "changed after it was sealed" in out
    engine.dispose()
