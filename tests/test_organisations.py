"""The organisation page across courses and years, the profile and what it shares, introductions
between organisations, and the themes page: over HTTP, as the people who use them."""
import re
from datetime import date

import pytest

from workspace.extensions import db
from workspace.models import (
    Activity, Deliverable, Goal, Introduction, Notification, OrganisationProfile, Project, PulseRating,
)
from workspace.organisations.services import introduce, parse_themes
from workspace.rules import Refused

from . import factories as f


def _org(world):
    return world.project.organisation


def _other_org(world):
    return world.other_project.organisation


def _body(response):
    return response.get_data(as_text=True)


def _fill(world, n: int, start_year: int = 2023):
    """`n` earlier projects of the world's organisation, each with an achieved goal, a handed-over
    deliverable and a confirmed check-up with a values pulse, one a year."""
    org = _org(world)
    for i in range(n):
        year = start_year + i
        course = f.create_course(f"Lab {year}-{i}", term=f"{year}")
        project = f.create_project(course, organisation=org, students=[world.student], partners=[world.partner],
                                   title=f"Project of {year} #{i}", start_date=date(year, 2, 1),
                                   end_date=date(year, 6, 30))
        f.create_goal(project, world.partner, side="partner", state="achieved", title=f"Goal achieved {year} #{i}")
        f.create_goal(project, world.student, state="agreed", title=f"Goal open {year} #{i}")
        f.create_deliverable(project, title=f"Toolkit {year} #{i}", state="handed_over", items=0)
        checkup = f.create_checkup(project, state="confirmed", days_ago=(date.today() - date(year, 3, 1)).days)
        f.create_rating(checkup, world.student, "student", score=3)
        f.create_rating(checkup, world.partner, "partner", score=5)
    db.session.commit()


# ---- the organisation page ------------------------------------------------------------------------

def test_the_page_shows_projects_goals_deliverables_and_the_pulse_over_the_years(client, world):
    _fill(world, 2)
    client.login(world.partner)
    body = _body(client.get(f"/organisations/{_org(world).id}"))
    for text in ("Project of 2023 #0", "Project of 2024 #1", "Goal achieved 2023 #0", "Toolkit 2024 #1",
                 "Food bank routes", "Values pulse over the years", "2023", "2024"):
        assert text in body
    assert "Goal open 2023 #0" not in body  # only achieved goals are listed
    assert "1 of 2 goals achieved" in body
    assert "<svg" in body and "Average values pulse per year" in body


def test_the_pulse_counts_confirmed_check_ups_only(client, world):
    checkup = f.create_checkup(world.project, state="logged", days_ago=3)
    f.create_rating(checkup, world.partner, "partner", score=1)
    db.session.commit()
    client.login(world.teacher)
    body = _body(client.get(f"/organisations/{_org(world).id}"))
    assert "No confirmed check-up with a values pulse yet." in body


@pytest.mark.parametrize("role", ["partner", "teacher", "admin"])
def test_insiders_see_every_section(client, world, role):
    db.session.add(OrganisationProfile(organisation=_org(world), contacts="Hidden Harriet, chair"))
    db.session.commit()
    client.login(getattr(world, role))
    body = _body(client.get(f"/organisations/{_org(world).id}"))
    assert "Hidden Harriet" in body and "Food bank routes" in body and "Values pulse over the years" in body
    assert "Introductions to other organisations" in body
    assert "Members in the workspace" in body and world.partner.name in body


@pytest.mark.parametrize("role", ["other_partner", "student", "other_student"])
def test_other_organisations_partners_and_students_see_only_what_is_shared(client, world, role):
    org = _org(world)
    org.description, org.website, org.themes = "We run a food bank.", "https://a.example.org", "food"
    db.session.add(OrganisationProfile(organisation=org, contacts="Hidden Harriet, chair", share_website=False))
    db.session.commit()
    client.login(getattr(world, role))
    body = _body(client.get(f"/organisations/{org.id}"))
    assert "We run a food bank." in body and "food" in body
    for private in ("Hidden Harriet", "https://a.example.org", "Food bank routes", "Values pulse over the years",
                    "Introductions to other organisations", "What other organisations see", "Edit the profile",
                    "Members in the workspace", world.partner.name):
        assert private not in body, private


