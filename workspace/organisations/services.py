"""The organisation's page across courses and years, its profile and what it shares, the
introductions teachers make between organisations, and the themes they share.

Insiders (the organisation's own members, teachers, admins) see everything; everyone else who
is signed in sees only the sections the organisation shares. Each loader makes a fixed number of
queries whatever the number of projects, goals, deliverables or ratings: the sums are SQL's.
"""
from collections import defaultdict
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, or_
from sqlalchemy.orm import joinedload

from ..activity import record
from ..checkups.services import value_label
from ..extensions import db
from ..models import (
    CheckUp, Course, Deliverable, Goal, Introduction, IntroductionSide, Organisation, OrganisationMember,
    OrganisationProfile, Project, PulseRating, User,
)
from ..models.base import utcnow
from ..models.checkup import CONFIRMED, VALUE_KEYS
from ..models.deliverable import HANDED_OVER
from ..models.goal import ACHIEVED, DROPPED
from ..models.organisation_profile import ACCEPTED, DECLINED, PENDING, SHARABLE
from ..policy import can
from ..rules import Refused, StaleVersion

# ---- themes: kept as the comma-separated text the partner types, compared case-insensitively ----


def parse_themes(text: str) -> list[str]:
    """The themes of a text, in the order written, without duplicates that differ only in case."""
    seen, themes = set(), []
    for theme in (text or "").split(","):
        theme = " ".join(theme.split())
        if theme and theme.casefold() not in seen:
            seen.add(theme.casefold())
            themes.append(theme)
    return themes


def theme_keys(text: str) -> set[str]:
    return {theme.casefold() for theme in parse_themes(text)}


# ---- what a viewer is shown ---------------------------------------------------------------------


def profile_of(organisation: Organisation) -> OrganisationProfile:
    """The stored profile, or an unsaved one with the defaults (nothing is written by looking)."""
    return organisation.profile or OrganisationProfile()


def shown_sections(viewer, organisation: Organisation, profile: OrganisationProfile | None = None) -> set[str]:
    if can(viewer, "organisation.insider", organisation):
        return set(SHARABLE)
    return (profile or profile_of(organisation)).shared()


def project_status(project: Project, today: date | None = None) -> str:
    today = today or date.today()
    if project.end_date < today:
        return "finished"
    return "running" if project.start_date <= today else "upcoming"


def _count(model, *conditions):
    return (db.select(func.count(model.id)).where(model.project_id == Project.id, *conditions)
            .correlate(Project).scalar_subquery())


def project_history(organisation: Organisation) -> list[dict]:
    """Every project of the organisation, newest first, with what it achieved and handed over: 3 queries."""
    rows = db.session.execute(
        db.select(Project, _count(Goal, Goal.state == ACHIEVED), _count(Goal, Goal.state != DROPPED),
                  _count(Deliverable, Deliverable.state == HANDED_OVER))
        .join(Course, Course.id == Project.course_id)
        .options(joinedload(Project.course))
        .where(Project.organisation_id == organisation.id)
        .order_by(Project.start_date.desc(), Project.id.desc())
    ).all()
    achieved, handed = defaultdict(list), defaultdict(list)
    for project_id, title in db.session.execute(
        db.select(Goal.project_id, Goal.title).join(Project, Project.id == Goal.project_id)
        .where(Project.organisation_id == organisation.id, Goal.state == ACHIEVED)
        .order_by(Goal.project_id, Goal.position, Goal.id)
    ):
        achieved[project_id].append(title)
    for project_id, title, kind, handed_over_at in db.session.execute(
        db.select(Deliverable.project_id, Deliverable.title, Deliverable.kind, Deliverable.handed_over_at)
        .join(Project, Project.id == Deliverable.project_id)
        .where(Project.organisation_id == organisation.id, Deliverable.state == HANDED_OVER)
        .order_by(Deliverable.project_id, Deliverable.handed_over_at, Deliverable.id)
    ):
        handed[project_id].append({"title": title, "kind": kind, "handed_over_at": handed_over_at})
    today = date.today()
    return [{"project": project, "status": project_status(project, today), "achieved_count": n_achieved,
             "goal_count": n_goals, "handed_count": n_handed, "achieved": achieved[project.id],
             "handed": handed[project.id]}
            for project, n_achieved, n_goals, n_handed in rows]


