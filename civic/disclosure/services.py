"""Disclosure use cases, one verb each: check the permission, apply the rules, write, audit, commit.

The life of a notice: a draft (version 1) → submitted → reviewed by the supervision committee where the
category requires it → sealed and numbered on publication → objections and questions answered in public
→ corrections as new sealed versions with a reason → taken down no earlier than the display minimum.
"""
from __future__ import annotations

import atexit
import csv
import datetime as dt
import io
import json
import logging
import threading
import time
import weakref
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from civic import audit, uploads
from civic.audit import GENESIS
from civic.db import utcnow
from civic.disclosure import queries, rules
from civic.disclosure.chain import SEAL_ACTION, version_hash
from civic.disclosure.holidays import CHINA
from civic.disclosure.models import (Attachment, CategorySetting, Disclosure, DisclosureVersion, Extension, Feedback,
                                     Obligation, OverdueNotice)
from civic.errors import Conflict, Invalid, NotFound
from civic.i18n import _, format_date, translations
from civic.markdown import plain_text
from civic.pagecache import STATISTIC
from civic.notify import notify
from civic.registry.models import Community, StreetOffice
from civic.rulesconfig.services import Rules, current_rules, rules_by_version
from civic.security import Actor, ensure_permission

# Permission names (the manifest grants them to roles).
MANAGE = "disclosure:items:manage"  # write, publish, correct, take down, extend — committee staff
REVIEW = "disclosure:items:review"  # sign off before publication — supervision committee
FULL_DATA = "disclosure:items:full"  # see drafts and unmasked data — staff, supervision committee, street office
FEEDBACK = "disclosure:feedback:file"  # object, ask — residents of the community
ANSWER = "disclosure:feedback:answer"  # answer objections and questions — committee staff
SCHEDULE = "disclosure:schedule:edit"  # set a community's schedule — street office
OVERSIGHT = "disclosure:schedule:oversee"  # overdue items across communities — supervision committee, street office
CATEGORIES = "disclosure:categories:edit"  # category settings — administrators only

ATTACHMENT_TYPES = {"pdf", "png", "jpg", "jpeg", "xlsx", "csv", "docx"}
ATTACHMENT_MAX = 10 * 1024 * 1024
TABLE_FILE_TYPES = {"xlsx", "csv"}
MAX_PENDING_PER_PERSON = 5
CHANNELS = ("online", "in_person", "phone", "letter")
OUTCOMES = ("upheld", "partly", "dismissed")


@dataclass
class ItemValues:
    """Clean values of the item form (forms.parse_item)."""

    category: str
    title: str
    body: str
    table: rules.Table | None
    notice_days: int | None
    period_start: dt.date | None
    is_leaving_audit: bool


def _community(db: Session, community_id: int) -> Community:
    return db.get(Community, community_id)


def rules_for(db: Session, community: Community, item: Disclosure | None = None) -> Rules:
    if item is not None and item.rules_version_id is not None:
        return rules_by_version(db, item.rules_version_id)
    district_id = db.scalar(select(StreetOffice.district_id).where(StreetOffice.id == community.street_id))
    return current_rules(db, district_id)


def _notice_kwargs(r: Rules) -> dict:
    return {"working_days": bool(r["disclosure.count_working_days"]), "extend_on_holiday": bool(r["disclosure.extend_on_holiday"]), "calendar": CHINA}


def _load(db: Session, disclosure_id: int) -> Disclosure:
    item = queries.load_item(db, disclosure_id)
    if item is None:
        raise NotFound(_("No such notice."))
    return item


def _working(item: Disclosure, *, states=("draft",)) -> DisclosureVersion:
    version = queries.working_copy(item)
    if version is None or version.state not in states:
        if version is not None and version.state == "in_review":
            raise Conflict(_("This notice is with the supervision committee for review and cannot be changed now."))
        raise Conflict(_("There is no draft of this notice to change. To change a published notice, start a correction."))
    return version


def _category(db: Session, code: str) -> queries.CategoryView:
    category = queries.categories(db).get(code)
    if category is None or not category.active:
        raise Invalid(_("Choose one of the categories."), field="category")
    return category