def test_shared_sections_appear_for_other_organisations(client, world):
    _fill(world, 1)
    db.session.add(OrganisationProfile(organisation=_org(world), contacts="Open Otto", share_contacts=True,
                                       share_projects=True, share_pulse=True))
    db.session.commit()
    client.login(world.other_partner)
    body = _body(client.get(f"/organisations/{_org(world).id}"))
    assert "Open Otto" in body and "Project of 2023 #0" in body and "Values pulse over the years" in body
    assert "Introductions to other organisations" not in body  # introductions stay with the two sides


@pytest.mark.parametrize("path", ["/organisations/{oid}", "/organisations/themes"])
@pytest.mark.parametrize("role", ["partner", "teacher", "other_partner"])
def test_query_counts_do_not_grow_with_projects(client, world, count_queries, path, role):
    db.session.add(OrganisationProfile(organisation=_org(world), share_projects=True, share_pulse=True))
    _org(world).themes = "food, care"
    db.session.commit()
    client.login(getattr(world, role))
    url = path.format(oid=_org(world).id)
    counts = []
    for n, start in ((1, 2015), (5, 2017)):
        _fill(world, n, start)
        third = f.create_organisation(themes="food")
        db.session.add(Introduction(organisation=_org(world), other=third, introduced_by=world.teacher))
        db.session.commit()
        client.get(url)  # warm caches
        with count_queries() as statements:
            response = client.get(url)
            assert response.status_code == 200
        counts.append(len(statements))
    assert f"Project of {2017 + 4} #4" in _body(response)
    assert counts[0] == counts[1], counts


# ---- the profile and what it shares ------------------------------------------------------------

def test_a_partner_edits_the_profile_but_not_the_name(client, world):
    client.login(world.partner)
    page = _body(client.get(f"/organisations/{_org(world).id}/edit"))
    assert 'name="name"' not in page and 'name="contacts"' in page
    response = client.post_form(f"/organisations/{_org(world).id}/edit", {
        "name": "Hijacked", "description": "Food for everyone", "website": "https://food.example.org",
        "themes": "Food, food , poverty,,", "contacts": "Pat Partner, coordinator\n\n  Kim, volunteer  ",
        "version": "0"})
    assert response.status_code == 303
    db.session.expire_all()
    org = _org(world)
    assert org.name != "Hijacked" and org.description == "Food for everyone" and org.themes == "Food, poverty"
    assert org.profile.contacts == "Pat Partner, coordinator\nKim, volunteer"
    entry = db.session.scalars(db.select(Activity).where(Activity.subject_type == "organisation")).one()
    assert entry.verb == "edited" and entry.before["description"] == ""


def test_bad_profile_input_is_kept_and_explained(client, world):
    client.login(world.partner)
    response = client.post_form(f"/organisations/{_org(world).id}/edit", {
        "description": "Kept words", "website": "not a web address", "themes": "x", "version": "0"})
    assert response.status_code == 422
    body = _body(response)
    assert "Kept words" in body and "Enter a full web address" in body


def test_a_teacher_renames_the_organisation(client, world):
    client.login(world.teacher)
    response = client.post_form(f"/organisations/{_org(world).id}/edit",
                                {"name": "New Name", "themes": "a", "version": "0"})
    assert response.status_code == 303
    db.session.expire_all()
    assert _org(world).name == "New Name"


def test_sharing_defaults_then_changes_in_place_with_an_activity_entry(client, world):
    client.login(world.partner)
    page = _body(client.get(f"/organisations/{_org(world).id}"))
    assert re.search(r'checked[^>]*id="share_description"', page)  # shared by default
    assert not re.search(r'checked[^>]*id="share_contacts"', page)  # private by default
    response = client.post_form(f"/organisations/{_org(world).id}/sharing",
                                {"share_themes": "y", "share_pulse": "y"}, htmx=True)
    assert response.status_code == 200
    assert 'id="org-sharing"' in _body(response) and "<html" not in _body(response)
    assert "announce" in response.headers["HX-Trigger"]
    db.session.expire_all()
    assert _org(world).profile.shared() == {"themes", "pulse"}
    entry = db.session.scalars(db.select(Activity).where(Activity.verb == "sharing_changed")).one()
    assert entry.before == {"shared": ["description", "themes", "website"]}
    # Without JavaScript: a redirect and a flash; saving the same choice again records nothing new.
    response = client.post_form(f"/organisations/{_org(world).id}/sharing", {"share_themes": "y", "share_pulse": "y"})
    assert response.status_code == 303
    assert db.session.scalar(db.select(db.func.count(Activity.id)).where(Activity.verb == "sharing_changed")) == 1


