"""Demo notifications: each demo account finds what waits for it, unread, in the bell."""
from flask_babel import gettext as _

from ..dashboard.signals import course_signals
from .mywork import my_work
from .services import notify


def seed(demo: dict) -> None:
    for person in demo["people"].values():
        notify([person], "welcome", "demo-welcome", _("Welcome to the co-creation workspace. “My work” lists what is "
                                                      "due from you across your projects."), "/my-work", email=False)
        for n, item in enumerate(my_work(person)[:5]):
            notify([person], "waiting", f"demo-work-{n}", _("%(project)s: %(text)s", project=item.project, text=item.text),
                   item.url, email=False)
    for course in demo["courses"]:
        teachers = [staff.user for staff in course.staff]
        for row in course_signals(course):
            if row.reasons:
                notify(teachers, "attention", f"demo-attention-{row.id}",
                       _("%(project)s needs attention: %(reasons)s", project=row.title, reasons="; ".join(row.reasons)),
                       f"/projects/{row.id}", email=False)
