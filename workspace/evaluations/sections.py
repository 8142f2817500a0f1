"""What the evaluation adds to other pages: a partner's open evaluations on the home page, and a
section on the project board (teachers ask, close and release; the team reads once released)."""

from ..policy import can, project_role
from ..sections import activity_link, board_section, home_section
from ..ui import template_url_for
from .forms import evaluation_form
from .services import evaluation_of, open_for, open_probe


@home_section("evaluations", "evaluations/_home.html", probe=open_probe)
def home(user) -> dict | None:
    evaluations = open_for(user)
    if not evaluations:
        return None
    return {"evaluations": evaluations, "forms": {e.id: evaluation_form(e, formdata=None) for e in evaluations}}


@board_section("evaluations", "evaluations/_board.html")
def board(project, user) -> dict:
    role = project_role(user, project)
    evaluation = evaluation_of(project)
    return {"project": project, "evaluation": evaluation, "role": role,
            "manages": can(user, "evaluation.manage", project),
            "reads": evaluation is not None and can(user, "evaluation.read", evaluation),
            "answers": evaluation is not None and can(user, "evaluation.answer", evaluation)}


@activity_link("partnerevaluation")
def _evaluation_link(project_id, subject_id):
    """A timeline line about the evaluation leads to its panel on the board (which says what this reader may see)."""
    return template_url_for("projects.show", project_id=project_id) + "#evaluation-section"