def test_sharing_with_an_expired_form_changes_nothing(client, world):
    client.login(world.partner)
    response = client.post(f"/organisations/{_org(world).id}/sharing", data={"share_pulse": "y"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 400
    response = client.post(f"/organisations/{_org(world).id}/sharing", data={"share_pulse": "y"})
    assert response.status_code == 400 and "Your form expired" in _body(response)
    assert db.session.scalar(db.select(db.func.count()).select_from(OrganisationProfile)) == 0


# ---- introductions -------------------------------------------------------------------------------

def _themed(world):
    _org(world).themes = "Food, housing"
    _other_org(world).themes = "food, care"
    db.session.commit()


def test_a_teacher_introduces_two_organisations_and_both_sides_are_told(client, world):
    _themed(world)
    client.login(world.teacher)
    page = _body(client.get(f"/organisations/{_org(world).id}/introduce"))
    assert _other_org(world).name in page and "shared: food" in page
    response = client.post_form(f"/organisations/{_org(world).id}/introduce",
                                {"other_id": _other_org(world).id, "note": "Both feed families"})
    assert response.status_code == 303
    intro = db.session.scalars(db.select(Introduction)).one()
    assert intro.state == "pending" and intro.note == "Both feed families"
    told = set(db.session.scalars(db.select(Notification.user_id).where(Notification.kind == "introduction")))
    assert told == {world.partner.id, world.other_partner.id}
    assert db.session.scalar(db.select(Activity.verb).where(Activity.subject_type == "introduction")) == "introduced"
    # Pending: both sides and teachers see it; nobody else.
    for person, sees in ((world.partner, True), (world.other_partner, True), (world.other_teacher, True),
                         (world.student, False)):
        client.login(person)
        for org in (_org(world), _other_org(world)):
            assert ("Both feed families" in _body(client.get(f"/organisations/{org.id}"))) == (
                sees and (person is not world.partner or org is _org(world))
                and (person is not world.other_partner or org is _other_org(world))), (person.name, org.name)


def test_introductions_need_a_shared_theme_and_are_not_made_twice(client, world):
    _themed(world)
    lonely = f.create_organisation("Lonely", themes="astronomy")
    db.session.commit()
    client.login(world.teacher)
    response = client.post_form(f"/organisations/{_org(world).id}/introduce", {"other_id": lonely.id})
    assert response.status_code == 422  # not among the choices
    url = f"/organisations/{_org(world).id}/introduce"
    assert client.post_form(url, {"other_id": _other_org(world).id}).status_code == 303
    assert f">{_org(world).name} (shared" not in _body(client.get(f"/organisations/{_other_org(world).id}/introduce"))
    response = client.post_form(f"/organisations/{_other_org(world).id}/introduce", {"other_id": _org(world).id})
    assert response.status_code == 422  # no longer among the choices
    with pytest.raises(Refused, match="introduced already"):  # and the rule itself refuses, should a race pass
        introduce(world.teacher, _other_org(world), _org(world), "")
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Introduction.id))) == 1


def _introduced(world):
    _themed(world)
    intro = Introduction(organisation=_org(world), other=_other_org(world), introduced_by=world.teacher,
                         note="Meet each other")
    db.session.add(intro)
    db.session.commit()
    return intro


