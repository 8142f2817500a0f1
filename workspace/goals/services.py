"""Goals: the state machine of co-created goals, in one place, and every change it allows.

A goal's text is always *proposed by one side* (students or partner); the other side agrees to
it or asks for changes. Editing the text makes a new revision and puts it back on the table,
proposed by the side that edited. Students claim an agreed goal achieved, the partner confirms
or sends it back; either side proposes to drop a goal and the other side confirms.

Every function takes the acting user, the project the request is about and the goal, checks
the rules (raising `Refused` or `StaleVersion`, changing nothing), changes the goal, records an
activity entry and flushes; the view commits.
"""
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, or_, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from ..activity import record
from ..dashboard.summary import mark_changed
from ..extensions import db
from ..models import Goal, GoalComment, GoalRevision, ProjectMember, RootCauseRevision
from ..models.base import utcnow
from ..models.goal import (
    ACHIEVED, ACHIEVEMENT_CLAIMED, AGREED, CHANGES_REQUESTED, DROP_PROPOSED, DROPPED, PROPOSED, SIDES,
)
from ..policy import can, project_role
from ..rules import Refused, StaleVersion, check_version

TEXT_FIELDS = ("title", "description", "partner_need", "success_criteria", "target_date")

STATE_LABELS = {
    PROPOSED: _l("Waiting for agreement"),
    CHANGES_REQUESTED: _l("Changes requested"),
    AGREED: _l("Agreed"),
    ACHIEVEMENT_CLAIMED: _l("Claimed achieved"),
    ACHIEVED: _l("Achieved"),
    DROP_PROPOSED: _l("Drop proposed"),
    DROPPED: _l("Dropped"),
}
BOARD_ORDER = (PROPOSED, CHANGES_REQUESTED, AGREED, ACHIEVEMENT_CLAIMED, DROP_PROPOSED, ACHIEVED, DROPPED)
# The board's columns: (key, heading, icon in static/icons.svg, the states it holds in BOARD_ORDER).
# Anything one side waits for the other to agree to is "waiting"; dropped goals are folded away.
BOARD_COLUMNS = (
    ("waiting", _l("Waiting for agreement"), "clock",
     (PROPOSED, CHANGES_REQUESTED, ACHIEVEMENT_CLAIMED, DROP_PROPOSED)),
    ("agreed", _l("Agreed"), "check", (AGREED,)),
    ("achieved", _l("Achieved"), "star", (ACHIEVED,)),
    ("dropped", _l("Dropped"), "x", (DROPPED,)),
)
STATE_KINDS = {PROPOSED: "warn", CHANGES_REQUESTED: "warn", AGREED: "brand", ACHIEVEMENT_CLAIMED: "info",
               ACHIEVED: "ok", DROP_PROPOSED: "warn", DROPPED: "neutral"}  # badge colours (system.css)
# Icons of the sprite (static/icons.svg), shown next to the words, never instead of them.
STATE_ICON_NAMES = {PROPOSED: "circle", CHANGES_REQUESTED: "redo", AGREED: "check", ACHIEVEMENT_CLAIMED: "star",
                    ACHIEVED: "star", DROP_PROPOSED: "flag", DROPPED: "x"}


def other(side: str) -> str:
    return "partner" if side == "student" else "student"


def side_of(user, project) -> str | None:
    """'student' or 'partner' when the user is on one side of this project; teachers have none."""
    role = project_role(user, project)
    return role if role in SIDES else None


# ---- the state machine ------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One transition: from which states, who may take it, and the permission rule it needs."""

    sources: frozenset
    who: str  # "either" | "student" | "partner" | "not_proposer" | "not_drop_side"
    rule: str

    def allows_side(self, goal: Goal, side: str | None) -> bool:
        if side is None:
            return False
        return {
            "either": True,
            "student": side == "student",
            "partner": side == "partner",
            "not_proposer": side != goal.proposer_side,
            "not_drop_side": side != goal.drop_side,
        }[self.who]


OPEN_STATES = frozenset({PROPOSED, CHANGES_REQUESTED, AGREED})