def _check_values(db: Session, values: ItemValues) -> queries.CategoryView:
    category = _category(db, values.category)
    if values.is_leaving_audit and values.category != "audit":
        raise Invalid(_("Only an audit result can be the chair's leaving audit."), field="is_leaving_audit")
    return category


# --- writing --------------------------------------------------------------------------------------------

def create_item(db: Session, actor: Actor, community: Community, values: ItemValues) -> Disclosure:
    """A new notice as a draft (version 1)."""
    ensure_permission(actor, MANAGE, community)
    _check_values(db, values)
    item = Disclosure(community_id=community.id, category=values.category, title=values.title, notice_days=values.notice_days,
                      period_start=values.period_start, is_leaving_audit=values.is_leaving_audit, created_by=actor.user_id)
    db.add(item)
    db.flush()
    db.add(DisclosureVersion(disclosure_id=item.id, number=1, title=values.title, body=values.body,
                             table_json=json.dumps(values.table.to_json(), ensure_ascii=False) if values.table else "",
                             state="draft", created_by=actor.user_id))
    audit.record(db, "disclosure.item.create", actor=actor, target=f"disclosure:{item.id}", community_id=community.id,
                 data={"category": values.category})
    db.commit()
    return item


def update_draft(db: Session, actor: Actor, disclosure_id: int, values: ItemValues) -> Disclosure:
    """Change the draft. A correction keeps the category, notice period and scheduled period of the notice."""
    item = _load(db, disclosure_id)
    ensure_permission(actor, MANAGE, item.community)
    version = _working(item)
    if item.published_on is None:
        _check_values(db, values)
        item.category, item.notice_days, item.period_start = values.category, values.notice_days, values.period_start
        item.is_leaving_audit = values.is_leaving_audit
    version.title, version.body = values.title, values.body
    version.table_json = json.dumps(values.table.to_json(), ensure_ascii=False) if values.table else ""
    item.title = values.title if item.published_on is None else item.title
    audit.record(db, "disclosure.draft.update", actor=actor, target=f"disclosure:{item.id}", community_id=item.community_id,
                 data={"version": version.number})
    db.commit()
    return item


def add_attachment(db: Session, actor: Actor, disclosure_id: int, data_dir: Path, filename: str, content: bytes, title: str, public: bool) -> Attachment:
    item = _load(db, disclosure_id)
    ensure_permission(actor, MANAGE, item.community)
    version = _working(item)
    uploads.check_upload(filename, content, ATTACHMENT_TYPES, ATTACHMENT_MAX)
    stored = uploads.store(data_dir, filename, content, ATTACHMENT_TYPES)
    title = (title or "").strip()[:200] or stored.original_name.rsplit(".", 1)[0]
    attachment = Attachment(version_id=version.id, title=title, original_name=stored.original_name, storage_name=stored.storage_name,
                            media_type=stored.media_type, size=stored.size, sha256=stored.sha256, public=public)
    db.add(attachment)
    audit.record(db, "disclosure.attachment.add", actor=actor, target=f"disclosure:{item.id}", community_id=item.community_id,
                 data={"name": stored.original_name, "sha256": stored.sha256, "public": public})
    db.commit()
    return attachment


def remove_attachment(db: Session, actor: Actor, disclosure_id: int, attachment_id: int) -> None:
    item = _load(db, disclosure_id)
    ensure_permission(actor, MANAGE, item.community)
    version = _working(item)
    attachment = next((a for a in version.attachments if a.id == attachment_id), None)
    if attachment is None:
        raise NotFound(_("No such attachment on this draft."))
    db.delete(attachment)
    audit.record(db, "disclosure.attachment.remove", actor=actor, target=f"disclosure:{item.id}", community_id=item.community_id,
                 data={"name": attachment.original_name})
    db.commit()


