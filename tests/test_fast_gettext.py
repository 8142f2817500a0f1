"""The request's catalogue is remembered per selected locale (workspace/fast_gettext.py): pages
still speak each person's language, and a locale switched within a request is followed."""
from flask import render_template_string
from flask_babel import force_locale, gettext, ngettext, refresh

from workspace.extensions import db


def test_each_person_gets_their_own_language_in_turn(client, world):
    world.student.locale = "nl"
    world.partner.locale = "en"
    db.session.commit()
    for user, home in ((world.student, "Start"), (world.partner, "Home"), (world.student, "Start")):
        client.login(user)
        html = client.get(f"/projects/{world.project.id}").get_data(as_text=True)
        assert f">{home}</a>" in html
        assert ("Doelen" in html) == (home == "Start")


def test_force_locale_and_refresh_within_a_request(app):
    # Each request in an app context of its own (as in production): `g` is per app context.
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert gettext("Goals") == "Goals"
        with force_locale("nl"):
            assert gettext("Goals") == "Doelen"
            assert ngettext("%(num)d comment", "%(num)d comments", 2) == "2 reacties"
            assert render_template_string('{{ _("Goals") }} {{ ngettext("%(num)d comment", "%(num)d comments", 1) }}') \
                == "Doelen 1 reactie"
        assert gettext("Goals") == "Goals"
        assert render_template_string('{{ _("Goals") }}') == "Goals"
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "nl"}):
        assert render_template_string('{{ _("Goals") }}') == "Doelen"
        assert gettext("Goals") == "Doelen"
        config = app.extensions["babel"]
        selector = config.locale_selector
        try:
            config.locale_selector = lambda: "en"  # e.g. the person just chose English on their profile
            refresh()
            assert gettext("Goals") == "Goals"
            assert render_template_string('{{ _("Goals") }}') == "Goals"
        finally:
            config.locale_selector = selector


def test_template_gettext_escapes_and_formats_like_jinja(app):
    with app.app_context(), app.test_request_context("/"):
        out = render_template_string('{{ _("Revision %(n)s by %(name)s, %(when)s", n=1, name="<b>", when="x") }}')
        assert "&lt;b&gt;" in out and "<b>" not in out
        assert render_template_string('{% trans n=3 %}{{ n }} x{% endtrans %}') == "3 x"
