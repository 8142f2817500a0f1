"""What after-project questions add to the home page: a partner's open questions (one query)."""
from ..sections import home_section
from .forms import AfterProjectForm
from .services import open_questions_for, open_questions_probe


@home_section("after_project", "after_project/_home.html", probe=open_questions_probe)
def home(user) -> dict | None:
    questions = open_questions_for(user)
    if not questions:
        return None
    forms = {}
    for question in questions:
        form = AfterProjectForm(prefix=f"q{question.id}", formdata=None)  # as the answer route expects
        form.version.data = question.version
        forms[question.id] = form
    return {"questions": questions, "forms": forms}