def table_from_file(filename: str, content: bytes) -> rules.Table:
    """The first sheet of an .xlsx (or a .csv): first row headers. Raises Invalid with the reason."""
    name, _media = uploads.check_upload(filename, content, TABLE_FILE_TYPES, ATTACHMENT_MAX)
    try:
        if name.lower().endswith(".csv"):
            try:
                decoded = content.decode("utf-8-sig")
            except UnicodeDecodeError:
                decoded = content.decode("gb18030")
            lines = list(csv.reader(io.StringIO(decoded)))
        else:
            from openpyxl import load_workbook

            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            sheet = book.worksheets[0]
            lines = []
            for row in sheet.iter_rows(values_only=True):
                lines.append(["" if v is None else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)) for v in row])
                if len(lines) > rules.MAX_ROWS + 2:
                    break
            book.close()
    except Invalid:
        raise
    except Exception as error:  # a damaged or disguised file: say so instead of failing
        raise Invalid(_("The spreadsheet could not be read. Save it again as .xlsx and retry."), field="table_file") from error
    lines = [line for line in lines if any(str(c).strip() for c in line)]
    if not lines:
        raise Invalid(_("The spreadsheet is empty."), field="table_file")
    try:
        return rules.normalise_table(lines[0], lines[1:])
    except rules.TableProblem as problem:
        raise Invalid(table_problem_message(problem), field="table_file") from problem


def table_problem_message(problem: rules.TableProblem) -> str:
    messages = {
        "no_header": _("The first row must name the columns."),
        "empty_header": _("Column %(column)s has no name in the first row."),
        "too_many_columns": _("A table may have at most %(max)s columns."),
        "too_many_cells": _("Row %(line)s has more cells than the %(n)s columns."),
        "cell_too_long": _("A cell in row %(line)s is longer than %(max)s characters."),
        "too_many_rows": _("A table may have at most %(max)s rows."),
    }
    return messages[problem.code] % problem.params


def import_table(db: Session, actor: Actor, disclosure_id: int, filename: str, content: bytes) -> rules.Table:
    item = _load(db, disclosure_id)
    ensure_permission(actor, MANAGE, item.community)
    version = _working(item)
    table = table_from_file(filename, content)
    version.table_json = json.dumps(table.to_json(), ensure_ascii=False)
    audit.record(db, "disclosure.table.import", actor=actor, target=f"disclosure:{item.id}", community_id=item.community_id,
                 data={"rows": len(table.rows), "columns": len(table.columns)})
    db.commit()
    return table


def discard_draft(db: Session, actor: Actor, disclosure_id: int) -> bool:
    """Drop the draft; a notice never published goes entirely. Returns True when the notice is gone."""
    item = _load(db, disclosure_id)
    ensure_permission(actor, MANAGE, item.community)
    version = _working(item)
    db.execute(delete(Attachment).where(Attachment.version_id == version.id))
    db.delete(version)
    gone = item.published_on is None
    if gone:
        db.delete(item)
    audit.record(db, "disclosure.draft.discard", actor=actor, target=f"disclosure:{disclosure_id}", community_id=item.community_id,
                 data={"version": version.number, "item_removed": gone})
    db.commit()
    return gone


# --- publication ------------------------------------------------------------------------------------------

def publish(db: Session, actor: Actor, disclosure_id: int, publish_on: dt.date | None, today: dt.date | None = None) -> str:
    """Publish the draft, or send it to the supervision committee when the category requires review.
    Returns "published" or "in_review"."""
    today = today or queries.local_today()
    item = _load(db, disclosure_id)
    ensure_permission(actor, MANAGE, item.community)
    version = _working(item)
    if not version.title.strip():
        raise Invalid(_("Give the notice a title."), field="title")
    first = item.published_on is None
    when = publish_on or today
    if first and when < today:
        raise Invalid(_("The publication date cannot be in the past: the notice period counts from the day it goes up."), field="publish_on")
    if first and when > today + dt.timedelta(days=90):
        raise Invalid(_("Publication can be scheduled at most 90 days ahead."), field="publish_on")
    category = _category(db, item.category) if first else queries.categories(db)[item.category]
    if category.requires_review:
        version.state, version.intended_on, version.review_comment = "in_review", (when if first else today), ""
        audit.record(db, "disclosure.item.submit", actor=actor, target=f"disclosure:{item.id}", community_id=item.community_id,
                     data={"version": version.number, "intended_on": version.intended_on})
        notify(db, queries.user_ids_with_role(db, "supervision_committee", item.community),
               _("A notice awaits your review: %(title)s", title=version.title), f"/disclosure/manage/d/{item.id}")
        db.commit()
        return "in_review"
    _seal(db, actor, item, version, when if first else today, today)
    db.commit()
    return "published"


