"""Translation helpers shared by models and views (Flask-Babel does the rest: `_`, `_l`, `ngettext`)."""
from flask_babel import gettext


def N_(message: str) -> str:
    """Mark a string for `make messages` where it is defined; `_()` translates it where it is shown.

    For labels kept in module-level tables (values, error texts, states) that are looked up by key.
    """
    return message


# Roles and sides shown with `_(role)` in templates (project_role() gives one of these).
ROLE_NAMES = (N_("student"), N_("partner"), N_("teacher"), N_("admin"))

# What an activity entry is about (Activity.subject_type, the subject's class name in lower case),
# for the timeline's filter; a kind missing here is shown as it is stored.
SUBJECT_LABELS = {
    "project": N_("Project"), "projectmember": N_("Member"), "course": N_("Course"),
    "agreement": N_("Agreement"), "agreementversion": N_("Agreement version"), "agreementrole": N_("Role"),
    "responsibility": N_("Responsibility"), "consentitem": N_("Consent"),
    "goal": N_("Goal"), "goalcomment": N_("Comment"), "rootcauserevision": N_("Root cause"),
    "checkup": N_("Check-up"), "feedbackitem": N_("Feedback"), "actionitem": N_("Action item"),
    "correction": N_("Correction"), "pulserating": N_("Values pulse"),
    "deliverable": N_("Deliverable"), "deliverableversion": N_("Version"), "review": N_("Review"),
    "handoveritem": N_("Handover"), "invitation": N_("Invitation"),
    "organisation": N_("Organisation"), "introduction": N_("Introduction"),
    "reflection": N_("Reflection"), "reflectionresponse": N_("Response"),
    "afterprojectquestion": N_("After the project"), "user": N_("Person"),
}


def subject_label(kind: str) -> str:
    """The translated name of a kind of timeline entry; unknown kinds as they are stored."""
    return gettext(SUBJECT_LABELS[kind]) if kind in SUBJECT_LABELS else kind