def test_both_sides_accept_in_place_and_it_shows_on_both_pages(client, world):
    intro = _introduced(world)
    client.login(world.partner)
    url = f"/organisations/{_org(world).id}/introductions/{intro.id}/answer"
    response = client.post_form(url, {"answer": "accept"}, htmx=True)
    assert response.status_code == 200 and 'id="org-introductions"' in _body(response)
    assert "<html" not in _body(response)
    assert "announce" in response.headers["HX-Trigger"]
    # The other side and the teacher hear of it.
    told = set(db.session.scalars(db.select(Notification.user_id).where(Notification.kind == "introduction")))
    assert told == {world.other_partner.id, world.teacher.id}
    # Answering twice is refused.
    response = client.post_form(url, {"answer": "decline"}, htmx=True)
    assert response.status_code == 409
    client.login(world.other_partner)
    response = client.post_form(f"/organisations/{_other_org(world).id}/introductions/{intro.id}/answer",
                                {"answer": "accept"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Introduction, intro.id).state == "accepted"
    for person, org in ((world.partner, _org(world)), (world.other_partner, _other_org(world))):
        client.login(person)
        body = _body(client.get(f"/organisations/{org.id}"))
        assert "accepted by both" in body and "Accept the introduction" not in body


def test_a_declined_introduction_leaves_the_sides_pages(client, world):
    intro = _introduced(world)
    client.login(world.other_partner)
    response = client.post_form(f"/organisations/{_other_org(world).id}/introductions/{intro.id}/answer",
                                {"answer": "decline"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Introduction, intro.id).state == "declined"
    client.login(world.partner)
    assert "Meet each other" not in _body(client.get(f"/organisations/{_org(world).id}"))
    client.login(world.teacher)
    assert "Meet each other" in _body(client.get(f"/organisations/{_org(world).id}"))
    assert db.session.scalar(db.select(Activity.verb).where(Activity.verb == "declined")) == "declined"


def test_a_partner_cannot_answer_for_the_other_side(client, world):
    intro = _introduced(world)
    client.login(world.partner)  # speaks for A, not for B
    response = client.post_form(f"/organisations/{_other_org(world).id}/introductions/{intro.id}/answer",
                                {"answer": "accept"})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Introduction, intro.id).other_answer == "pending"


@pytest.mark.parametrize("role", ["partner", "other_partner", "teacher", "admin"])
def test_an_introduction_is_found_only_by_its_own_organisations(client, world, role):
    """Introduction A–C through B's URL: 404 for everyone, whoever they speak for."""
    intro = _introduced(world)
    third = f.create_organisation("Third", themes="food")
    intro.other = third
    db.session.commit()
    client.login(getattr(world, role))
    response = client.post_form(f"/organisations/{_other_org(world).id}/introductions/{intro.id}/answer",
                                {"answer": "accept"})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Introduction, intro.id).state == "pending"


def test_a_bad_answer_is_refused(client, world):
    intro = _introduced(world)
    client.login(world.partner)
    response = client.post_form(f"/organisations/{_org(world).id}/introductions/{intro.id}/answer",
                                {"answer": "maybe"}, htmx=True)
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Introduction, intro.id).answer == "pending"


# ---- themes ----------------------------------------------------------------------------------------

def test_themes_page_groups_organisations_and_projects_per_theme(client, world):
    _themed(world)
    db.session.add(OrganisationProfile(organisation=_org(world), share_projects=True))
    hidden = f.create_organisation("Quiet Org", themes="food")
    db.session.add(OrganisationProfile(organisation=hidden, share_themes=False))
    db.session.commit()
    client.login(world.other_student)
    body = _body(client.get("/organisations/themes"))
    assert body.count('-heading">Food</h2>') == 1 and '-heading">food</h2>' not in body  # one theme, any case
    assert _org(world).name in body and "Food bank routes" in body  # A shares its projects
    assert "Other project" not in body  # B does not
    assert "Quiet Org" not in body
    client.login(world.teacher)
    body = _body(client.get("/organisations/themes"))
    assert "Quiet Org" in body and "Other project" in body


def test_parse_themes_keeps_the_first_spelling():
    assert parse_themes(" Food,  food security ,FOOD,, care ") == ["Food", "food security", "care"]


# ---- demo ---------------------------------------------------------------------------------------------

