"""The rules of peer feedback. A course's teachers set rounds (a title, the days it is open, the
dimensions); while a round is open each student of a project team rates every teammate on each
dimension (1–5) with a comment, and may change it until the round closes. Only the course's
teachers read the ratings: a summary per student with flags. Once a teacher releases the round,
each student reads the average per dimension about themselves: no names and no comments (the
comments stay with the teacher: in a team of four an "anonymous" comment is rarely anonymous),
and only when at least MIN_RATERS teammates rated them. Activity entries say that someone
submitted, never whom they rated or how."""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import bindparam

from ..activity import record
from ..database import PlainRead
from ..extensions import db
from ..models import PeerRating, PeerRound, Project, ProjectMember, User
from ..models.base import utcnow
from ..rules import Refused, check_version

BELOW_TEAM = 1.0  # a member whose average is this far below the team's is flagged
MIN_RATERS = 2  # a student sees averages about themselves only from at least this many teammates


def save_round(actor, course, peer_round, title: str, opens_on: date, closes_on: date, dimensions: list[str],
               submitted_version=None) -> PeerRound:
    """Create a round (peer_round None) or change one; its dimensions are fixed once someone rated."""
    if closes_on < opens_on:
        raise Refused(_("The round must close on or after the day it opens."), 422)
    if peer_round is None:
        peer_round = PeerRound(course_id=course.id, title=title, opens_on=opens_on, closes_on=closes_on,
                               dimensions=dimensions)
        db.session.add(peer_round)
        db.session.flush()
        record(actor, "created", peer_round, _("%(name)s set a peer feedback round “%(title)s”", name=actor.name,
                                               title=title), course=course)
        return peer_round
    check_version(peer_round, submitted_version)
    if peer_round.released_at is not None:
        raise Refused(_("This round is released: it can no longer change."), 409)
    if dimensions != peer_round.dimensions and has_ratings(peer_round):
        raise Refused(_("Students have already rated on these dimensions: they can no longer change."), 409)
    before = {"title": peer_round.title, "opens_on": peer_round.opens_on.isoformat(),
              "closes_on": peer_round.closes_on.isoformat(), "dimensions": peer_round.dimensions}
    peer_round.title, peer_round.opens_on, peer_round.closes_on = title, opens_on, closes_on
    peer_round.dimensions = dimensions
    record(actor, "edited", peer_round, _("%(name)s changed the peer feedback round “%(title)s”", name=actor.name,
                                          title=title), course=course, before=before)
    db.session.flush()
    return peer_round


def has_ratings(peer_round) -> bool:
    return db.session.scalar(db.select(PeerRating.id).filter_by(round_id=peer_round.id).limit(1)) is not None


def release(actor, peer_round) -> None:
    """Each student may read the averages about themselves from now on; ratings can no longer change."""
    if peer_round.released_at is not None:
        raise Refused(_("This round is already released."), 409)
    peer_round.released_at = utcnow()
    record(actor, "released", peer_round, _("%(name)s released the peer feedback round “%(title)s” to the students",
                                            name=actor.name, title=peer_round.title), course=peer_round.course)
    db.session.flush()


def teammates(project, user) -> list[User]:
    """The other students of the project's team, by name."""
    return list(db.session.scalars(
        db.select(User).join(ProjectMember, ProjectMember.user_id == User.id)
        .where(ProjectMember.project_id == project.id, ProjectMember.role == "student", User.id != user.id)
        .order_by(User.name, User.id)
    ))


def given_by(peer_round, project, rater) -> dict[int, PeerRating]:
    """The ratings this student gave in this round and team: {rated user id: rating}."""
    return {r.rated_id: r for r in db.session.scalars(
        db.select(PeerRating).filter_by(round_id=peer_round.id, project_id=project.id, rater_id=rater.id))}


def submit(actor, peer_round, project, ratings: dict[int, tuple[list[int], str]], today: date | None = None) -> None:
    """A student rates every teammate: {teammate id: (a score per dimension, comment)}."""
    today = today or date.today()
    if peer_round.released_at is not None:
        raise Refused(_("This round is released: ratings can no longer change."), 409)
    if today < peer_round.opens_on:
        raise Refused(_("This round opens on %(date)s.", date=peer_round.opens_on.isoformat()), 409)
    if today > peer_round.closes_on:
        raise Refused(_("This round closed on %(date)s.", date=peer_round.closes_on.isoformat()), 409)
    mates = {u.id for u in teammates(project, actor)}
    if not mates:
        raise Refused(_("You have no teammates to rate in this project."), 409)
    if set(ratings) != mates or any(len(scores) != len(peer_round.dimensions) or not all(1 <= s <= 5 for s in scores)
                                    for scores, _comment in ratings.values()):
        raise Refused(_("Rate every teammate on every dimension, from 1 to 5."), 422)
    existing = given_by(peer_round, project, actor)
    for rated_id, (scores, comment) in ratings.items():
        rating = existing.get(rated_id)
        if rating is None:
            rating = PeerRating(round_id=peer_round.id, project_id=project.id, rater_id=actor.id, rated_id=rated_id)
            db.session.add(rating)
        rating.scores, rating.comment = scores, comment
    if existing:
        record(actor, "edited", peer_round, _("%(name)s changed their peer feedback (%(round)s)", name=actor.name,
                                              round=peer_round.title), project=project)
    else:
        record(actor, "submitted", peer_round, _("%(name)s submitted their peer feedback (%(round)s)",
                                                 name=actor.name, round=peer_round.title), project=project)
    db.session.flush()