def review(db: Session, actor: Actor, disclosure_id: int, approve: bool, comment: str, today: dt.date | None = None) -> str:
    """The supervision committee signs off (the notice is published) or returns it with a comment."""
    today = today or queries.local_today()
    item = _load(db, disclosure_id)
    ensure_permission(actor, REVIEW, item.community)
    version = queries.working_copy(item)
    if version is None or version.state != "in_review":
        raise Conflict(_("This notice is not waiting for review."))
    comment = (comment or "").strip()[:500]
    version.reviewed_by, version.reviewed_at = actor.user_id, utcnow()
    if not approve:
        if len(comment) < 2:
            raise Invalid(_("Say what should change before the notice can be published."), field="comment")
        version.state, version.review_comment = "draft", comment
        audit.record(db, "disclosure.review.return", actor=actor, target=f"disclosure:{item.id}", community_id=item.community_id,
                     data={"version": version.number})
        notify(db, [version.created_by], _("Returned by the supervision committee: %(title)s", title=version.title), f"/disclosure/manage/d/{item.id}")
        db.commit()
        return "returned"
    version.review_comment = comment
    when = max(version.intended_on or today, today)
    audit.record(db, "disclosure.review.approve", actor=actor, target=f"disclosure:{item.id}", community_id=item.community_id,
                 data={"version": version.number})
    _seal(db, actor, item, version, when, today)
    notify(db, [version.created_by], _("Approved and published: %(title)s", title=version.title), f"/disclosure/d/{item.id}")
    db.commit()
    return "published"


def _seal(db: Session, actor: Actor, item: Disclosure, version: DisclosureVersion, when: dt.date, today: dt.date) -> None:
    """Seal the version into the chain; the first one also numbers the notice and starts its periods."""
    community = item.community
    r = rules_for(db, community, item)
    previous = queries.current_version(item)
    if previous is None:
        used = list(db.execute(select(Disclosure.number).where(Disclosure.community_id == community.id, Disclosure.year == when.year,
                                                                Disclosure.number.is_not(None))).scalars())
        item.year, item.number = when.year, rules.next_number(used)
        item.published_on = item.display_from = when
        item.rules_version_id = r.version_id
        if item.notice_days:
            item.notice_ends_on = rules.notice_end(when, item.notice_days, **_notice_kwargs(r))
    elif version.material and r["disclosure.correction_restarts_clock"]:
        # D10: a material correction restarts the display minimum and, for notices, the notice period.
        item.display_from = when
        if item.notice_days:
            item.notice_ends_on = max(item.notice_ends_on or when, rules.notice_end(when, item.notice_days, **_notice_kwargs(r)))
    version.state, version.sealed_by, version.sealed_at = "sealed", actor.user_id, utcnow()
    version.prev_hash = previous.hash if previous is not None else GENESIS
    attachments = list(db.execute(select(Attachment).where(Attachment.version_id == version.id).order_by(Attachment.id)).scalars())
    version.hash = version_hash(version, attachments, version.prev_hash)
    item.title = version.title
    names = queries.categories(db)[item.category].names
    table = rules.Table.from_json(json.loads(version.table_json) if version.table_json else None)
    # The category's Chinese name is searchable too (a 低保 list is found by "低保" even if its title says 最低生活保障).
    category_name = translations("zh_CN").gettext(rules.CATEGORIES[item.category].title)
    item.search_text = rules.search_text(version.title, plain_text(version.body, limit=1_000_000), rules.public_table(table, names),
                                         [a.title for a in attachments if a.public]) + "\n" + category_name
    audit.record(db, SEAL_ACTION, actor=actor, target=f"disclosure:{item.id}", community_id=community.id, data={
        "version": version.number, "hash": version.hash, "number": item.number, "year": item.year,
        "material": bool(version.material), "published_on": item.published_on,
    })


