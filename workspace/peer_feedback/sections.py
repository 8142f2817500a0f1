"""What peer feedback adds to the project board (a student's rounds: rate, rated, released; for a
teacher a link to the course's rounds) and to a student's home page (open rounds they have not
submitted). The partner sees nothing of it."""
from datetime import date

from ..policy import can, project_role
from ..sections import board_section, home_section
from .services import open_for, rounds_for_student


@board_section("peer_feedback", "peer_feedback/_board.html")
def board(project, user) -> dict:
    role = project_role(user, project)
    if role == "student":
        return {"project": project, "role": role, "rounds": rounds_for_student(project, user), "today": date.today()}
    return {"project": project, "role": role if can(user, "peer.manage", project.course) else None, "rounds": []}


@home_section("peer_feedback", "peer_feedback/_home.html")
def home(user) -> dict | None:
    waiting = open_for(user)
    return {"waiting": waiting} if waiting else None
