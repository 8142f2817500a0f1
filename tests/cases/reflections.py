"""Permission cases of the reflections routes: students write and read their own and the team's
shared entries, the course's teachers read all and respond; a private entry does not exist for
the partner, other students or an admin who does not teach the course (404)."""
from workspace.extensions import db
from workspace.models import Reflection

from . import Case

STUDENT = frozenset({"student"})
READERS = frozenset({"student", "teacher"})
RESPONDERS = frozenset({"student", "teacher"})


def _entry(visibility):
    def setup(world):
        reflection = Reflection(project_id=world.project.id, author_id=world.student.id, body="What I learnt",
                                prompt_text="Humbleness", prompt_source="value:humbleness", visibility=visibility)
        db.session.add(reflection)
        db.session.commit()
        return {"reflection": reflection}
    return setup


def _form(world, objs):
    return {"body": "The partner taught us about the neighbourhood.", "visibility": "private",
            "prompt": "value:humbleness", "version": objs["reflection"].version if objs else ""}


BASE = lambda w: f"/projects/{w.project.id}/reflections"  # noqa: E731
R = lambda w, o: f"{BASE(w)}/{o['reflection'].id}"  # noqa: E731

CASES = [
    Case("reflections.index", "GET", lambda w, o: BASE(w), READERS),
    Case("reflections.new", "GET", lambda w, o: f"{BASE(w)}/new", STUDENT),
    Case("reflections.new", "POST", lambda w, o: f"{BASE(w)}/new", STUDENT, data=_form),
    # private: the partner and the admin may not know it exists
    Case("reflections.show", "GET", R, READERS, visible=READERS, setup=_entry("private")),
    Case("reflections.edit", "GET", lambda w, o: f"{R(w, o)}/edit", STUDENT, visible=READERS,
         setup=_entry("private")),
    Case("reflections.edit", "POST", lambda w, o: f"{R(w, o)}/edit", STUDENT, visible=READERS,
         setup=_entry("private"), data=_form),
    Case("reflections.delete", "GET", lambda w, o: f"{R(w, o)}/delete", STUDENT, visible=READERS,
         setup=_entry("private")),
    Case("reflections.delete", "POST", lambda w, o: f"{R(w, o)}/delete", STUDENT, visible=READERS,
         setup=_entry("private")),
    Case("reflections.respond", "POST", lambda w, o: f"{R(w, o)}/responses", RESPONDERS, visible=READERS,
         setup=_entry("private"), data=lambda w, o: {"body": "Good point."}),
]
