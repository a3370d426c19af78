"""Comment threads (DOMAIN O4): residents comment under their real name or a pseudonym, reply, up-vote,
edit with visible history, delete softly, report; moderators hide and restore with reasons."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from civic import audit
from civic.accounts.models import User
from civic.consultations import rules
from civic.consultations.models import Alias, Comment, CommentReport, CommentVersion, CommentVote, Consultation
from civic.consultations.services import _item, _resident_in, _staff_ids, community_of, display_name, get_consultation, rules_for
from civic.db import utcnow
from civic.errors import Conflict, Forbidden, Invalid, NotFound
from civic.i18n import _
from civic.markdown import render_markdown
from civic.notify import notify
from civic.registry.models import Community, Resident
from civic.security import Actor, ensure_permission


def set_alias(db: Session, actor: Actor, alias: str) -> None:
    ensure_permission(actor, "consultations:comment:post")
    alias = alias.strip()
    current = db.get(Alias, actor.user.id)
    if not alias:
        if current is not None:
            db.delete(current)
            audit.record(db, "consultations.alias.clear", actor=actor, target=f"user:{actor.user.id}")
            db.commit()
        return
    taken = set(db.execute(select(Alias.alias).where(Alias.alias == alias, Alias.user_id != actor.user.id)).scalars())
    taken |= set(db.execute(select(User.display_name).where(User.display_name == alias, User.id != actor.user.id)).scalars())
    taken |= set(db.execute(select(Resident.name).where(Resident.name == alias)).scalars()) - {actor.resident.name if actor.resident else ""}
    problem = rules.alias_problem(alias, taken)
    if problem:
        raise Invalid(_(problem), field="alias")
    if current is None:
        db.add(Alias(user_id=actor.user.id, alias=alias))
    else:
        current.alias = alias
    audit.record(db, "consultations.alias.set", actor=actor, target=f"user:{actor.user.id}")
    db.commit()


def get_comment(db: Session, comment_id: int) -> Comment:
    comment = db.get(Comment, comment_id)
    if comment is None:
        raise NotFound(_("No such comment."))
    return comment


def comment_community(db: Session, comment: Comment) -> tuple[Consultation, Community]:
    consultation = get_consultation(db, comment.consultation_id)
    return consultation, community_of(db, consultation)


def post_comment(db: Session, actor: Actor, consultation: Consultation, *, body: str, stance: str = "neutral", agenda_item_id: int | None = None,
                 parent_id: int | None = None, use_alias: bool = False) -> Comment:
    community = community_of(db, consultation)
    ensure_permission(actor, "consultations:comment:post", community)
    _resident_in(actor, community)
    if not rules.is_open_for_comments(consultation.status):
        raise Conflict(_("This thread is closed: the outcome has been published."))
    if not body.strip():
        raise Invalid(_("Write a comment first."), field="body")
    item = _item(db, consultation, agenda_item_id)
    parent = None
    if parent_id is not None:
        parent = db.get(Comment, parent_id)
        if parent is None or parent.consultation_id != consultation.id or parent.agenda_item_id != (item.id if item else None):
            raise Invalid(_("The comment you reply to is not in this thread."), field="parent_id")
        if parent.deleted_at is not None or parent.state != "visible":
            raise Conflict(_("This comment can no longer be answered."))
        while parent.depth >= rules.MAX_DEPTH:  # very deep replies join the deepest allowed level
            parent = db.get(Comment, parent.parent_id)
    comment = Comment(
        consultation_id=consultation.id, agenda_item_id=item.id if item else None, parent_id=parent.id if parent else None,
        root_id=(parent.root_id or parent.id) if parent else None, depth=parent.depth + 1 if parent else 0,
        author_user_id=actor.user.id, display_name=display_name(db, actor, use_alias), body=body.strip(), html=str(render_markdown(body.strip())),
        stance=stance if stance in rules.STANCES else "neutral",
    )
    db.add(comment)
    db.flush()
    comment.path = rules.path_for(parent.path if parent else "", comment.id)
    if parent is not None:
        ancestors = [int(part) for part in parent.path.split(".")]
        db.execute(update(Comment).where(Comment.id.in_(ancestors)).values(replies=Comment.replies + 1))
    audit.record(db, "consultations.comment.post", actor=actor, target=f"comment:{comment.id}", community_id=community.id,
                 data={"consultation": consultation.id, "parent": parent.id if parent else None})
    link = f"/consultations/comments/{comment.id}"
    if parent is not None and parent.author_user_id != actor.user.id:
        notify(db, [parent.author_user_id], _("%(name)s replied to your comment on %(title)s", name=comment.display_name, title=consultation.title), link)
    names = rules.mentions(comment.body)
    if names:
        mentioned = set(db.execute(select(Comment.author_user_id).where(Comment.consultation_id == consultation.id, Comment.display_name.in_(names))).scalars())
        mentioned -= {actor.user.id, parent.author_user_id if parent else None}
        notify(db, mentioned, _("%(name)s mentioned you on %(title)s", name=comment.display_name, title=consultation.title), link)
    db.commit()
    return comment


def _own_comment(db: Session, actor: Actor, comment: Comment) -> Consultation:
    consultation, community = comment_community(db, comment)
    ensure_permission(actor, "consultations:comment:post", community)
    if comment.author_user_id != actor.user.id:
        raise Forbidden(_("Only the author can change a comment."))
    if comment.deleted_at is not None or comment.state == "hidden":
        raise Conflict(_("This comment can no longer be changed."))
    if not rules.is_open_for_comments(consultation.status):
        raise Conflict(_("This thread is closed: the outcome has been published."))
    return consultation


def edit_comment(db: Session, actor: Actor, comment: Comment, *, body: str) -> None:
    consultation = _own_comment(db, actor, comment)
    body = body.strip()
    if not body:
        raise Invalid(_("Write a comment first."), field="body")
    if body == comment.body:
        return
    db.add(CommentVersion(comment_id=comment.id, body=comment.body, written_at=comment.edited_at or comment.created_at))
    comment.body, comment.html, comment.edited_at = body, str(render_markdown(body)), utcnow()
    audit.record(db, "consultations.comment.edit", actor=actor, target=f"comment:{comment.id}", community_id=consultation.community_id)
    db.commit()


def delete_comment(db: Session, actor: Actor, comment: Comment) -> None:
    """Soft delete: the place in the thread stays (replies keep their context), the text is no longer shown."""
    consultation = _own_comment(db, actor, comment)
    comment.deleted_at = utcnow()
    audit.record(db, "consultations.comment.delete", actor=actor, target=f"comment:{comment.id}", community_id=consultation.community_id)
    db.commit()


def toggle_vote(db: Session, actor: Actor, comment: Comment) -> bool:
    consultation, community = comment_community(db, comment)
    ensure_permission(actor, "consultations:comment:vote", community)
    _resident_in(actor, community)
    if comment.author_user_id == actor.user.id:
        raise Invalid(_("You cannot up-vote your own comment."))
    if comment.deleted_at is not None or comment.state != "visible" or not rules.is_open_for_comments(consultation.status):
        raise Conflict(_("This comment can no longer be up-voted."))
    existing = db.execute(select(CommentVote).where(CommentVote.comment_id == comment.id, CommentVote.user_id == actor.user.id)).scalar_one_or_none()
    if existing is not None:
        db.delete(existing)
        delta = -1
    else:
        db.add(CommentVote(comment_id=comment.id, user_id=actor.user.id))
        delta = 1
    db.execute(update(Comment).where(Comment.id == comment.id).values(upvotes=Comment.upvotes + delta))
    audit.record(db, "consultations.comment.vote" if delta > 0 else "consultations.comment.unvote", actor=actor,
                 target=f"comment:{comment.id}", community_id=community.id)
    db.commit()
    db.refresh(comment)
    return delta > 0


def report_comment(db: Session, actor: Actor, comment: Comment, *, reason: str, details: str = "") -> None:
    consultation, community = comment_community(db, comment)
    ensure_permission(actor, "consultations:comment:report", community)
    if reason not in rules.REPORT_REASONS:
        raise Invalid(_("Choose one of the options."), field="reason")
    if comment.author_user_id == actor.user.id:
        raise Invalid(_("You cannot report your own comment."))
    if db.execute(select(CommentReport.id).where(CommentReport.comment_id == comment.id, CommentReport.user_id == actor.user.id)).first():
        raise Conflict(_("You have already reported this comment; a moderator will look at it."))
    db.add(CommentReport(comment_id=comment.id, user_id=actor.user.id, reason=reason, details=details.strip()))
    db.execute(update(Comment).where(Comment.id == comment.id).values(reports=Comment.reports + 1))
    db.flush()
    db.refresh(comment)
    threshold = rules_for(db, consultation, community)["consultations.reports_to_hide"]
    before = comment.state
    comment.state = rules.state_after_report(comment.state, comment.reports, threshold)
    audit.record(db, "consultations.comment.report", actor=actor, target=f"comment:{comment.id}", community_id=community.id,
                 data={"reason": reason, "hidden": comment.state != before})
    if comment.state != before:
        notify(db, _staff_ids(db, community), _("A comment was hidden after %(n)s reports and awaits moderation.", n=comment.reports),
               f"/consultations/manage/moderation?community={community.code}")
    db.commit()


def moderate_comment(db: Session, actor: Actor, comment: Comment, *, action: str, reason: str) -> None:
    """A moderator hides a comment or restores it, with the reason kept in the audit log."""
    consultation, community = comment_community(db, comment)
    ensure_permission(actor, "consultations:comment:moderate", community)
    if len(reason.strip()) < 2:
        raise Invalid(_("Give the reason for the audit log."), field="reason")
    if action == "hide":
        if comment.state == "hidden":
            raise Conflict(_("This comment is already hidden."))
        comment.state = "hidden"
    elif action == "restore":
        if comment.state == "visible" and not comment.reports:
            raise Conflict(_("This comment is already visible."))
        comment.state = "visible"
    else:
        raise Invalid(_("Choose one of the options."), field="action")
    comment.reports = 0  # reports so far are settled; new ones count afresh
    db.execute(update(CommentReport).where(CommentReport.comment_id == comment.id).values(resolved=True))
    audit.record(db, f"consultations.comment.{action}", actor=actor, target=f"comment:{comment.id}", community_id=community.id,
                 data={"reason": reason.strip()})
    if action == "hide":
        notify(db, [comment.author_user_id], _("A moderator hid your comment on %(title)s. Reason: %(reason)s", title=consultation.title, reason=reason.strip()),
               f"/consultations/comments/{comment.id}")
    db.commit()


