"""Permission cases of the organisation page, profile, sharing, introductions and themes.

World: `partner` speaks for the project's organisation (A), `other_partner` for the other
project's (B). Everyone signed in may open A's page, but only A's members, teachers and admins
see its private sections: the `expect` checks assert the private text is absent for the rest.
"""
from workspace.extensions import db
from workspace.models import Introduction, OrganisationProfile

from ..factories import create_organisation
from . import EVERYONE, SIGNED_IN, TEACHERS, Case

INSIDERS = TEACHERS | {"partner"}
SECRET_CONTACT = "Secret Contact Person"
SECRET_THEME = "clandestine gardening"


def _private_profile(world):
    """A: contacts private (default), themes private; B shares its themes."""
    org = world.project.organisation
    org.themes = f"food, {SECRET_THEME}"
    org.description = "Public description of A"
    db.session.add(OrganisationProfile(organisation=org, contacts=SECRET_CONTACT, share_themes=False))
    world.other_project.organisation.themes = "food"
    db.session.commit()
    return {}


def _shows_only_shared(response, role):
    body = response.get_data(as_text=True)
    if role in INSIDERS:
        assert SECRET_CONTACT in body and SECRET_THEME in body and "Values pulse over the years" in body
        assert "Food bank routes" in body
    else:
        assert "Public description of A" in body
        for private in (SECRET_CONTACT, SECRET_THEME, "Values pulse over the years", "Food bank routes",
                        "Introductions to other organisations"):
            assert private not in body, f"{role} sees {private!r}"


def _themes_respect_sharing(response, role):
    body = response.get_data(as_text=True)
    if role in INSIDERS:
        assert SECRET_THEME in body
    else:
        assert SECRET_THEME not in body


def _third_with_theme(world):
    world.project.organisation.themes = "food, housing"
    third = create_organisation("Third Place", themes="Housing")
    db.session.commit()
    return {"third": third}


def _introduction(world):
    objs = _third_with_theme(world)
    intro = Introduction(organisation=world.project.organisation, other=objs["third"], note="Meet",
                         introduced_by=world.teacher)
    db.session.add(intro)
    db.session.commit()
    return {"introduction_id": intro.id, "third_id": objs["third"].id}


A = lambda w, o: f"/organisations/{w.project.organisation_id}"  # noqa: E731

CASES = [
    Case("organisations.show", "GET", A, SIGNED_IN, SIGNED_IN),
    Case("organisations.show", "GET", A, SIGNED_IN, SIGNED_IN, setup=_private_profile, expect=_shows_only_shared),
    Case("organisations.edit", "GET", lambda w, o: f"{A(w, o)}/edit", INSIDERS, SIGNED_IN),
    Case("organisations.edit", "POST", lambda w, o: f"{A(w, o)}/edit", INSIDERS, SIGNED_IN,
         data=lambda w, o: {"name": "Renamed organisation", "description": "New words", "themes": "food",
                            "contacts": "Pat, coordinator", "version": "0"}),
    Case("organisations.sharing", "POST", lambda w, o: f"{A(w, o)}/sharing", {"partner", "admin"}, SIGNED_IN,
         data=lambda w, o: {"share_description": "y", "share_projects": "y"}),
    Case("organisations.introduce_view", "GET", lambda w, o: f"{A(w, o)}/introduce", TEACHERS, SIGNED_IN,
         setup=_third_with_theme),
    Case("organisations.introduce_view", "POST", lambda w, o: f"{A(w, o)}/introduce", TEACHERS, SIGNED_IN,
         setup=_third_with_theme, data=lambda w, o: {"other_id": o["third"].id, "note": "Both work on housing"}),
    Case("organisations.answer", "POST",
         lambda w, o: f"{A(w, o)}/introductions/{o['introduction_id']}/answer", {"partner"}, INSIDERS,
         setup=_introduction, data=lambda w, o: {"answer": "accept"}),
    # By the id of an organisation it does not involve, the introduction does not exist for anyone:
    # tests/test_organisations.py::test_an_introduction_is_found_only_by_its_own_organisations.
    Case("organisations.themes", "GET", lambda w, o: "/organisations/themes", SIGNED_IN, EVERYONE),
    Case("organisations.themes", "GET", lambda w, o: "/organisations/themes", SIGNED_IN, EVERYONE,
         setup=_private_profile, expect=_themes_respect_sharing),
]
