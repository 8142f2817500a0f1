"""Permission cases of the partner's evaluation: only the project's partners answer; the course's
teachers (and admins) ask, close and release; people of other projects and courses get 404."""
from workspace.extensions import db
from workspace.models import PartnerEvaluation
from workspace.models.base import utcnow
from workspace.models.checkup import VALUE_KEYS

from . import Case

MANAGERS = frozenset({"teacher", "admin"})
PARTNER = frozenset({"partner"})


def _evaluation(closed=False):
    def setup(world):
        evaluation = PartnerEvaluation(project_id=world.project.id, value_keys=list(VALUE_KEYS),
                                       closed_at=utcnow() if closed else None)
        db.session.add(evaluation)
        db.session.commit()
        return {"evaluation": evaluation}
    return setup


def answer_form(evaluation, **overrides):
    """A complete answer as the form posts it (every value scored)."""
    p = f"e{evaluation.id}-"
    data = {p + f"score_{key}": "4" for key in evaluation.value_keys}
    data.update({p + "changed": "Our volunteers plan routes themselves now.", p + "work_again": "yes",
                 p + "work_again_why": "A good team.", p + "version": ""})
    data.update({p + key: value for key, value in overrides.items()})
    return data


BASE = lambda w, o: f"/projects/{w.project.id}/evaluation"  # noqa: E731

CASES = [
    Case("evaluations.answer", "GET", BASE, PARTNER, setup=_evaluation()),
    Case("evaluations.answer", "POST", BASE, PARTNER, setup=_evaluation(),
         data=lambda w, o: answer_form(o["evaluation"])),
    Case("evaluations.ask", "POST", lambda w, o: f"{BASE(w, o)}/ask", MANAGERS),
    Case("evaluations.close", "POST", lambda w, o: f"{BASE(w, o)}/close", MANAGERS, setup=_evaluation()),
    Case("evaluations.release", "POST", lambda w, o: f"{BASE(w, o)}/release", MANAGERS,
         setup=_evaluation(closed=True)),
]
