"""The coordinators' home: how many partner questions wait, with the way to the queue."""
from ..policy import can
from ..sections import home_section
from . import services


@home_section("questions", "questions/_home.html")
def home(user) -> dict | None:
    """Whoever may see the queue (policy's question.queue; one query); nothing for anyone else."""
    if not can(user, "question.queue"):
        return None
    return {"counts": services.counts()}
