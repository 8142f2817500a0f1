"""Demo agreements made through the same service functions people use: one accepted by
everyone (the café), one with a new version waiting for acceptance (the food bank); promises
kept on time, kept late, late and recurring on both sides; consent given, withheld, withdrawn."""
from datetime import timedelta

from . import services


def seed(demo: dict) -> None:
    p = demo["people"]
    cafe, food = demo["projects"][0], demo["projects"][1]
    today = services.today()

    def promise(who, agreement, what, side, **fields):
        return services.add_responsibility(p[who], agreement, what, side, **fields)

    def keep(who, resp, role, note=""):
        return services.mark_done(p[who], resp, resp.version, note, side_of_actor=role)

    def consent(who, agreement, kind, state):
        item = next(c for c in agreement.consent_items if c.kind == kind)
        services.decide_consent(p[who], item, item.version, state)

    # Digital skills café: accepted by everyone.
    a = services.start_agreement(p["student1"], cafe)
    services.set_meetings(p["student1"], a, a.version, 14, "At the community centre, Tuesday afternoon")
    services.add_role(p["student1"], a, "Team lead", "Plans the work and keeps the team on track", [p["student1"].id])
    services.add_role(p["partner1"], a, "Partner contact", "Answers the team's questions and opens doors",
                      [p["partner1"].id])
    services.add_role(p["student2"], a, "Communication lead", "Keeps the partner and visitors informed",
                      [p["student2"].id, p["student1"].id])
    update = promise("student1", a, "Send the partner a short progress update", "students", recurrence="every",
                     every_n=1, every_unit="weeks", due_date=today + timedelta(days=1))
    plan = promise("student2", a, "Hand in the project plan", "students", due_date=today - timedelta(days=20))
    promise("student1", a, "Prepare the session plan", "students", recurrence="checkup", person_id=p["student2"].id,
            due_date=today + timedelta(days=6))
    reply = promise("partner1", a, "Reply to questions within 5 working days", "partner", recurrence="every",
                    every_n=5, every_unit="days", due_date=today + timedelta(days=2))
    promise("partner1", a, "Share the anonymised visitor numbers", "partner", person_id=p["partner1"].id,
            due_date=today - timedelta(days=4))
    feedback = promise("student1", a, "Give feedback on the project plan", "teacher",
                       due_date=today - timedelta(days=12))
    item = next(c for c in a.consent_items if c.kind == "data")
    services.edit_consent_details(p["student1"], item, item.version,
                                  "Visitor numbers per week, without names; kept on the university drive and "
                                  "deleted when the course ends.")
    consent("partner1", a, "publish_results", "given")
    consent("partner1", a, "name_and_logo", "withheld")
    consent("partner1", a, "data", "given")
    for who in ("student1", "student2", "partner1"):
        services.accept(p[who], a, a.number)
    keep("student1", update, "student", "Sent with photos of the first session")
    keep("student2", plan, "student", "Two weeks late: we waited for the partner's input")
    keep("partner1", reply, "partner")
    keep("teacher1", feedback, "teacher", "Comments are in the shared document")

    # Fair food distribution: version 2 waits for acceptance.
    b = services.start_agreement(p["student3"], food)
    services.set_meetings(p["student3"], b, b.version, 7, "Video call, Monday morning")
    services.add_role(p["student3"], b, "Team lead", "", [p["student3"].id])
    services.add_role(p["partner2"], b, "Partner contact", "Coordinator of the volunteers", [p["partner2"].id])
    visit = promise("student4", b, "Join a distribution day", "students", due_date=today - timedelta(days=2))
    promise("student3", b, "Write the check-up summary", "students", recurrence="checkup",
            due_date=today - timedelta(days=1))
    schedule = promise("partner2", b, "Send the distribution schedule", "partner", recurrence="every", every_n=2,
                       every_unit="weeks", due_date=today - timedelta(days=17))
    consent("partner2", b, "publish_results", "given")
    consent("partner2", b, "data", "withheld")
    for who in ("student3", "student4", "partner2"):
        services.accept(p[who], b, b.number)
    keep("student4", visit, "student", "Helped at the Saturday distribution")
    keep("partner2", schedule, "partner")  # kept late; its next occurrence is late too
    services.set_meetings(p["partner2"], b, b.version, 14, "Video call, Monday morning")
    consent("partner2", b, "publish_results", "withheld")  # withdrawn after the first acceptance
    services.accept(p["student3"], b, b.number)
