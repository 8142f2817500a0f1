"""The coordinators' home: how many partner questions wait, with the way to the queue."""
from ..sections import home_section
from . import services


@home_section("questions", "questions/_home.html")
def home(user) -> dict | None:
    """Teachers and admins only (one query); nothing for anyone else."""
    if not (user.is_teacher or user.is_admin):
        return None
    return {"counts": services.counts()}
