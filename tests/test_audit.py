from sqlalchemy import text

from civic import audit
from civic.security import Actor


def _entries(db, n=5):
    for i in range(n):
        audit.record(db, "test.action", actor=Actor(), target=f"thing:{i}", data={"i": i})
    db.commit()


def test_intact_chain_verifies(db):
    _entries(db)
    assert audit.verify_audit_chain(db) == []


def test_changed_entry_is_detected(db):
    _entries(db)
    db.execute(text("UPDATE audit_entry SET target = 'thing:99' WHERE seq = 3"))
    db.commit()
    assert any("changed" in p for p in audit.verify_audit_chain(db))


def test_removed_entry_is_detected(db):
    _entries(db)
    db.execute(text("DELETE FROM audit_entry WHERE seq = 2"))
    db.commit()
    assert audit.verify_audit_chain(db)


def test_removed_last_entry_is_detected(db):
    _entries(db)
    db.execute(text("DELETE FROM audit_entry WHERE seq = 5"))
    db.commit()
    assert any("head" in p for p in audit.verify_audit_chain(db))


def test_reordered_entries_are_detected(db):
    _entries(db)
    db.execute(text("UPDATE audit_entry SET seq = -1 WHERE seq = 2"))
    db.execute(text("UPDATE audit_entry SET seq = 2 WHERE seq = 3"))
    db.execute(text("UPDATE audit_entry SET seq = 3 WHERE seq = -1"))
    db.commit()
    assert audit.verify_audit_chain(db)
