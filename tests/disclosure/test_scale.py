"""Bulk-written years of notices stay verifiable and searchable (SQLite and PostgreSQL)."""
import datetime as dt

from civic import audit
from civic.disclosure import queries
from civic.disclosure.chain import verify_versions
from civic.disclosure.scale import seed_communities
from tests.helpers import make_community


def test_bulk_years_are_chained_audited_and_searchable(db):
    communities = [make_community(db, code=f"s{i}", name=f"规模{i}社区") for i in range(2)]
    today = dt.date(2026, 11, 20)
    written = seed_communities(db, communities, years=2, today=today)
    db.commit()
    assert written > 2 * 24 * 1.5  # monthly accounts, quarterly lists, other notices, over two years
    assert verify_versions(db) == [] and audit.verify_audit_chain(db) == []
    page = queries.board(db, communities[0], today=today, q="财务收支")
    assert page.total >= 20 and all("财务收支" in i.title for i in page.items)
    assert queries.board(db, communities[0], today=today, q="低保").total >= 7
    rows = queries.calendar(db, communities[0], 2026, today)
    finance = next(r for r in rows if r.obligation.category == "finance")
    assert [c.status for c in finance.cells][:9] == ["done"] * 9