def pulse_by_year(organisation: Organisation) -> dict:
    """The values pulse of confirmed check-ups, averaged per calendar year, value and side: 1 query.

    Only confirmed check-ups count: their ratings are visible to both sides already.
    """
    year = db.extract("year", CheckUp.planned_at)
    rows = db.session.execute(
        db.select(year, PulseRating.side, PulseRating.value_key, func.avg(PulseRating.score),
                  func.count(PulseRating.id))
        .join(CheckUp, CheckUp.id == PulseRating.checkup_id)
        .join(Project, Project.id == PulseRating.project_id)
        .where(Project.organisation_id == organisation.id, CheckUp.state == CONFIRMED)
        .group_by(year, PulseRating.side, PulseRating.value_key)
    ).all()
    averages, totals = {}, defaultdict(lambda: [0.0, 0])
    for y, side, key, avg, count in rows:
        y = int(y)
        averages[(y, side, key)] = (round(float(avg), 1), count)
        totals[(y, side)][0] += float(avg) * count
        totals[(y, side)][1] += count
    years = sorted({key[0] for key in averages})
    overall = {key: round(total / count, 1) for key, (total, count) in totals.items() if count}
    series = {side: [(i, overall[(y, side)]) for i, y in enumerate(years) if (y, side) in overall]
              for side in ("student", "partner")}
    values = [key for key in VALUE_KEYS if any((y, s, key) in averages for y in years for s in ("student", "partner"))]
    return {"years": years, "averages": averages, "overall": overall, "series": series, "values": values}


def introductions_of(organisation: Organisation, viewer) -> list[Introduction]:
    """Introductions of the organisation for its page: pending and accepted; declined ones for staff. 1 query."""
    query = (db.select(Introduction)
             .options(joinedload(Introduction.organisation), joinedload(Introduction.other),
                      joinedload(Introduction.introduced_by))
             .where(or_(Introduction.organisation_id == organisation.id, Introduction.other_id == organisation.id))
             .order_by(Introduction.created_at.desc(), Introduction.id.desc()))
    introductions = db.session.scalars(query).all()
    sees_declined = can(viewer, "introduction.see_declined", organisation)
    return [i for i in introductions if sees_declined or i.state != DECLINED]


def members_of(organisation: Organisation) -> list[User]:
    """The organisation's people with an account in the workspace, by name: 1 query."""
    return db.session.scalars(
        db.select(User).join(OrganisationMember, OrganisationMember.user_id == User.id)
        .where(OrganisationMember.organisation_id == organisation.id).order_by(User.name)).all()


def page_context(viewer, organisation: Organisation) -> dict:
    profile = profile_of(organisation)
    shown = shown_sections(viewer, organisation, profile)
    insider = can(viewer, "organisation.insider", organisation)
    return {
        "organisation": organisation, "profile": profile, "shown": shown, "insider": insider,
        "history": project_history(organisation) if "projects" in shown else [],
        "pulse": pulse_by_year(organisation) if "pulse" in shown else None,
        "introductions": introductions_of(organisation, viewer) if insider else [],
        "members": members_of(organisation) if insider else [],
        "may_answer": can(viewer, "introduction.answer", IntroductionSide(None, organisation)),
        "value_label": value_label,
    }


# ---- changes -------------------------------------------------------------------------------------


def _stored_profile(organisation: Organisation) -> OrganisationProfile:
    if organisation.profile is None:
        organisation.profile = OrganisationProfile()
    return organisation.profile


def profile_version(organisation: Organisation) -> int:
    """The version a profile form is made from (0 before the first save)."""
    return organisation.profile.version if organisation.profile is not None else 0


def update_profile(actor, organisation: Organisation, version, *, description: str, website: str, themes: str,
                   contacts: str, name: str | None = None) -> None:
    """Save the profile the organisation's partners (or staff) edit; `name` only from staff.

    `version` is the one the form was made from: someone else's save meanwhile raises StaleVersion.
    """
    try:
        stale = int(version) != profile_version(organisation)
    except (TypeError, ValueError):
        stale = True
    if stale:
        raise StaleVersion(organisation)
    profile = _stored_profile(organisation)
    profile.updated_at = utcnow()  # the profile row changes (and its version moves on) with every save
    before = {"name": organisation.name, "description": organisation.description, "website": organisation.website,
              "themes": organisation.themes, "contacts": profile.contacts}
    if name is not None:
        organisation.name = name
    organisation.description = description or ""
    organisation.website = website or ""
    organisation.themes = ", ".join(parse_themes(themes))
    profile.contacts = "\n".join(line.strip() for line in (contacts or "").splitlines() if line.strip())
    record(actor, "edited", organisation, _("%(name)s edited the profile of %(org)s", name=actor.name,
                                            org=organisation.name), before=before)
    db.session.flush()


def set_sharing(actor, organisation: Organisation, shared: set[str]) -> None:
    """Choose which sections other organisations' partners and students may see."""
    profile = _stored_profile(organisation)
    before = sorted(profile.shared())
    for section in SHARABLE:
        setattr(profile, f"share_{section}", section in shared)
    if sorted(shared & set(SHARABLE)) != before:
        record(actor, "sharing_changed", organisation,
               _("%(name)s changed what %(org)s shares with other organisations", name=actor.name,
                 org=organisation.name), before={"shared": before})
    db.session.flush()