STEPS = {
    "approve": Step(frozenset({PROPOSED}), "not_proposer", "goal.respond"),
    "request_changes": Step(frozenset({PROPOSED}), "not_proposer", "goal.respond"),
    "revise": Step(OPEN_STATES, "either", "goal.revise"),
    "claim": Step(frozenset({AGREED}), "student", "goal.claim"),
    "confirm_achieved": Step(frozenset({ACHIEVEMENT_CLAIMED}), "partner", "goal.confirm"),
    "send_back": Step(frozenset({ACHIEVEMENT_CLAIMED}), "partner", "goal.confirm"),
    "propose_drop": Step(OPEN_STATES, "either", "goal.drop"),
    "confirm_drop": Step(frozenset({DROP_PROPOSED}), "not_drop_side", "goal.drop"),
    "keep": Step(frozenset({DROP_PROPOSED}), "either", "goal.drop"),
}


def _state_refusal(step: str, goal: Goal) -> Refused:
    """A clear message for a step the goal's state does not allow."""
    if step == "approve" and goal.state == AGREED:
        return Refused(_("This goal is already agreed."))
    if step == "revise" and goal.state == DROPPED:
        return Refused(_("This goal was dropped; a dropped goal cannot be edited."))
    if step == "revise" and goal.state == ACHIEVED:
        return Refused(_("This goal is achieved; an achieved goal cannot be edited."))
    if step in ("confirm_achieved", "send_back"):
        return Refused(_("Nobody has claimed this goal achieved, so there is nothing to confirm."))
    if step in ("confirm_drop", "keep"):
        return Refused(_("Nobody has proposed to drop this goal."))
    return Refused(_("This is not possible while the goal is “%(state)s”.", state=STATE_LABELS[goal.state]))


def _side_refusal(step: str, goal: Goal, side: str | None) -> Refused:
    if side is None:
        return Refused(_("Only the students and the partner of this project can do this."), 403)
    if STEPS[step].who == "not_proposer":
        return Refused(_("Your side proposed this version of the goal: the other side must agree to it."), 403)
    if STEPS[step].who == "not_drop_side":
        return Refused(_("Your side proposed to drop this goal: the other side must confirm it."), 403)
    if STEPS[step].who == "student":
        return Refused(_("Only the student team can do this."), 403)
    return Refused(_("Only the partner can do this."), 403)


def check_step(actor, project, goal: Goal, step: str, submitted_version) -> str:
    """Refuse anything the rules do not allow, in a fixed order; return the actor's side."""
    if goal.project_id != project.id:
        raise Refused(_("This goal belongs to another project."), 404)
    check_version(goal, submitted_version)
    side = side_of(actor, project)
    spec = STEPS[step]
    if goal.state not in spec.sources:
        raise _state_refusal(step, goal)
    if not spec.allows_side(goal, side):
        raise _side_refusal(step, goal, side)
    return side


def allowed_steps(user, goal: Goal, side: str | None | bool = False) -> set[str]:
    """The steps this person may take on this goal now: what the card offers as buttons.
    `side`: the person's side in the goal's project when the caller knows it already."""
    if side is False:
        side = side_of(user, goal.project)
    return {name for name, spec in STEPS.items()
            if goal.state in spec.sources and spec.allows_side(goal, side) and can(user, spec.rule, goal)}


def waits_for(goal: Goal, side: str | None) -> bool:
    """Whether the goal waits for this side to act (mirrors `waiting_condition`)."""
    if side is None:
        return False
    return ((goal.state == PROPOSED and goal.proposer_side != side)
            or (goal.state == CHANGES_REQUESTED and goal.proposer_side == side)
            or (goal.state == DROP_PROPOSED and goal.drop_side != side)
            or (goal.state == ACHIEVEMENT_CLAIMED and side == "partner"))


def waiting_condition(side_column):
    """SQL for `waits_for`, with the side as a column (a member's role) or a literal."""
    return or_(
        and_(Goal.state == PROPOSED, Goal.proposer_side != side_column),
        and_(Goal.state == CHANGES_REQUESTED, Goal.proposer_side == side_column),
        and_(Goal.state == DROP_PROPOSED, Goal.drop_side != side_column),
        and_(Goal.state == ACHIEVEMENT_CLAIMED, side_column == "partner"),
    )


