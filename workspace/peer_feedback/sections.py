"""What peer feedback adds to the project board (a student's rounds: rate, rated, released; for a
teacher a link to the course's rounds) and to a student's home page (open rounds they have not
submitted). The partner sees nothing of it."""
from datetime import date

from ..policy import can, project_role, project_roles
from ..sections import board_section, home_section
from .services import open_for, rounds_for_student


@board_section("peer_feedback", "peer_feedback/_board.html")
def board(project, user) -> dict:
    rounds = rounds_for_student(project, user) if project_role(user, project) == "student" else []
    return {"project": project, "rounds": rounds, "today": date.today(),
            "manages": can(user, "peer.manage", project.course)}


@home_section("peer_feedback", "peer_feedback/_home.html")
def home(user) -> dict | None:
    if "student" not in project_roles(user).values():  # no team, no round to rate (and no query)
        return None
    waiting = open_for(user)
    return {"waiting": waiting} if waiting else None