def own_averages(peer_round, project, user) -> tuple[list[float] | None, int]:
    """What the team said about `user`: the average per dimension (None below MIN_RATERS) and how many rated."""
    received = list(db.session.scalars(
        db.select(PeerRating.scores).filter_by(round_id=peer_round.id, project_id=project.id, rated_id=user.id)))
    if len(received) < MIN_RATERS:
        return None, len(received)
    return [sum(scores[i] for scores in received) / len(received) for i in range(len(peer_round.dimensions))], \
        len(received)


# ---- the teacher's summary -------------------------------------------------------------------

@dataclass
class MemberSummary:
    user_id: int
    name: str
    rated_by: int = 0  # how many teammates rated this member
    averages: list = field(default_factory=list)  # per dimension, None without ratings
    average: float | None = None
    submitted: bool = False
    gave: list = field(default_factory=list)  # every score this member gave
    rated_mates: int = 0
    comments: list = field(default_factory=list)  # (rater's name, comment) about this member
    flags: list = field(default_factory=list)


@dataclass
class TeamSummary:
    project_id: int
    title: str
    members: list
    average: float | None = None


def summarise(peer_round, project_ids, today: date | None = None) -> list[TeamSummary]:
    """Per team and student: averages received, whether they submitted, and the flags. Two queries."""
    today = today or date.today()
    rows = db.session.execute(
        db.select(Project.id, Project.title, User.id, User.name)
        .join(ProjectMember, ProjectMember.project_id == Project.id).join(User, User.id == ProjectMember.user_id)
        .where(Project.id.in_(project_ids), ProjectMember.role == "student").order_by(Project.title, User.name, User.id)
    ).all()
    teams: dict[int, TeamSummary] = {}
    members: dict[tuple[int, int], MemberSummary] = {}
    for project_id, title, user_id, name in rows:
        team = teams.setdefault(project_id, TeamSummary(project_id, title, []))
        member = MemberSummary(user_id, name)
        team.members.append(member)
        members[(project_id, user_id)] = member
    received = defaultdict(list)
    for rating in db.session.scalars(db.select(PeerRating).where(
            PeerRating.round_id == peer_round.id, PeerRating.project_id.in_(project_ids)).order_by(PeerRating.id)):
        rater = members.get((rating.project_id, rating.rater_id))
        rated = members.get((rating.project_id, rating.rated_id))
        if rater is None or rated is None:  # someone who left the team since
            continue
        rater.submitted, rater.rated_mates = True, rater.rated_mates + 1
        rater.gave.extend(rating.scores)
        received[(rating.project_id, rating.rated_id)].append(rating.scores)
        if rating.comment:
            rated.comments.append((rater.name, rating.comment))
    dimensions = len(peer_round.dimensions)
    for (project_id, user_id), member in members.items():
        scores = received[(project_id, user_id)]
        member.rated_by = len(scores)
        member.averages = [sum(s[i] for s in scores) / len(scores) if scores else None for i in range(dimensions)]
        flat = [score for s in scores for score in s]
        member.average = sum(flat) / len(flat) if flat else None
    for team in teams.values():
        _flag(team, peer_round, today)
    return list(teams.values())


def _flag(team: TeamSummary, peer_round, today: date) -> None:
    """A member rated well below the team, a member who rates everyone the same, a missing submission."""
    averages = [m.average for m in team.members if m.average is not None]
    team.average = sum(averages) / len(averages) if averages else None
    if len(team.members) < 2:
        return
    for m in team.members:
        if m.average is not None and team.average - m.average >= BELOW_TEAM:
            m.flags.append(("below", _("rated well below the team")))
        if m.rated_mates >= 2 and len(set(m.gave)) == 1:
            m.flags.append(("same", _("rates everyone the same")))
        if not m.submitted and today >= peer_round.opens_on:
            m.flags.append(("missing", _("no peer feedback submitted")))


def rounds_for_student(project, user) -> list[tuple]:
    """The course's rounds that have opened, newest first, each with whether this student submitted
    (plain rows of what the board shows of a round: id, title, closing day, release)."""
    rounds_statement, done_statement = _rounds_for_student_statements()
    rounds = rounds_statement({"course_id": project.course_id, "today": date.today()})
    done = {row.round_id for row in done_statement({"project_id": project.id, "user_id": user.id})}
    return [(r, r.id in done) for r in rounds]


@cache
def _rounds_for_student_statements():
    """Built once per process, with the course, the day, the project and the person as bound parameters."""
    rounds = PlainRead(db.select(PeerRound.id, PeerRound.title, PeerRound.closes_on, PeerRound.released_at)
                       .where(PeerRound.course_id == bindparam("course_id"),
                              PeerRound.opens_on <= bindparam("today", type_=PeerRound.opens_on.type))
                       .order_by(PeerRound.opens_on.desc(), PeerRound.id.desc()), "BoardRound")
    done = PlainRead(db.select(PeerRating.round_id).where(
        PeerRating.project_id == bindparam("project_id"), PeerRating.rater_id == bindparam("user_id")).distinct())
    return rounds, done


def open_for(user, today: date | None = None) -> list[tuple[PeerRound, Project]]:
    """Open rounds of the teams this student is in that they have not submitted yet (one query)."""
    today = today or date.today()
    submitted = db.select(PeerRating.id).where(PeerRating.round_id == PeerRound.id,
                                               PeerRating.project_id == Project.id, PeerRating.rater_id == user.id)
    return [(r, p) for r, p in db.session.execute(
        db.select(PeerRound, Project).join(Project, Project.course_id == PeerRound.course_id)
        .join(ProjectMember, (ProjectMember.project_id == Project.id) & (ProjectMember.user_id == user.id)
              & (ProjectMember.role == "student"))
        .where(PeerRound.released_at.is_(None), PeerRound.opens_on <= today, PeerRound.closes_on >= today,
               ~submitted.exists())
        .order_by(PeerRound.closes_on, PeerRound.id, Project.title)
    )]
