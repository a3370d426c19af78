"""Bulk builders for big threads (tests of query counts, bench/consultations_thread.py)."""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from civic.consultations import rules
from civic.consultations.models import Comment
from civic.markdown import render_markdown


def bulk_thread(db: Session, consultation_id: int, user_ids: list[int], roots: int, replies: int, *, seed: int = 1,
                agenda_item_id: int | None = None) -> int:
    """`roots` top-level comments and `replies` replies spread over them at depths 1–5, with up-votes;
    rows as the services would write them (paths, root ids, reply counters). Returns the number written."""
    rng = random.Random(seed)
    now = dt.datetime.now(dt.timezone.utc)
    start = (db.scalar(select(Comment.id).order_by(Comment.id.desc()).limit(1)) or 0) + 1
    rows, by_id = [], {}
    for n in range(roots):
        cid = start + n
        row = _row(cid, consultation_id, agenda_item_id, None, None, 0, rules.path_for("", cid), rng.choice(user_ids), now, rng, n)
        rows.append(row)
        by_id[cid] = row
    root_ids = list(by_id)
    for n in range(replies):
        cid = start + roots + n
        parent = by_id[rng.choice(root_ids)] if rng.random() < 0.5 or n < 10 else rows[rng.randrange(len(rows))]
        if parent["depth"] >= 5:
            parent = by_id[parent["root_id"]]
        root = parent["root_id"] or parent["id"]
        row = _row(cid, consultation_id, agenda_item_id, parent["id"], root, parent["depth"] + 1, rules.path_for(parent["path"], cid),
                   rng.choice(user_ids), now, rng, n)
        rows.append(row)
        by_id[cid] = row
        for ancestor in parent["path"].split("."):
            by_id[int(ancestor)]["replies"] += 1
    for chunk in range(0, len(rows), 1000):
        db.execute(insert(Comment), rows[chunk:chunk + 1000])
    db.commit()
    if db.bind.dialect.name == "postgresql":  # explicit ids were inserted: move the sequence past them
        db.execute(text("SELECT setval(pg_get_serial_sequence('consultations_comment', 'id'), (SELECT max(id) FROM consultations_comment))"))
        db.commit()
    return len(rows)


HTML = str(render_markdown("我同意这个方案，但希望**先公示预算**。"))


def _row(cid, consultation_id, item_id, parent_id, root_id, depth, path, user_id, now, rng, n) -> dict:
    return {
        "id": cid, "consultation_id": consultation_id, "agenda_item_id": item_id, "parent_id": parent_id, "root_id": root_id,
        "depth": depth, "path": path, "author_user_id": user_id, "display_name": f"居民{user_id}", "body": "我同意这个方案，但希望**先公示预算**。",
        "html": HTML, "stance": rng.choice(["for", "against", "neutral"]), "created_at": now - dt.timedelta(seconds=n),
        "state": "visible", "upvotes": rng.randrange(0, 50), "replies": 0, "reports": 0,
    }
