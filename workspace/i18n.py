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
    "choiceround": N_("Choice round"), "placement": N_("Team placement"),
    "afterprojectquestion": N_("After the project"), "user": N_("Person"),
    "partnerevaluation": N_("Partner's evaluation"), "peerround": N_("Peer feedback"),
}


def subject_label(kind: str) -> str:
    """The translated name of a kind of timeline entry; unknown kinds as they are stored."""
    return gettext(SUBJECT_LABELS[kind]) if kind in SUBJECT_LABELS else kind


# ---- messages kept in the record, shown in each reader's language ------------------------------
# An activity entry or a notification stores its text as written in the language of the person who
# acted. The domain's gettext/ngettext remember, for the app context, which message and values made
# each text; `recall(text)` gives that recipe (values made by a message are recipes too), stored next
# to the text, and `localized(text, recipe)` makes the text again in the reader's language.

def remember_messages(babel) -> None:
    """Wrap the app's translation domain (after `babel.init_app` and the fast domain) to remember."""
    domain = babel.domain_instance
    gettext_, ngettext_ = domain.gettext, domain.ngettext

    def remembering_gettext(string, **variables):
        result = gettext_(string, **variables)
        _remember(result, {"msgid": string, "params": variables})
        return result

    def remembering_ngettext(singular, plural, num, **variables):
        result = ngettext_(singular, plural, num, **variables)
        _remember(result, {"msgid": singular, "plural": plural, "num": num, "params": variables})
        return result

    domain.gettext, domain.ngettext = remembering_gettext, remembering_ngettext


def _made() -> dict | None:
    from .contextlocal import app_g

    globals_ = app_g()
    return globals_.__dict__.setdefault("_ws_made_by", {}) if globals_ is not None else None


def _remember(result, recipe) -> None:
    made = _made()
    if made is not None and isinstance(result, str):
        made[str(result)] = recipe


def recall(text: str) -> dict | None:
    """How `text` was made by a message in this app context, as JSON-ready data, or None."""
    made = _made()
    recipe = made.get(text) if made and isinstance(text, str) else None
    if recipe is None:
        return None
    params = {}
    for name, value in recipe["params"].items():
        inner = recall(value) if isinstance(value, str) and value != text else None
        params[name] = {"made": inner} if inner else (value if isinstance(value, (int, float)) else str(value))
    found = dict(recipe, params=params)
    return found if _make(found) == text else None  # only what makes the same text again


def _make(recipe: dict) -> str:
    """Flask-Babel's `gettext`/`ngettext` of the recipe, from the request's catalogue as the templates'
    `_()` finds it (`fast_gettext.translations`): a timeline shows one made text per line."""
    from .fast_gettext import translations

    params = {name: _make(value["made"]) if isinstance(value, dict) else value
              for name, value in recipe["params"].items()}
    message, plural = recipe["msgid"], recipe.get("plural")  # (not in the call: `make messages` reads calls)
    if plural:
        params.setdefault("num", recipe["num"])
        return translations().ungettext(message, plural, recipe["num"]) % params
    text = translations().ugettext(message)
    return text % params if params else text


def localized(text: str, recipe: dict | None) -> str:
    """The stored text made again in the reader's language; as stored when that is not possible."""
    if not recipe:
        return text
    try:
        return _make(recipe)
    except (KeyError, TypeError, ValueError):  # a translation that no longer fits its values
        return text