def start_correction(db: Session, actor: Actor, disclosure_id: int, reason: str, material: bool) -> DisclosureVersion:
    """A correction is a new version (copy of the current one) with a reason; nothing published is edited."""
    item = _load(db, disclosure_id)
    ensure_permission(actor, MANAGE, item.community)
    current = queries.current_version(item)
    if current is None:
        raise Conflict(_("Only a published notice can be corrected; change the draft instead."))
    if item.withdrawn_on is not None:
        raise Conflict(_("This notice was taken down and can no longer be corrected."))
    if queries.working_copy(item) is not None:
        raise Conflict(_("A correction of this notice is already being prepared."))
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise Invalid(_("Give the reason for the correction (at least 4 characters)."), field="reason")
    version = DisclosureVersion(disclosure_id=item.id, number=current.number + 1, title=current.title, body=current.body,
                                table_json=current.table_json, reason=reason[:500], material=material, state="draft",
                                created_by=actor.user_id)
    db.add(version)
    db.flush()
    for a in current.attachments:
        db.add(Attachment(version_id=version.id, title=a.title, original_name=a.original_name, storage_name=a.storage_name,
                          media_type=a.media_type, size=a.size, sha256=a.sha256, public=a.public))
    audit.record(db, "disclosure.correction.start", actor=actor, target=f"disclosure:{item.id}", community_id=item.community_id,
                 data={"version": version.number, "material": material})
    db.commit()
    return version


def extend_notice_period(db: Session, actor: Actor, disclosure_id: int, extra_days: int, reason: str, today: dt.date | None = None) -> Extension:
    today = today or queries.local_today()
    item = _load(db, disclosure_id)
    ensure_permission(actor, MANAGE, item.community)
    if item.published_on is None or item.notice_ends_on is None:
        raise Conflict(_("This notice has no notice period to extend."))
    if item.withdrawn_on is not None:
        raise Conflict(_("This notice was taken down."))
    pending = queries.pending_objection_counts(db, [item.id]).get(item.id, 0)
    if today > item.notice_ends_on and not pending:
        raise Conflict(_("The notice period is over and every objection has been answered; there is nothing to extend."))
    if not 1 <= extra_days <= 30:
        raise Invalid(_("Extend by 1 to 30 days."), field="extra_days")
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise Invalid(_("Give the reason for the extension (at least 4 characters)."), field="reason")
    r = rules_for(db, item.community, item)
    base = max(item.notice_ends_on, today)
    extension = Extension(disclosure_id=item.id, old_end=item.notice_ends_on, reason=reason[:500], created_by=actor.user_id,
                          new_end=rules.extend_notice(base, extra_days, **_notice_kwargs(r)))
    item.notice_ends_on = extension.new_end
    db.add(extension)
    audit.record(db, "disclosure.notice.extend", actor=actor, target=f"disclosure:{item.id}", community_id=item.community_id,
                 data={"old_end": extension.old_end, "new_end": extension.new_end})
    db.commit()
    return extension


def withdraw(db: Session, actor: Actor, disclosure_id: int, reason: str, today: dt.date | None = None) -> None:
    """Take a notice down from the board; refused before the display minimum (D3) and with objections open."""
    today = today or queries.local_today()
    item = _load(db, disclosure_id)
    ensure_permission(actor, MANAGE, item.community)
    if item.published_on is None:
        raise Conflict(_("This notice has not been published."))
    if item.withdrawn_on is not None:
        raise Conflict(_("This notice was already taken down."))
    r = rules_for(db, item.community, item)
    earliest = rules.earliest_takedown(item.display_from or item.published_on, int(r["disclosure.min_display_days"]), item.notice_ends_on)
    if today < earliest:
        raise Conflict(_("This notice must stay up for at least %(days)s days: it can be taken down from %(date)s.",
                         days=r["disclosure.min_display_days"], date=format_date(earliest, "long")))
    if queries.pending_objection_counts(db, [item.id]).get(item.id):
        raise Conflict(_("Answer every objection before taking the notice down."))
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise Invalid(_("Give the reason for taking the notice down (at least 4 characters)."), field="reason")
    item.withdrawn_on, item.withdrawn_reason = today, reason[:500]
    audit.record(db, "disclosure.item.withdraw", actor=actor, target=f"disclosure:{item.id}", community_id=item.community_id,
                 data={"on": today})
    db.commit()


