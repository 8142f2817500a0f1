"""Demo organisations: Buurthuis De Brug with projects over three years and courses (goals achieved,
deliverables handed over, a values pulse each year), profiles with contact people and different
sharing choices, an accepted introduction and one waiting for an answer."""
from datetime import date, datetime, time, timedelta, timezone

from flask_babel import gettext as _

from ..extensions import db
from ..i18n import recall
from ..models import (
    CheckUp, Course, Deliverable, Goal, Introduction, Notification, OrganisationProfile, Project, ProjectMember,
    PulseRating,
)
from ..models.checkup import VALUE_KEYS
from ..models.organisation_profile import ACCEPTED

# (course, term, title, problem, start, end, achieved goals, other goals, handed-over deliverables,
#  student scores, partner scores) for the earlier years of De Brug, oldest first.
HISTORY = (
    ("Community Impact Lab", "{y2}–{y1}, semester 2", "Neighbours' cookbook",
     "Residents from many countries eat alone; the centre wants them to cook and eat together.",
     (2, 10), (6, 20), ["Twelve residents share a recipe and its story", "A cooking evening every month"],
     [("A printed cookbook for the library", "dropped")],
     [("The neighbours' cookbook (PDF and print files)", "toolkit")],
     [4, 3, 3, 2, 4, 4, 3, 3, 3], [3, 4, 3, 2, 4, 4, 3, 2, 3]),
    ("Community Impact Lab", "{y1}–{y0}, semester 1", "Repair café for everyone",
     "The repair café is run by three volunteers who are close to burning out.",
     (9, 8), (12, 19), ["Eight new volunteers trained as repairers", "A rota the volunteers run themselves"],
     [],
     [("Volunteer handbook for the repair café", "toolkit"), ("Rota template and training video", "video")],
     [4, 4, 4, 4, 4, 4, 4, 4, 4], [4, 4, 4, 4, 5, 4, 4, 4, 4]),
)


def _at(day: date, hour: int = 14) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.utc)


def _past_project(brug, partner, students, years_ago: int, entry) -> Project:
    (course_name, term, title, problem, start, end, achieved, other_goals, handed, student_scores,
     partner_scores) = entry
    y0 = date.today().year
    year = y0 - years_ago
    course = Course(name=course_name, term=term.format(y0=y0, y1=y0 - 1, y2=y0 - 2),
                    description="Student teams work with community organisations on a question they bring.")
    db.session.add(course)
    project = Project(course=course, organisation=brug, title=title, problem_statement=problem,
                      start_date=date(year, *start), end_date=date(year, *end))
    db.session.add(project)
    db.session.flush()
    for student in students:
        db.session.add(ProjectMember(project_id=project.id, user_id=student.id, role="student"))
    db.session.add(ProjectMember(project_id=project.id, user_id=partner.id, role="partner"))
    for position, goal_title in enumerate(achieved):
        db.session.add(Goal(project_id=project.id, title=goal_title, state="achieved", proposer_side="partner",
                            proposer_id=partner.id, position=position, agreed_at=_at(project.start_date),
                            evidence="Confirmed by the partner at the last check-up."))
    for goal_title, state in other_goals:
        db.session.add(Goal(project_id=project.id, title=goal_title, state=state, proposer_side="student",
                            proposer_id=students[0].id, position=len(achieved),
                            drop_reason="The library had no budget for printing." if state == "dropped" else ""))
    for deliverable_title, kind in handed:
        db.session.add(Deliverable(project_id=project.id, title=deliverable_title, kind=kind, state="handed_over",
                                   created_by_id=students[0].id, handed_over_at=_at(project.end_date, 16)))
    middle = project.start_date + (project.end_date - project.start_date) / 2
    for planned, bump in ((middle, -1), (project.end_date - timedelta(days=7), 0)):
        checkup = CheckUp(project=project, planned_at=_at(planned), state="confirmed", summary="We met at the centre.",
                          logged_by_id=students[0].id, logged_at=_at(planned, 18),
                          confirmed_by_id=partner.id, confirmed_at=_at(planned + timedelta(days=1), 9))
        db.session.add(checkup)
        db.session.flush()
        for person, side, scores in ((students[0], "student", student_scores), (partner, "partner", partner_scores)):
            for key, score in zip(VALUE_KEYS, scores):
                db.session.add(PulseRating(checkup_id=checkup.id, project_id=project.id, user_id=person.id, side=side,
                                           value_key=key, score=max(1, min(5, score + bump))))
    return project


def seed(demo: dict) -> None:
    people = demo["people"]
    brug, voedselbank, groenstad = demo["organisations"]
    partner1 = people["partner1"]

    # Themes in common make the introductions below: poverty (De Brug, food bank), community (De Brug, Groenstad).
    brug.themes = "community, inclusion, elderly, poverty"
    groenstad.themes = "climate, mobility, housing, community"

    for years_ago, entry in zip((2, 1), HISTORY):
        _past_project(brug, partner1, [people["student5"], people["student6"]], years_ago, entry)

    # De Brug shows its history to other organisations; the food bank keeps the defaults; the
    # municipality keeps even its themes to itself (so it is missing from others' themes page).
    db.session.add_all([
        OrganisationProfile(organisation=brug, share_projects=True, share_pulse=True,
                            contacts="Priya Partner, coordinator, partner1@example.org\n"
                                     "Henk de Vries, volunteer for the digital skills café, 010 123 4567"),
        OrganisationProfile(organisation=voedselbank, contacts="Pieter Partner, volunteer coordinator"),
        OrganisationProfile(organisation=groenstad, share_themes=False, share_website=False,
                            contacts="Paula Partner, programme manager sustainability"),
    ])

    teacher = people["teacher1"]
    now = datetime.now(timezone.utc)
    db.session.add(Introduction(
        organisation=brug, other=voedselbank, introduced_by=teacher, created_at=now - timedelta(days=40),
        note="Many of De Brug's elderly visitors struggle to make ends meet; the food bank knows how to reach them.",
        answer=ACCEPTED, answered_at=now - timedelta(days=38), other_answer=ACCEPTED,
        other_answered_at=now - timedelta(days=36)))
    pending = Introduction(
        organisation=brug, other=groenstad, introduced_by=teacher, created_at=now - timedelta(days=3),
        note="Both bring residents together; the courtyard greening could meet in the community centre.",
        answer=ACCEPTED, answered_at=now - timedelta(days=2))
    db.session.add(pending)
    db.session.flush()
    news = _("%(name)s introduced %(a)s to %(b)s", name=teacher.name, a=brug.name, b=groenstad.name)
    text = _("%(news)s — please accept or decline the introduction", news=news)
    db.session.add(Notification(
        user_id=people["partner3"].id, kind="introduction", key=f"demo-introduction-{pending.id}",
        text=text, text_made=recall(text), url=f"/organisations/{groenstad.id}#org-introductions"))
