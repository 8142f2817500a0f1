"""Permission cases of the project timeline."""
from . import PROJECT_ROLES, Case

CASES = [
    Case("timeline.show", "GET", lambda w, o: f"/projects/{w.project.id}/timeline", PROJECT_ROLES),
]