def test_the_demo_shows_three_years_and_both_kinds_of_introduction(app):
    from .snapshots import demo_world

    demo = demo_world(app)
    brug = demo["organisations"][0]
    years = set(db.session.scalars(db.select(Project.start_date).where(Project.organisation_id == brug.id)))
    assert len({d.year for d in years}) >= 3
    projects = db.select(Project.id).where(Project.organisation_id == brug.id)
    assert db.session.scalar(db.select(db.func.count(Goal.id)).where(Goal.project_id.in_(projects),
                                                                    Goal.state == "achieved"))
    assert db.session.scalar(db.select(db.func.count(Deliverable.id)).where(Deliverable.project_id.in_(projects),
                                                                           Deliverable.state == "handed_over"))
    assert db.session.scalar(db.select(db.func.count(PulseRating.id)).where(PulseRating.project_id.in_(projects)))
    states = {i.state for i in db.session.scalars(db.select(Introduction))}
    assert {"accepted", "pending"} <= states


def test_the_demo_organisation_page_for_its_partner(client, app):
    from workspace.seed import DEMO_PASSWORD

    from .snapshots import demo_world

    demo = demo_world(app)
    brug = demo["organisations"][0]
    client.login(demo["people"]["partner1"], DEMO_PASSWORD)
    body = _body(client.get(f"/organisations/{brug.id}"))
    assert "Neighbours&#39; cookbook" in body and "Repair café for everyone" in body
    assert "Stichting Voedselbank Oost" in body and "accepted by both" in body
    client.login(demo["people"]["partner3"], DEMO_PASSWORD)
    body = _body(client.get(f"/organisations/{demo['organisations'][2].id}"))
    assert "Accept the introduction" in body


def test_a_stale_profile_edit_gets_409_with_the_current_profile_and_the_input_kept(client, world):
    client.login(world.partner)
    url = f"/organisations/{_org(world).id}/edit"
    assert 'name="version" type="hidden" value="0"' in _body(client.get(url))
    assert client.post_form(url, {"description": "First save", "version": "0"}).status_code == 303
    response = client.post_form(url, {"description": "My late words", "version": "0"})
    assert response.status_code == 409
    body = _body(response)
    assert "Someone else saved this profile" in body and "First save" in body and "My late words" in body
    version = re.search(r'name="version" type="hidden" value="(\d+)"', body).group(1)
    assert client.post_form(url, {"description": "My late words", "version": version}).status_code == 303
    db.session.expire_all()
    assert _org(world).description == "My late words"


def test_plain_form_answers_show_the_refusal_on_the_page(client, world):
    intro = _introduced(world)
    intro.answer = "declined"
    db.session.commit()
    client.login(world.other_partner)
    response = client.post_form(f"/organisations/{_other_org(world).id}/introductions/{intro.id}/answer",
                                {"answer": "accept"})
    assert response.status_code == 409
    assert "answered already" in _body(response) and "<html" in _body(response)


def test_introduction_notifications_open_on_the_notifications_page(client, world):
    _themed(world)
    client.login(world.teacher)
    client.post_form(f"/organisations/{_org(world).id}/introduce", {"other_id": _other_org(world).id})
    client.login(world.other_partner)
    body = _body(client.get("/notifications"))
    assert "please accept or decline the introduction" in body


def test_a_waiting_introduction_is_on_the_partners_home_and_badge_until_answered(client, world):
    intro = _introduced(world)
    client.login(world.partner)
    body = _body(client.get("/home"))
    assert "Introductions to answer" in body and f"#introduction-{intro.id}" in body
    response = client.post_form(f"/organisations/{_org(world).id}/introductions/{intro.id}/answer",
                                {"answer": "accept"}, htmx=True)
    assert 'id="waiting-badge"' in _body(response) and 'hx-swap-oob="true"' in _body(response)
    assert "Introductions to answer" not in _body(client.get("/home"))
    client.login(world.other_partner)  # still waits for the other side
    assert "Introductions to answer" in _body(client.get("/home"))
    client.login(world.teacher)
    assert "Introductions to answer" not in _body(client.get("/home"))


@pytest.mark.parametrize("address", ["javascript://example.org/%0Aalert(1)", "ftp://files.example.org"])
def test_only_web_addresses_become_links(client, world, address):
    client.login(world.partner)
    response = client.post_form(f"/organisations/{_org(world).id}/edit", {"website": address, "version": "0"})
    assert response.status_code == 422
    db.session.expire_all()
    assert _org(world).website == ""