# --- objections and questions -------------------------------------------------------------------------------

def _check_feedback_text(text: str) -> str:
    text = (text or "").strip()
    if len(text) < 5:
        raise Invalid(_("Write at least 5 characters."), field="text")
    if len(text) > 2000:
        raise Invalid(_("Write at most 2,000 characters."), field="text")
    return text


def _check_open_for(item: Disclosure, kind: str, today: dt.date) -> None:
    if kind not in ("objection", "question"):
        raise Invalid(_("Choose an objection or a question."), field="kind")
    if item.published_on is None or item.published_on > today:
        raise NotFound(_("No such notice."))
    if item.withdrawn_on is not None:
        raise Conflict(_("This notice was taken down."))
    if kind == "objection" and not rules.may_object(published_on=item.published_on, today=today, notice_ends_on=item.notice_ends_on, withdrawn=False):
        if item.notice_ends_on is None:
            raise Conflict(_("This notice has no notice period; you can ask a question about it instead."))
        raise Conflict(_("The notice period ended on %(date)s; objections are no longer taken. You can still ask a question.",
                         date=format_date(item.notice_ends_on, "long")))


def file_feedback(db: Session, actor: Actor, disclosure_id: int, kind: str, text: str, today: dt.date | None = None) -> Feedback:
    """A resident objects (during the notice period) or asks a question. Their name is never shown publicly."""
    today = today or queries.local_today()
    item = _load(db, disclosure_id)
    ensure_permission(actor, FEEDBACK, item.community)
    _check_open_for(item, kind, today)
    text = _check_feedback_text(text)
    open_ones = [f for f in queries.my_feedback(db, actor.user.id, item.id) if f.answered_at is None]
    if len(open_ones) >= MAX_PENDING_PER_PERSON:
        raise Conflict(_("You already have %(n)s unanswered messages on this notice; please wait for the answers.", n=len(open_ones)))
    feedback = Feedback(disclosure_id=item.id, kind=kind, text=text, channel="online", author_id=actor.user.id,
                        recorded_by=actor.user_id if actor.assisted_by is not None else None)  # 代办: the staff member is kept
    db.add(feedback)
    db.flush()
    _tell_committee(db, item, feedback)
    audit.record(db, f"disclosure.{kind}.file", actor=actor, target=f"disclosure:{item.id}", community_id=item.community_id,
                 data={"feedback": feedback.id})
    db.commit()
    return feedback


def record_feedback(db: Session, actor: Actor, disclosure_id: int, kind: str, text: str, channel: str, received_from: str,
                    today: dt.date | None = None) -> Feedback:
    """Staff record an objection or question handed in at the office, by phone or by letter."""
    today = today or queries.local_today()
    item = _load(db, disclosure_id)
    ensure_permission(actor, MANAGE, item.community)
    _check_open_for(item, kind, today)
    text = _check_feedback_text(text)
    if channel not in CHANNELS[1:]:
        raise Invalid(_("Choose how it was received."), field="channel")
    feedback = Feedback(disclosure_id=item.id, kind=kind, text=text, channel=channel, received_from=(received_from or "").strip()[:100],
                        recorded_by=actor.user_id)
    db.add(feedback)
    db.flush()
    _tell_committee(db, item, feedback)
    audit.record(db, f"disclosure.{kind}.record", actor=actor, target=f"disclosure:{item.id}", community_id=item.community_id,
                 data={"feedback": feedback.id, "channel": channel})
    db.commit()
    return feedback


def _tell_committee(db: Session, item: Disclosure, feedback: Feedback) -> None:
    # D10: objections go to the committee and to the supervision committee.
    people = queries.user_ids_with_role(db, "staff", item.community)
    if feedback.kind == "objection":
        people += queries.user_ids_with_role(db, "supervision_committee", item.community)
        text = _("New objection to %(title)s", title=item.title)
    else:
        text = _("New question about %(title)s", title=item.title)
    notify(db, people, text, f"/disclosure/manage/d/{item.id}")