def count_waiting_statement(user):
    return (
        db.select(db.func.count(Goal.id))
        .join(ProjectMember, and_(ProjectMember.project_id == Goal.project_id, ProjectMember.user_id == user.id))
        .where(waiting_condition(ProjectMember.role))
    )


def count_waiting(user) -> int:
    """Goals, across the person's projects, that wait for their side: one query."""
    return db.session.scalar(count_waiting_statement(user)) or 0


# ---- the changes ------------------------------------------------------------------------------

def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _snapshot(goal: Goal, *extra) -> dict:
    return {key: _plain(getattr(goal, key)) for key in ("state", "version", *extra)}


def _set_state(goal: Goal, state: str) -> None:
    goal.state = state
    goal.state_changed_at = utcnow()


def _comment(goal: Goal, actor, kind: str, body: str) -> GoalComment:
    comment = GoalComment(goal=goal, author_id=actor.id, kind=kind, body=body)
    db.session.add(comment)
    return comment


def propose_goal(actor, project, **fields) -> Goal:
    """A student or partner puts a goal on the table; the other side must agree to it."""
    side = side_of(actor, project)
    if side is None:
        raise Refused(_("Only the students and the partner of this project can propose goals."), 403)
    position = db.session.scalar(db.select(db.func.max(Goal.position)).where(Goal.project_id == project.id))
    goal = Goal(project_id=project.id, state=PROPOSED, proposer_side=side, proposer_id=actor.id,
                position=(position or 0) + 1, revision_number=1, **fields)
    db.session.add(goal)
    db.session.flush()
    db.session.add(GoalRevision(goal_id=goal.id, number=1, author_id=actor.id, author_side=side, **fields))
    record(actor, "proposed", goal, _("%(name)s proposed the goal “%(title)s”", name=actor.name, title=goal.title),
           project=project)
    db.session.flush()
    return goal


def revise_goal(actor, project, goal: Goal, submitted_version, **fields) -> GoalRevision:
    """Edit the goal's text: a new revision, proposed by the editor's side, back for agreement."""
    side = check_step(actor, project, goal, "revise", submitted_version)
    changed = {key for key in TEXT_FIELDS if getattr(goal, key) != fields[key]}
    if not changed and goal.state != CHANGES_REQUESTED:
        raise Refused(_("You did not change anything, so there is no new revision."), 422)
    before = _snapshot(goal, "proposer_side", *TEXT_FIELDS)
    for key in TEXT_FIELDS:
        setattr(goal, key, fields[key])
    goal.revision_number += 1
    goal.proposer_side, goal.proposer_id = side, actor.id
    goal.agreed_at = None
    _set_state(goal, PROPOSED)
    revision = GoalRevision(goal_id=goal.id, number=goal.revision_number, author_id=actor.id, author_side=side,
                            **{key: fields[key] for key in TEXT_FIELDS})
    db.session.add(revision)
    record(actor, "revised", goal, _("%(name)s revised the goal “%(title)s” (revision %(number)s); it waits for "
                                     "agreement again", name=actor.name, title=goal.title, number=goal.revision_number),
           project=project, before=before)
    db.session.flush()
    return revision


def _step(actor, project, goal: Goal, step: str, submitted_version, state: str, verb: str, summary: str,
          note: tuple[str, str] | None = None, **changes) -> None:
    """Check, then take one step: the new state and other changes in one UPDATE (one version),
    an optional note in the discussion, and the activity with what was there before.

    The goal's row and the note are written with statements of their own, built once per process, not
    through the session's unit of work: a decision's flush of three rows cost about a millisecond, a
    tenth of the whole request (issue 19). The UPDATE asks for the version the decision was taken on,
    as the ORM's version check does, and a goal changed since is refused the same way (StaleDataError);
    the loaded goal then holds what was written, and its project's summary is marked as a flush marks it."""
    check_step(actor, project, goal, step, submitted_version)
    before = _snapshot(goal, *changes)
    now = utcnow()
    _write_goal(goal, {"state": state, "state_changed_at": now, "updated_at": now, **changes})
    if note is not None:
        db.session.execute(_COMMENT, {"goal_id": goal.id, "author_id": actor.id, "kind": note[0], "body": note[1],
                                      "created_at": now})
        if "comments" in vars(goal):  # a discussion already loaded is read again with the note
            db.session.expire(goal, ["comments"])
    record(actor, verb, goal, summary, project=project, before=before)
    db.session.flush()


