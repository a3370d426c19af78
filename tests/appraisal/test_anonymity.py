"""Anonymity by construction (A9): no table, log or audit row links a rater to a rating."""
import json

import pytest
from sqlalchemy import inspect, select

from civic.appraisal import services
from civic.appraisal.models import Participation, RatingForm, Result
from civic.audit import AuditEntry
from civic.notify import Notification
from civic.security import load_actor
from tests.appraisal.factories import campaign_in_rating, make_world, sheet

# Tables that hold what was rated (or aggregates of it).
RATING_TABLES = ("appraisal_form", "appraisal_result")
# The only columns a form may have: a random key, where it belongs, and the marks.
FORM_COLUMNS = {"id", "campaign_id", "cadre_id", "group_id", "grade", "morality", "ability", "diligence", "achievement", "integrity"}
# Tables whose rows identify people or record when and how someone acted.
PERSON_TABLES = {"accounts_user", "registry_resident", "registry_household", "appraisal_rater", "appraisal_participation",
                 "appraisal_conflict", "audit_entry", "appraisal_comment"}
SUSPICIOUS = ("user", "rater", "resident", "voter", "author", "by", "ip", "address", "agent", "session", "time", "at", "day", "date",
              "created", "seq", "order", "token", "channel")


def test_rating_tables_have_no_column_or_key_that_could_lead_to_a_rater(engine):
    inspector = inspect(engine)
    assert set(c["name"] for c in inspector.get_columns("appraisal_form")) == FORM_COLUMNS
    for table in RATING_TABLES:
        for column in inspector.get_columns(table):
            words = column["name"].split("_")
            assert not any(w in SUSPICIOUS for w in words), f"{table}.{column['name']} could identify a rater or a moment"
            assert "DATE" not in str(column["type"]).upper() and "TIME" not in str(column["type"]).upper(), (table, column["name"])
        for fk in inspector.get_foreign_keys(table):
            assert fk["referred_table"] not in PERSON_TABLES, f"{table} refers to {fk['referred_table']}"
    # The form's key is text (random), never an autoincrementing integer.
    key = inspector.get_pk_constraint("appraisal_form")["constrained_columns"]
    assert key == ["id"]
    assert "INT" not in str(next(c["type"] for c in inspector.get_columns("appraisal_form") if c["name"] == "id")).upper()
    # The register knows who and which cadre, never the grade.
    register = {c["name"] for c in inspector.get_columns("appraisal_participation")}
    assert register.isdisjoint({"grade", "morality", "ability", "diligence", "achievement", "integrity", "form_id", "group_id"})


def test_sqlite_stores_forms_and_register_without_rowid(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("WITHOUT ROWID is SQLite's")
    with engine.connect() as conn:
        for table in ("appraisal_form", "appraisal_participation"):
            sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).scalar()
            assert "WITHOUT ROWID" in sql.upper(), table


def test_the_audit_log_and_notifications_hold_no_rater_rating_link(db):
    world = make_world(db)
    campaign, cadres = campaign_in_rating(db, world)
    before = db.execute(select(AuditEntry.id)).scalars().all()
    notes_before = db.execute(select(Notification.id)).scalars().all()
    for user, grade in zip(world.rep_users, ["excellent", "unfit", "basic", "competent"]):
        services.submit_sheet(db, load_actor(db, user.id), campaign, sheet(cadres, [grade] * 3))
    # Paper forms too: the clerk's entry is on the register, not in the log.
    rater = services.rater_of(db, campaign, load_actor(db, world.party_users[0].id))
    services.submit_sheet(db, load_actor(db, world.staff.id), campaign, sheet(cadres, ["competent"] * 3), rater=rater)
    assert db.execute(select(AuditEntry.id)).scalars().all() == before
    assert db.execute(select(Notification.id)).scalars().all() == notes_before
    services.close_campaign(db, load_actor(db, world.supervisor.id), campaign)
    rater_ids = {p.rater_id for p in db.execute(select(Participation)).scalars()}
    for entry in db.execute(select(AuditEntry).where(AuditEntry.action.like("appraisal.%"))).scalars():
        data = json.loads(entry.data)
        text = entry.data + entry.target
        assert not any(g in text for g in ("excellent", "competent", "basic", "unfit")), entry.action
        if entry.action != "appraisal.conflict.declare":
            assert "rater" not in data, entry.action
    # The frozen results hold aggregates: counts per group, never a form id.
    form_ids = {f.id for f in db.execute(select(RatingForm)).scalars()}
    for result in db.execute(select(Result)).scalars():
        assert not any(fid in result.data for fid in form_ids)
        assert '"rater' not in result.data
    assert rater_ids  # the register is there, apart
