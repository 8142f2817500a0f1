"""Permission cases of follow-up projects and after-project questions: teachers of the project's
course (and admins) continue a project; only the project's partner answers the after-project
questions; people of other projects and courses get 404."""
from workspace.extensions import db
from workspace.models import AfterProjectQuestion

from ..factories import create_course
from . import Case

MANAGERS = frozenset({"teacher", "admin"})
PARTNER = frozenset({"partner"})


def _later_course(world):
    """A later course the project's teacher also teaches: where the follow-up goes."""
    course = create_course("Community Lab, semester 2", teachers=[world.teacher])
    db.session.commit()
    return {"course": course}


def _follow_up_form(world, objs):
    return {"course_id": objs["course"].id, "title": "Food bank routes, year two", "start_date": "2027-02-01",
            "end_date": "2027-06-30"}


def _question(world):
    question = AfterProjectQuestion(project_id=world.project.id)
    db.session.add(question)
    db.session.commit()
    return {"question": question}


def _answers(world, objs):
    p = f"q{objs['question'].id}-"
    return {p + "still_in_use": "partly", p + "still_in_use_comment": "The toolkit, not the app.",
            p + "carry_on": "yes", p + "carry_on_comment": "", p + "version": objs["question"].version}


FOLLOW_UP = lambda w, o: f"/projects/{w.project.id}/follow-up"  # noqa: E731
AFTER = lambda w, o: f"/projects/{w.project.id}/after-project"  # noqa: E731

CASES = [
    Case("followup.new", "GET", FOLLOW_UP, MANAGERS, setup=_later_course),
    Case("followup.new", "POST", FOLLOW_UP, MANAGERS, setup=_later_course, data=_follow_up_form),
    Case("after_project.answer_questions", "GET", AFTER, PARTNER, setup=_question),
    Case("after_project.answer_questions", "POST", AFTER, PARTNER, setup=_question, data=_answers),
]
