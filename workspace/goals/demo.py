"""Demo goals in every state, made through the same service functions people use (so the
timeline, revisions and discussion are real): proposed by students and by partners, changes
requested, agreed, revised, claimed, achieved, drop proposed and dropped."""
from datetime import timedelta

from . import services


def seed(demo: dict) -> None:
    p = demo["people"]
    cafe, food, green = demo["projects"]

    def propose(who, project, title, **fields):
        fields = {"description": "", "partner_need": "", "success_criteria": "", "target_date": None, **fields}
        return services.propose_goal(p[who], project, title=title, **fields)

    def revise(who, project, goal, **changes):
        fields = {key: getattr(goal, key) for key in services.TEXT_FIELDS}
        fields.update(changes)
        services.revise_goal(p[who], project, goal, goal.version, **fields)

    def say(who, project, goal, body):
        services.add_comment(p[who], project, goal, body)

    # Digital skills café for seniors: student1, student2 and partner1.
    achieved = propose("student1", cafe, "A weekly digital skills café run with volunteers",
                       description="Every Tuesday afternoon seniors bring their own phone or tablet.",
                       partner_need="Visitors ask staff for help with apps every day; staff have no time.",
                       success_criteria="Six sessions held, at least eight visitors each time.",
                       target_date=cafe.start_date + timedelta(days=40))
    services.approve(p["partner1"], cafe, achieved, achieved.version)
    say("partner1", cafe, achieved, "Tuesday works well: the **reading room** is free then.")
    services.claim_achieved(p["student2"], cafe, achieved, achieved.version,
                            "Seven sessions held; attendance list in the shared folder, 9 to 14 visitors.")
    services.confirm_achieved(p["partner1"], cafe, achieved, achieved.version)

    gp = propose("partner1", cafe, "Seniors book a GP appointment online on their own",
                 partner_need="The GP practice is closing its phone line in the mornings.")
    services.request_changes(p["student1"], cafe, gp, gp.version,
                             "Can we say *how many* seniors? We cannot reach everyone in ten weeks.")
    revise("partner1", cafe, gp, title="Twenty seniors book a GP appointment online on their own",
           success_criteria="Twenty visitors show they can book without help.")
    say("student1", cafe, gp, "Twenty is realistic. We will discuss it with the team on Monday.")

    propose("student2", cafe, "A printed step-by-step guide for logging in with DigiD",
            description="Large print, screenshots, in Dutch, Turkish and Arabic.",
            partner_need="Many visitors do not read Dutch well.")

    volunteers = propose("student1", cafe, "Train two volunteers to run the café",
                         success_criteria="Two volunteers lead a session without students present.")
    services.approve(p["partner1"], cafe, volunteers, volunteers.version)
    revise("student2", cafe, volunteers, title="Train three volunteers to run the café",
           success_criteria="Three volunteers lead a session without students present.")

    # Fair food distribution: student3, student4 and partner2.
    slots = propose("student3", food, "Time slots for collecting food parcels",
                    description="Families choose a 15-minute slot by phone or at the desk.")
    services.request_changes(p["partner2"], food, slots, slots.version,
                             "Many families have no phone credit. Please add a way to book at the desk only.")
    wait = propose("partner2", food, "Families with young children wait less than 30 minutes",
                   success_criteria="Median waiting time under 30 minutes on three Saturdays.")
    services.approve(p["student4"], food, wait, wait.version)
    say("student4", food, wait, "We will time the queue on the next two Saturdays as a baseline.")
    app = propose("student3", food, "An app for ordering food parcels")
    services.approve(p["partner2"], food, app, app.version)
    services.propose_drop(p["partner2"], food, app, app.version,
                          "Our volunteers cannot maintain an app after the project ends.")
    services.confirm_drop(p["student4"], food, app, app.version)
    say("student4", food, app, "Agreed: the time slots will work on paper too.")
    routes = propose("student4", food, "Plan the volunteer drivers' delivery routes")
    services.approve(p["partner2"], food, routes, routes.version)
    services.claim_achieved(p["student3"], food, routes, routes.version,
                            "The new route plan was used for four weeks; drivers saved an hour a week.")

    # Green courtyards together: student5, student6 and partner3.
    codesign = propose("partner3", green, "Residents co-design two courtyards",
                       partner_need="Earlier plans failed because residents were not involved.")
    services.approve(p["student5"], green, codesign, codesign.version)
    survey = propose("student6", green, "Survey 200 residents about their courtyard")
    services.approve(p["partner3"], green, survey, survey.version)
    services.propose_drop(p["student6"], green, survey, survey.version,
                          "Door-to-door talks reach more people than a survey; we suggest those instead.")
    propose("student5", green, "A courtyard greening toolkit residents can use without us")

    # Relevance: the root cause, refined together.
    services.revise_root_cause(p["student1"], cafe, "Seniors lack confidence with apps.", 0)
    services.revise_root_cause(p["partner1"], cafe, "Seniors lack confidence with apps, and nobody nearby has time "
                                                    "to help them practise at their own pace.", 1)
    services.revise_root_cause(p["student3"], food, "Everyone arrives at opening time because nobody knows "
                                                    "when it is quiet.", 0)
