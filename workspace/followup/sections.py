"""What follow-ups add to the board: where the project came from and where it continues (2 queries)."""
from ..sections import board_section
from .services import successors


@board_section("followup", "followup/_board.html")
def board(project, user) -> dict:
    return {"project": project, "predecessor": project.predecessor, "successors": successors(project)}