def answer_feedback(db: Session, actor: Actor, feedback_id: int, answer: str, outcome: str) -> Feedback:
    """The committee's answer, published with the objection or question (never the author's name)."""
    feedback = db.get(Feedback, feedback_id)
    if feedback is None:
        raise NotFound(_("No such objection or question."))
    item = _load(db, feedback.disclosure_id)
    ensure_permission(actor, ANSWER, item.community)
    if feedback.answered_at is not None:
        raise Conflict(_("This has already been answered."))
    answer = (answer or "").strip()
    if len(answer) < 2:
        raise Invalid(_("Write the answer."), field="answer")
    if len(answer) > 4000:
        raise Invalid(_("Write at most 4,000 characters."), field="answer")
    if feedback.kind == "objection" and outcome not in OUTCOMES:
        raise Invalid(_("Say whether the objection is upheld, partly upheld or dismissed."), field="outcome")
    feedback.answer, feedback.outcome = answer, (outcome if feedback.kind == "objection" else "")
    feedback.answered_by, feedback.answered_at = actor.user_id, utcnow()
    notify(db, [feedback.author_id], _("Your message about %(title)s has been answered", title=item.title), f"/disclosure/d/{item.id}#feedback-{feedback.id}")
    audit.record(db, f"disclosure.{feedback.kind}.answer", actor=actor, target=f"disclosure:{item.id}", community_id=item.community_id,
                 data={"feedback": feedback.id, "outcome": feedback.outcome})
    db.commit()
    return feedback


# --- schedule ---------------------------------------------------------------------------------------------

def _fit_every(months: int) -> int:
    return max(m for m in rules.ALLOWED_EVERY if m <= max(1, months))


def set_default_schedule(db: Session, actor: Actor, community: Community, today: dt.date | None = None) -> list[Obligation]:
    """The schedule DOMAIN.md D4 describes, from the rules profile: finances monthly, general items quarterly."""
    today = today or queries.local_today()
    ensure_permission(actor, SCHEDULE, community)
    r = rules_for(db, community)
    existing = {o.category for o in queries.obligations(db, [community.id], active_only=False)}
    made = []
    for code, category in rules.CATEGORIES.items():
        if category.schedule_key and code not in existing:
            made.append(Obligation(community_id=community.id, category=code, every_months=_fit_every(int(r[category.schedule_key])),
                                   grace_days=10, starts_on=dt.date(today.year, 1, 1)))
    db.add_all(made)
    audit.record(db, "disclosure.schedule.defaults", actor=actor, target=f"community:{community.id}", community_id=community.id,
                 data={"added": [o.category for o in made]})
    db.commit()
    return made


def save_obligation(db: Session, actor: Actor, community: Community, category: str, every_months: int, grace_days: int,
                    starts_on: dt.date, active: bool) -> Obligation:
    ensure_permission(actor, SCHEDULE, community)
    if category not in rules.CATEGORIES:
        raise Invalid(_("Choose one of the categories."), field="category")
    if every_months not in rules.ALLOWED_EVERY:
        raise Invalid(_("Choose every 1, 2, 3, 4, 6 or 12 months."), field="every_months")
    if not 0 <= grace_days <= 60:
        raise Invalid(_("Allow 0 to 60 days after the period ends."), field="grace_days")
    duty = db.execute(select(Obligation).where(Obligation.community_id == community.id, Obligation.category == category)).scalar_one_or_none()
    if duty is None:
        duty = Obligation(community_id=community.id, category=category)
        db.add(duty)
    duty.every_months, duty.grace_days, duty.starts_on, duty.active = every_months, grace_days, starts_on, active
    audit.record(db, "disclosure.schedule.save", actor=actor, target=f"community:{community.id}", community_id=community.id,
                 data={"category": category, "every_months": every_months, "grace_days": grace_days, "starts_on": starts_on, "active": active})
    db.commit()
    return duty


