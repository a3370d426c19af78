"""The hash chain of a disclosure's versions, and its verifier for `civic audit verify`.

Each sealed version hashes its content, its attachments' digests and the previous version's hash. The
hash is also written into the audit log when the version is sealed, so removing the newest version, or
editing one and recomputing its hash, still shows: the audit chain itself is tamper-evident.
"""
from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from civic.audit import GENESIS, AuditEntry, sha256

SEAL_ACTION = "disclosure.version.seal"


def version_payload(version, attachments, prev: str) -> dict:
    sealed_at = version.sealed_at.astimezone(dt.timezone.utc).isoformat(timespec="microseconds") if version.sealed_at else None
    return {
        "disclosure": version.disclosure_id,
        "number": version.number,
        "title": version.title,
        "body": version.body,
        "table": version.table_json,
        "reason": version.reason,
        "material": bool(version.material),
        "sealed_by": version.sealed_by,
        "sealed_at": sealed_at,
        "attachments": [[a.title, a.original_name, a.sha256, bool(a.public)] for a in attachments],
        "prev": prev,
    }


def version_hash(version, attachments, prev: str) -> str:
    return sha256(version_payload(version, attachments, prev))


def verify_versions(db: Session) -> list[str]:
    from civic.disclosure.models import Attachment, DisclosureVersion

    problems: list[str] = []
    versions = list(db.execute(
        select(DisclosureVersion).where(DisclosureVersion.state == "sealed").order_by(DisclosureVersion.disclosure_id, DisclosureVersion.number)
        .execution_options(populate_existing=True)  # read what the database holds, not what this session remembers
    ).scalars())
    files = defaultdict(list)
    for attachment in db.execute(select(Attachment).order_by(Attachment.id).execution_options(populate_existing=True)).scalars():
        files[attachment.version_id].append(attachment)
    by_item = defaultdict(list)
    for version in versions:
        by_item[version.disclosure_id].append(version)
    sealed_hashes: dict[tuple[int, int], str] = {}
    for item_id, chain in by_item.items():
        prev = GENESIS
        for expected, version in enumerate(chain, start=1):
            where = f"disclosure {item_id} version {version.number}"
            if version.number != expected:
                problems.append(f"disclosure: {item_id} has version {version.number} where {expected} was expected (a version was removed)")
            if version.prev_hash != prev:
                problems.append(f"disclosure: {where} does not follow the version before it")
            if version_hash(version, files[version.id], version.prev_hash or "") != version.hash:
                problems.append(f"disclosure: {where} was changed after it was sealed")
            sealed_hashes[(item_id, version.number)] = version.hash or ""
            prev = version.hash or ""
    recorded: dict[tuple[int, int], str] = {}
    for entry in db.execute(select(AuditEntry).where(AuditEntry.action == SEAL_ACTION)).scalars():
        try:
            data = json.loads(entry.data)
            key = (int(entry.target.split(":", 1)[1]), int(data["version"]))
            recorded[key] = str(data["hash"])
        except (ValueError, KeyError, IndexError, TypeError):
            problems.append(f"disclosure: audit entry {entry.seq} about a sealed version cannot be read")
    for key, digest in recorded.items():
        if key not in sealed_hashes:
            problems.append(f"disclosure: {key[0]} version {key[1]} was sealed (audit entry) but is missing")
        elif sealed_hashes[key] != digest:
            problems.append(f"disclosure: {key[0]} version {key[1]} differs from the hash recorded when it was sealed")
    for key in sealed_hashes.keys() - recorded.keys():
        problems.append(f"disclosure: {key[0]} version {key[1]} has no audit entry of its sealing")
    return problems