_GOALS = Goal.__table__
_COMMENT = GoalComment.__table__.insert()
_GOAL_WRITES: dict = {}  # the columns a step writes -> its UPDATE


def _write_goal(goal: Goal, values: dict) -> None:
    """UPDATE the goal's row with `values` and the next version, where it still has the version read.

    The loaded goal takes the values as committed ones: a rollback of the whole transaction expires it,
    but a rollback to a savepoint would not (it expires only what the session saw modified), so a step
    is not to be taken inside `begin_nested`."""
    names = tuple(values)
    statement = _GOAL_WRITES.get(names)
    if statement is None:
        statement = _GOAL_WRITES[names] = (
            _GOALS.update().where(_GOALS.c.id == bindparam("goal_id"), _GOALS.c.version == bindparam("read_version"))
            .values({name: bindparam(f"new_{name}", type_=_GOALS.c[name].type) for name in (*names, "version")}))
    version = goal.version
    parameters = {f"new_{name}": value for name, value in values.items()}
    parameters.update(goal_id=goal.id, read_version=version, new_version=version + 1)
    if db.session.execute(statement, parameters).rowcount != 1:
        raise StaleDataError(f"UPDATE of goal {goal.id} at version {version}: another change came first")
    for name, value in (*values.items(), ("version", version + 1)):
        set_committed_value(goal, name, value)
    mark_changed(db.session, goal)


def approve(actor, project, goal: Goal, submitted_version) -> None:
    """The side that did not propose agrees: the goal is agreed by both sides."""
    _step(actor, project, goal, "approve", submitted_version, AGREED, "agreed",
          _("%(name)s agreed to the goal “%(title)s”", name=actor.name, title=goal.title), agreed_at=utcnow())


def request_changes(actor, project, goal: Goal, submitted_version, comment: str) -> None:
    _step(actor, project, goal, "request_changes", submitted_version, CHANGES_REQUESTED, "requested changes",
          _("%(name)s asked for changes to the goal “%(title)s”", name=actor.name, title=goal.title),
          ("changes_requested", comment))


def claim_achieved(actor, project, goal: Goal, submitted_version, evidence: str) -> None:
    _step(actor, project, goal, "claim", submitted_version, ACHIEVEMENT_CLAIMED, "claimed achieved",
          _("%(name)s claimed the goal “%(title)s” achieved", name=actor.name, title=goal.title),
          ("achievement_claimed", evidence), evidence=evidence)


def confirm_achieved(actor, project, goal: Goal, submitted_version) -> None:
    _step(actor, project, goal, "confirm_achieved", submitted_version, ACHIEVED, "confirmed achieved",
          _("%(name)s confirmed the goal “%(title)s” is achieved", name=actor.name, title=goal.title))


def send_back(actor, project, goal: Goal, submitted_version, comment: str) -> None:
    """The partner does not (yet) see the goal as met: back to agreed, with the reason."""
    _step(actor, project, goal, "send_back", submitted_version, AGREED, "sent back",
          _("%(name)s sent the goal “%(title)s” back: not achieved yet", name=actor.name, title=goal.title),
          ("sent_back", comment))


def propose_drop(actor, project, goal: Goal, submitted_version, reason: str) -> None:
    """Either side proposes to drop the goal; the state to return to is kept in case the other
    side declines."""
    _step(actor, project, goal, "propose_drop", submitted_version, DROP_PROPOSED, "proposed to drop",
          _("%(name)s proposed to drop the goal “%(title)s”", name=actor.name, title=goal.title),
          ("drop_proposed", reason), state_before_drop=goal.state, drop_side=side_of(actor, project),
          drop_reason=reason)