def notify_overdue(db: Session, today: dt.date | None = None) -> int:
    """Tell the supervision committee and the street office about each overdue period, once (run daily)."""
    today = today or queries.local_today()
    communities = list(db.execute(select(Community).order_by(Community.id)).scalars())
    told = {(o, p) for o, p in db.execute(select(OverdueNotice.obligation_id, OverdueNotice.period_start))}
    count = 0
    for late in queries.overdue(db, communities, today):
        if (late.obligation.id, late.period.start) in told:
            continue
        people = queries.user_ids_with_role(db, "supervision_committee", late.community) + queries.user_ids_with_role(db, "street_supervisor", late.community)
        title = _(rules.CATEGORIES[late.obligation.category].title)
        notify(db, people, _("Overdue disclosure in %(community)s: %(category)s, period from %(start)s, due %(due)s",
                             community=late.community.name, category=title, start=late.period.start.isoformat(), due=late.due.isoformat()),
               f"/disclosure/calendar?community={late.community.code}&year={late.period.start.year}")
        db.add(OverdueNotice(obligation_id=late.obligation.id, period_start=late.period.start))
        count += 1
    if count:
        audit.record(db, "disclosure.overdue.notify", target="disclosure:schedule", data={"periods": count, "on": today})
    db.commit()
    return count


# --- categories and reading ----------------------------------------------------------------------------------

def save_category(db: Session, actor: Actor, code: str, requires_review: bool, names: str, active: bool) -> CategorySetting:
    ensure_permission(actor, CATEGORIES)
    if code not in rules.CATEGORIES:
        raise NotFound(_("No such category."))
    if names not in rules.NAME_DISPLAYS:
        raise Invalid(_("Choose how names are shown."), field="names")
    setting = db.get(CategorySetting, code) or CategorySetting(code=code)
    setting.requires_review, setting.names, setting.active, setting.updated_at = requires_review, names, active, utcnow()
    db.add(setting)
    audit.record(db, "disclosure.category.save", actor=actor, target=f"category:{code}",
                 data={"requires_review": requires_review, "names": names, "active": active})
    db.commit()
    return setting


class ReadCounts:
    """Readings of notices, added up per process and written together (a statistic, not a state change worth an
    audit entry): a write transaction for every reading — an fsync on SQLite, queued behind the polling day's
    ballots for the write lock — cost a notice's page more than the rest of it. Written when `seconds` have
    passed since the last write (by the reading that finds it due), and when the process exits; at most that
    many seconds of readings of a worker that is killed are lost."""

    def __init__(self, sessions, seconds: float = 2.0):
        self.sessions, self.seconds = sessions, seconds
        self.pending: Counter[int] = Counter()
        self.lock = threading.Lock()
        self.written_at = time.monotonic()

    def add(self, disclosure_id: int) -> None:
        with self.lock:
            self.pending[disclosure_id] += 1
            due = time.monotonic() - self.written_at >= self.seconds
        if due:
            self.flush()

    def flush(self) -> None:
        with self.lock:
            taken, self.pending, self.written_at = self.pending, Counter(), time.monotonic()
        if not taken:
            return
        with self.sessions() as db:
            # A statistic: cached pages showing read counts may lag it (CIVIC_PAGE_CACHE_SECONDS) rather than be
            # thrown away at every reading.
            db.execute(update(Disclosure.__table__).where(Disclosure.__table__.c.id == bindparam("item"))
                       .values(read_count=Disclosure.__table__.c.read_count + bindparam("readings")),
                       [{"item": item, "readings": n} for item, n in sorted(taken.items())], execution_options=STATISTIC)
            db.commit()


_READ_COUNTS: "weakref.WeakKeyDictionary[object, ReadCounts]" = weakref.WeakKeyDictionary()
_READ_COUNTS_LOCK = threading.Lock()


def read_counts(sessions) -> ReadCounts:
    """The process's ReadCounts for a sessionmaker (the app's write sessions)."""
    with _READ_COUNTS_LOCK:
        found = _READ_COUNTS.get(sessions)
        if found is None:
            found = _READ_COUNTS[sessions] = ReadCounts(sessions)
        return found


@atexit.register
def _flush_read_counts() -> None:
    for counts in list(_READ_COUNTS.values()):
        try:
            counts.flush()
        except Exception:  # the database already gone (a test's, a removed folder): readings are a statistic
            logging.getLogger("civic").warning("readings of notices not written at exit", exc_info=True)
