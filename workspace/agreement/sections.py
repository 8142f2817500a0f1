"""The agreement on the board (acceptance and promises kept per side), on home (waiting for
your acceptance) and in the navigation badge. Each loader makes a fixed number of queries."""
from collections import namedtuple

from flask import url_for
from sqlalchemy import and_, bindparam, exists, tuple_

from ..database import BoundPerson, PlainRead
from ..extensions import db
from ..models import Project, ProjectMember
from ..models.agreement import Agreement, AgreementAcceptance, AgreementVersion
from ..sections import activity_link, board_section, home_section, waiting_counter
from . import services


def _waiting_query(user, *columns):
    """Agreements of the user's projects whose current version the user has not accepted."""
    accepted = exists().where(
        AgreementAcceptance.user_id == user.id,
        AgreementAcceptance.agreement_version_id == AgreementVersion.id,
    )
    return (
        db.select(*(columns or (Agreement, Project, AgreementVersion)))
        .join(Project, Project.id == Agreement.project_id)
        .join(ProjectMember, and_(ProjectMember.project_id == Project.id, ProjectMember.user_id == user.id))
        .join(AgreementVersion, and_(AgreementVersion.agreement_id == Agreement.id,
                                     AgreementVersion.number == Agreement.number))
        .where(~accepted)
    )


def _count_waiting(user):
    return db.select(db.func.count()).select_from(_waiting_query(user).subquery())


@waiting_counter("agreement", statement=_count_waiting)
def count_waiting(user) -> int:
    return db.session.scalar(_count_waiting(user)) or 0


# What home shows of an agreement waiting for this person: its number and project, and the current
# version's snapshot (what changed since the one before); built once per process, read as plain rows.
_HOME = PlainRead(_waiting_query(BoundPerson(), Agreement.id, Agreement.number, Project.id, Project.title,
                                 AgreementVersion.snapshot).order_by(Project.title), "Waiting")
_HomeAgreement = namedtuple("_HomeAgreement", "id number")
_HomeProject = namedtuple("_HomeProject", "id title")


@home_section("agreement", "agreement/_home.html")
def home(user):
    rows = _HOME({"user_id": user.id})
    if not rows:
        return None
    previous = {}
    wanted = [(agreement_id, number - 1) for agreement_id, number, *_rest in rows if number > 1]
    if wanted:
        previous = dict(db.session.execute(
            db.select(AgreementVersion.agreement_id, AgreementVersion.snapshot)
            .where(tuple_(AgreementVersion.agreement_id, AgreementVersion.number).in_(wanted))).all())
    items = [{"agreement": _HomeAgreement(agreement_id, number), "project": _HomeProject(project_id, title),
              "changes": services.diff(previous[agreement_id], snapshot) if agreement_id in previous else []}
             for agreement_id, number, project_id, title, snapshot in rows]
    return {"items": items}


def _board_statement():
    """The agreement's number, the project's members, how many of them accepted the current version and
    whether this person did: one row."""
    current = and_(AgreementVersion.agreement_id == Agreement.id, AgreementVersion.number == Agreement.number)
    accepted = (db.select(db.func.count(db.distinct(AgreementAcceptance.user_id)))
                .join(AgreementVersion, AgreementVersion.id == AgreementAcceptance.agreement_version_id)
                .where(current).scalar_subquery())
    mine = (exists().where(AgreementAcceptance.agreement_version_id == AgreementVersion.id,
                           AgreementAcceptance.user_id == bindparam("user_id"), current))
    members = (db.select(db.func.count(ProjectMember.id)).where(ProjectMember.project_id == Agreement.project_id)
               .scalar_subquery())
    return (db.select(Agreement.id, Agreement.number, members.label("members"), accepted.label("accepted"),
                      mine.label("i_accepted"))
            .where(Agreement.project_id == bindparam("project_id")))


_BOARD_AGREEMENT = PlainRead(_board_statement(), "BoardAgreement")


@board_section("agreement", "agreement/_board.html")
def board(project, user):
    """The agreement's version and who accepted it (one statement, built once per process), and the
    promises kept per side (one more)."""
    rows = _BOARD_AGREEMENT({"project_id": project.id, "user_id": user.id})
    if not rows:
        return {"project": project, "agreement": None}
    agreement = rows[0]
    return {"project": project, "agreement": agreement, "members": agreement.members,
            "accepted": agreement.accepted, "i_accepted": bool(agreement.i_accepted),
            "counts": services.reciprocity_of_one(agreement.id)}


def _agreement_link(anchor: str):
    def link(project_id, subject_id):
        return url_for("agreement.show", project_id=project_id, _anchor=anchor.format(id=subject_id))
    return link


for _subject, _anchor in (("agreement", "acceptance"), ("agreementrole", "roles"),
                          ("responsibility", "responsibility-{id}"), ("consentitem", "consent-{id}")):
    activity_link(_subject)(_agreement_link(_anchor))