def introduction_candidates(organisation: Organisation) -> list[tuple[Organisation, list[str]]]:
    """Other organisations with at least one theme in common, and those themes, leaving out those it
    was introduced to already (unless declined): 2 queries."""
    mine = theme_keys(organisation.themes)
    introduced = set()
    for introduction in db.session.scalars(db.select(Introduction).where(or_(
            Introduction.organisation_id == organisation.id, Introduction.other_id == organisation.id))):
        if introduction.state != DECLINED:
            introduced.update({introduction.organisation_id, introduction.other_id})
    candidates = []
    for other in db.session.scalars(db.select(Organisation).where(Organisation.id != organisation.id)
                                    .order_by(Organisation.name)):
        if other.id in introduced:
            continue
        common = [theme for theme in parse_themes(other.themes) if theme.casefold() in mine]
        if common:
            candidates.append((other, common))
    return candidates


def introduce(actor, organisation: Organisation, other: Organisation, note: str) -> Introduction:
    """A teacher introduces two organisations with a shared theme; both sides are asked."""
    if other.id == organisation.id:
        raise Refused(_("Choose another organisation."), 422)
    if not theme_keys(organisation.themes) & theme_keys(other.themes):
        raise Refused(_("These organisations have no theme in common."), 422)
    pair = {organisation.id, other.id}
    existing = db.session.scalars(db.select(Introduction).where(
        Introduction.organisation_id.in_(pair), Introduction.other_id.in_(pair))).all()
    if any(i.state != DECLINED for i in existing):
        raise Refused(_("%(a)s and %(b)s have been introduced already.", a=organisation.name, b=other.name), 409)
    introduction = Introduction(organisation=organisation, other=other, note=note or "", introduced_by=actor)
    db.session.add(introduction)
    db.session.flush()
    record(actor, "introduced", introduction, _("%(name)s introduced %(a)s to %(b)s", name=actor.name,
                                                a=organisation.name, b=other.name))
    return introduction


def answer_introduction(actor, introduction: Introduction, organisation: Organisation, accept: bool) -> None:
    """One side accepts or declines being introduced; accepted by both, it shows on both pages."""
    if introduction.state != PENDING:
        raise Refused(_("This introduction has been answered already."), 409)
    if introduction.answer_of(organisation.id) != PENDING:
        raise Refused(_("Your organisation has answered this introduction already."), 409)
    answer = ACCEPTED if accept else DECLINED
    if organisation.id == introduction.organisation_id:
        introduction.answer, introduction.answered_at = answer, utcnow()
    else:
        introduction.other_answer, introduction.other_answered_at = answer, utcnow()
    other = introduction.counterpart(organisation.id)
    if accept:
        summary = _("%(name)s accepted for %(org)s the introduction to %(other)s", name=actor.name,
                    org=organisation.name, other=other.name)
    else:
        summary = _("%(name)s declined for %(org)s the introduction to %(other)s", name=actor.name,
                    org=organisation.name, other=other.name)
    record(actor, answer, introduction, summary, before={"organisation_id": organisation.id, "answer": PENDING})
    db.session.flush()


# ---- themes: learning communities -----------------------------------------------------------------


def themes_index(viewer) -> list[dict]:
    """Per theme (alphabetical) the organisations and their projects the viewer may see: 2 queries."""
    rows = db.session.execute(
        db.select(Organisation, OrganisationProfile)
        .outerjoin(OrganisationProfile, OrganisationProfile.organisation_id == Organisation.id)
        .where(Organisation.themes != "").order_by(Organisation.name)
    ).all()
    visible, with_projects = [], set()
    for organisation, profile in rows:
        profile = profile or OrganisationProfile()
        insider = can(viewer, "organisation.insider", organisation)
        if insider or profile.share_themes:
            visible.append(organisation)
            if insider or profile.share_projects:
                with_projects.add(organisation.id)
    projects = defaultdict(list)
    if with_projects:
        for project in db.session.scalars(
            db.select(Project).options(joinedload(Project.course))
            .where(Project.organisation_id.in_(with_projects)).order_by(Project.start_date.desc(), Project.id)
        ):
            projects[project.organisation_id].append(project)
    themes: dict[str, dict] = {}
    for organisation in visible:
        for theme in parse_themes(organisation.themes):
            entry = themes.setdefault(theme.casefold(), {"name": theme, "organisations": []})
            entry["organisations"].append({"organisation": organisation,
                                           "projects": projects.get(organisation.id, [])})
    return [themes[key] for key in sorted(themes)]