def confirm_drop(actor, project, goal: Goal, submitted_version) -> None:
    _step(actor, project, goal, "confirm_drop", submitted_version, DROPPED, "dropped",
          _("%(name)s confirmed dropping the goal “%(title)s”", name=actor.name, title=goal.title))


def keep_goal(actor, project, goal: Goal, submitted_version, comment: str = "") -> None:
    """Decline (or withdraw) a proposal to drop: the goal returns to where it was."""
    _step(actor, project, goal, "keep", submitted_version, goal.state_before_drop or PROPOSED, "kept",
          _("%(name)s kept the goal “%(title)s”: it is not dropped", name=actor.name, title=goal.title),
          ("kept", comment) if comment else None, state_before_drop=None, drop_side=None)


def add_comment(actor, project, goal: Goal, body: str) -> GoalComment:
    """Anyone in the project, teachers included, joins the discussion (no version: comments add)."""
    if goal.project_id != project.id:
        raise Refused(_("This goal belongs to another project."), 404)
    comment = _comment(goal, actor, "comment", body)
    db.session.flush()
    record(actor, "commented", goal, _("%(name)s commented on the goal “%(title)s”", name=actor.name, title=goal.title),
           project=project)
    db.session.flush()
    return comment


def move(actor, project, goal: Goal, direction: str) -> bool:
    """Swap the goal with its neighbour in the same state group. Positions are written with a
    plain UPDATE so ordering does not bump the goal's version (it never conflicts with a decision)."""
    if goal.project_id != project.id:
        raise Refused(_("This goal belongs to another project."), 404)
    rows = db.session.execute(
        db.select(Goal.id, Goal.state).where(Goal.project_id == project.id).order_by(Goal.position, Goal.id)
    ).all()
    ids = [row.id for row in rows]
    # the group of the goal's state as read now: a decision since the goal was loaded may have moved it
    state = next(row.state for row in rows if row.id == goal.id)
    same = [row.id for row in rows if row.state == state]
    index = same.index(goal.id)
    neighbour_index = index - 1 if direction == "up" else index + 1
    if not 0 <= neighbour_index < len(same):
        return False
    a, b = ids.index(goal.id), ids.index(same[neighbour_index])
    ids[a], ids[b] = ids[b], ids[a]
    table = Goal.__table__
    db.session.execute(
        update(table).where(table.c.id == bindparam("goal_id")).values(position=bindparam("new_position")),
        [{"goal_id": goal_id, "new_position": n} for n, goal_id in enumerate(ids, start=1)],
    )
    record(actor, "reordered", goal, _("%(name)s moved the goal “%(title)s” %(direction)s", name=actor.name,
                                       title=goal.title, direction=_("up") if direction == "up" else _("down")),
           project=project)
    db.session.flush()
    db.session.expire(goal, ["position"])
    return True


# ---- relevance: the root cause / underlying need ---------------------------------------------

def current_root_cause(project) -> RootCauseRevision | None:
    return db.session.scalar(
        db.select(RootCauseRevision).where(RootCauseRevision.project_id == project.id)
        .order_by(RootCauseRevision.number.desc()).limit(1)
    )


def revise_root_cause(actor, project, text: str, based_on) -> RootCauseRevision:
    """A new revision of the root cause, only if written on top of the current one."""
    if side_of(actor, project) is None:
        raise Refused(_("Only the students and the partner of this project can refine the root cause."), 403)
    current = current_root_cause(project)
    number = current.number if current else 0
    try:
        if int(based_on) != number:
            raise StaleVersion(current)
    except (TypeError, ValueError):
        raise StaleVersion(current) from None
    if current is not None and current.text == text:
        raise Refused(_("You did not change anything, so there is no new revision."), 422)
    revision = RootCauseRevision(project_id=project.id, number=number + 1, text=text, author_id=actor.id)
    db.session.add(revision)
    record(actor, "refined the root cause", revision,
           _("%(name)s refined the root cause / underlying need (revision %(number)s)", name=actor.name,
             number=number + 1), project=project, before={"text": current.text if current else None})
    db.session.flush()
    return revision
