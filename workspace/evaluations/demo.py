"""Demo evaluations, made through the same service functions people use: last year's help desk was
evaluated, closed and released to its team; the kitchen garden's partner answered (and would not
work with us again: a reason for attention on last year's dashboard), still open for changes; and
the teacher of this year's lab asked the food bank early, so Pieter Partner finds it on his home page."""
from datetime import timedelta

from ..extensions import db
from ..models.base import utcnow
from ..policy import forget_standing
from . import services


def _answer(partner, evaluation, score, changed, work_again, why):
    scores = {key: {"score": score, "comment": ""} for key in evaluation.value_keys}
    scores[evaluation.value_keys[0]]["comment"] = "Said plainly what we could and could not do."
    services.save_answer(partner, evaluation, None, scores, changed, work_again, why)


def seed(demo: dict) -> None:
    p = demo["people"]
    teacher, now = p["teacher1"], utcnow()
    forget_standing()
    after = demo.get("after_project")
    if after:
        released = services.ask(None, after["answered"], [p["partner1"]], email=False)
        _answer(p["partner1"], released, 4, "Three volunteers now run the help desk every Thursday.", "yes",
                "The students listened before they built anything.")
        services.close(teacher, released)
        services.release(teacher, released)
        released.asked_at = now - timedelta(days=290)
        answered = services.ask(None, after["waiting"], [p["partner1"]], email=False)
        _answer(p["partner1"], answered, 2, "Little: the garden beds stayed empty after the summer.", "no",
                "Nobody came back after the exam weeks.")
        answered.asked_at = now - timedelta(days=190)
    pending = services.ask(teacher, demo["projects"][1], [p["partner2"]], email=False)
    pending.asked_at = now - timedelta(days=2)
    db.session.flush()
    demo["evaluations"] = {"pending": pending}
