"""Partner questions over HTTP: the public form (bad input kept, honeypot, rate limit), confirming
by the e-mailed link, the contact's secret page (status, answer, withdraw; a wrong token is 404),
the coordinators' queue (filters, counts, order, fixed query count) and each step with its e-mail,
matching that creates the project and the partner's invitation, and who may not see any of it."""
import json
import re
from datetime import date, timedelta

import pytest

from workspace.extensions import db
from workspace.models import Activity, Invitation, Organisation, OrganisationMember, Project
from workspace.models.question import PartnerQuestion, QuestionEvent

from .cases.questions import TOKEN, make_question
from .factories import create_organisation, create_user

LINK = re.compile(r"http://localhost(/questions/t/[A-Za-z0-9_-]+)")
PROBLEM = "Our neighbourhood garden is empty on weekdays & nobody knows why."


def form(**overrides):
    data = {"organisation_name": "Tuin van Oost", "contact_name": "Gerda Groen", "contact_email": "gerda@example.org",
            "problem": PROBLEM, "affected": "Residents of the flats", "hopes": "A garden people use",
            "availability": "Tuesday mornings", "languages": "Dutch", "themes": "green, Community , green",
            "consent": "y", "homepage": ""}
    data.update(overrides)
    return data


def submit(client, **overrides):
    return client.post_form("/questions/new", form(**overrides), token_from="/questions/new")


def fresh(question):
    db.session.expire_all()
    return db.session.get(PartnerQuestion, question.id)


def link_in(mail) -> str:
    match = LINK.search(mail["body"])
    assert match, mail["body"]
    return match.group(1)


def only_question():
    return db.session.scalar(db.select(PartnerQuestion))


# ---- the public form ---------------------------------------------------------------------------

def test_the_login_page_leads_organisations_to_the_form(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/questions/new"' in page
    assert "Bring a societal question" in client.get("/questions/new").get_data(as_text=True)


def test_bad_input_shows_messages_next_to_the_fields_and_keeps_the_text(client, sent_mail):
    response = submit(client, contact_email="not an address", consent="", languages="")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="contact_email-error"' in page and "Enter a valid e-mail address." in page
    assert "We can only handle your question if we may contact you." in page
    assert 'id="languages-error"' in page
    assert "Our neighbourhood garden is empty on weekdays &amp; nobody knows why." in page  # kept, escaped
    assert 'value="not an address"' in page and 'value="Gerda Groen"' in page
    assert only_question() is None and sent_mail == []


def test_a_question_is_stored_unconfirmed_and_the_contact_gets_the_link(client, world, sent_mail):
    response = submit(client)
    assert response.status_code == 303 and response.headers["Location"].endswith("/questions/sent")
    assert "Check your e-mail" in client.get("/questions/sent").get_data(as_text=True)
    question = only_question()
    assert (question.status, question.contact_email, question.problem) == ("unconfirmed", "gerda@example.org", PROBLEM)
    assert question.themes == "green, Community"
    [mail] = sent_mail
    assert mail["to"] == "gerda@example.org" and "Confirm your question" in mail["subject"]
    token = link_in(mail).rsplit("/", 1)[1]
    assert token not in question.token_hash and len(question.token_hash) == 64  # only the hash is stored
    # Not confirmed: no coordinator sees it.
    client.login(world.teacher)
    assert "Tuin van Oost" not in client.get("/questions?status=").get_data(as_text=True)
    assert client.get(f"/questions/{question.id}").status_code == 404


def test_a_filled_honeypot_drops_the_question_silently(client, sent_mail):
    response = submit(client, homepage="http://spam.example")
    assert response.status_code == 303 and response.headers["Location"].endswith("/questions/sent")
    assert only_question() is None and sent_mail == []


def test_submissions_are_limited_per_address_and_the_text_survives(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "QUESTIONS_PER_IP", 2)
    assert submit(client).status_code == 303
    assert submit(client, organisation_name="Second").status_code == 303
    response = submit(client, organisation_name="Third")
    page = response.get_data(as_text=True)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert "Too many questions from your network" in page and 'value="Third"' in page and "nobody knows why" in page
    assert db.session.scalar(db.select(db.func.count()).select_from(PartnerQuestion)) == 2


# ---- the contact's link ------------------------------------------------------------------------

def test_the_link_confirms_the_question_and_then_follows_it(client, world, sent_mail):
    submit(client)
    path = link_in(sent_mail[0])
    page = client.get(path)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    assert "Yes, confirm my question" in page.get_data(as_text=True)
    response = client.post_form(f"{path}/confirm", {}, token_from=path)
    assert response.status_code == 303 and response.headers["Location"].endswith(path)
    question = fresh(only_question())
    assert question.status == "new" and question.confirmed_at is not None
    shown = client.get(path).get_data(as_text=True)
    assert "waiting for a coordinator" in shown and "E-mail address confirmed" in shown
    assert db.session.scalar(db.select(Activity).where(Activity.verb == "confirmed")) is not None
    client.login(world.teacher)
    assert "Tuin van Oost" in client.get("/questions").get_data(as_text=True)


def test_a_wrong_token_is_not_found(client):
    make_question("unconfirmed")
    wrong = "/questions/t/" + TOKEN[:-1] + "x"
    assert client.get(wrong).status_code == 404
    assert client.get(wrong).headers["Referrer-Policy"] == "no-referrer"
    assert client.post_form(f"{wrong}/confirm", {}, token_from="/questions/new").status_code == 404
    assert client.post_form(f"{wrong}/withdraw", {}, token_from="/questions/new").status_code == 404
    assert fresh(only_question()).status == "unconfirmed"


def test_a_members_address_links_the_question_to_its_organisation(client, world):
    organisation = create_organisation("Tuin van Oost")
    member = create_user("Gerda Groen", email="gerda@example.org")
    db.session.add(OrganisationMember(organisation_id=organisation.id, user_id=member.id))
    db.session.commit()
    submit(client, organisation_name="tuin van oost")
    question = only_question()
    assert question.claimed_organisation_id == organisation.id and question.organisation_id is None
    client.post_form(f"/questions/t/{_token_for(question)}/confirm", {}, token_from="/questions/new")
    assert fresh(question).organisation_id == organisation.id


def test_an_outsiders_address_only_claims_the_organisation(client, world):
    organisation = create_organisation("Tuin van Oost")
    db.session.commit()
    submit(client, contact_email="someone@else.example")
    question = only_question()
    client.post_form(f"/questions/t/{_token_for(question)}/confirm", {}, token_from="/questions/new")
    question = fresh(question)
    assert question.status == "new" and question.organisation_id is None
    assert question.claimed_organisation_id == organisation.id
    client.login(world.teacher)
    assert "the confirming address is not one of its members" in client.get(
        f"/questions/{question.id}").get_data(as_text=True)


def _token_for(question):
    """Give the question a known token (the e-mailed one is only in the mail)."""
    from workspace.security import hash_token

    question.token_hash = hash_token(TOKEN)
    db.session.commit()
    return TOKEN


def test_the_contact_withdraws_after_confirming(client, world):
    question = make_question("new")
    page = client.get(f"/questions/t/{TOKEN}/withdraw")
    assert "Withdraw your question?" in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    response = client.post_form(f"/questions/t/{TOKEN}/withdraw", {}, token_from="/questions/new")
    assert response.status_code == 303
    assert fresh(question).status == "withdrawn"
    assert "Withdraw my question" not in client.get(f"/questions/t/{TOKEN}").get_data(as_text=True)
    client.login(world.teacher)
    refused = client.post_form(f"/questions/{question.id}/ask", {"message": "Still there?"})
    assert refused.status_code == 409 and "This question is closed" in refused.get_data(as_text=True)


# ---- the coordinators' steps -------------------------------------------------------------------

def test_asking_for_information_mails_the_contact_who_answers_through_the_link(client, world, sent_mail):
    question = make_question("new")
    client.login(world.teacher)
    response = client.post_form(f"/questions/{question.id}/ask", {"message": "How many people are involved?"})
    assert response.status_code == 303
    assert fresh(question).status == "info_requested"
    [mail] = sent_mail
    assert mail["to"] == "noor@example.org" and "How many people are involved?" in mail["body"]
    path = link_in(mail)
    assert client.get(f"/questions/t/{TOKEN}").status_code == 404  # the newest e-mail's link replaces the old
    client.logout()
    page = client.get(path).get_data(as_text=True)
    assert "Our coordinator asks" in page and "How many people are involved?" in page
    bad = client.post_form(f"{path}/answer", {"message": "  "}, token_from=path)
    assert bad.status_code == 422 and 'id="message-error"' in bad.get_data(as_text=True)
    assert client.post_form(f"{path}/answer", {"message": "About forty."}, token_from=path).status_code == 303
    question = fresh(question)
    assert question.status == "new"
    assert [e.kind for e in question.events] == ["info_requested", "answered"]
    assert question.events[1].actor_id is None and question.events[1].message == "About forty."
    client.login(world.teacher)
    shown = client.get(f"/questions/{question.id}").get_data(as_text=True)
    assert "About forty." in shown and "Tina Teacher" in shown


def test_an_action_in_place_answers_with_the_panel_and_an_announcement(client, world):
    question = make_question("new")
    client.login(world.teacher)
    bad = client.post_form(f"/questions/{question.id}/park", {"term": ""}, htmx=True)
    assert bad.status_code == 422 and "<html" not in bad.get_data(as_text=True)
    assert 'id="term-error"' in bad.get_data(as_text=True)
    response = client.post_form(f"/questions/{question.id}/park", {"term": "2027 spring", "message": ""}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and 'id="question-panel"' in html
    assert json.loads(response.headers["HX-Trigger"]) == {"announce": "The question is parked."}
    assert "parked for a later term" in html and "2027 spring" in html


def test_parking_tells_the_contact_the_term(client, world, sent_mail):
    question = make_question("new")
    client.login(world.teacher)
    client.post_form(f"/questions/{question.id}/park", {"term": "2027–2028, semester 1", "message": "See you then!"})
    question = fresh(question)
    assert (question.status, question.term) == ("parked", "2027–2028, semester 1")
    [mail] = sent_mail
    assert "2027–2028, semester 1" in mail["body"] and "See you then!" in mail["body"]
    client.logout()
    page = client.get(link_in(mail)).get_data(as_text=True)
    assert "We plan to take up your question in 2027–2028, semester 1." in page


def test_declining_shows_the_reason_at_the_contacts_link(client, world, sent_mail):
    question = make_question("info_requested")
    client.login(world.admin)
    bad = client.post_form(f"/questions/{question.id}/decline", {"message": ""})
    assert bad.status_code == 422 and fresh(question).status == "info_requested"
    client.post_form(f"/questions/{question.id}/decline", {"message": "Too commercial for our courses."})
    question = fresh(question)
    assert (question.status, question.decline_reason) == ("declined", "Too commercial for our courses.")
    [mail] = sent_mail
    assert "Too commercial for our courses." in mail["body"]
    client.logout()
    page = client.get(link_in(mail)).get_data(as_text=True)
    assert "Why we cannot take up your question" in page and "Too commercial for our courses." in page
    assert "Withdraw my question" not in page


def match_data(course, organisation_id=0, **overrides):
    data = {"course_id": course.id, "organisation_id": organisation_id, "title": "Visiting network",
            "start_date": date.today().isoformat(), "end_date": (date.today() + timedelta(days=90)).isoformat()}
    data.update(overrides)
    return data


def test_matching_creates_the_project_and_invites_the_contact(client, world, sent_mail):
    question = make_question("new")
    client.login(world.teacher)
    response = client.post_form(f"/questions/{question.id}/match", match_data(world.course))
    assert response.status_code == 303
    question = fresh(question)
    project = db.session.get(Project, question.project_id)
    assert question.status == "matched" and question.course_id == world.course.id
    assert (project.course_id, project.title, project.problem_statement) == (
        world.course.id, "Visiting network", "Lonely elderly people in the north of the city.")
    organisation = project.organisation
    assert organisation.name == "Wijkteam Noord" and organisation.themes == "elderly, loneliness"
    invitation = db.session.scalar(db.select(Invitation).where(Invitation.project_id == project.id))
    assert (invitation.email, invitation.role) == ("noor@example.org", "partner")
    assert sorted(m["to"] for m in sent_mail) == ["noor@example.org", "noor@example.org"]
    invitation_mail, status_mail = sent_mail
    assert invitation_mail["subject"] == "You are invited to Visiting network"
    assert "/invitations/" in invitation_mail["body"]
    assert status_mail["subject"] == "Your question is taken up" and "Community Lab" in status_mail["body"]
    assert db.session.scalar(db.select(Activity).where(Activity.verb == "matched")).course_id == world.course.id
    # The themes reach the organisation and the themes page.
    themes = client.get("/organisations/themes").get_data(as_text=True)
    assert "loneliness" in themes and "Wijkteam Noord" in themes
    contact_page = client.get(link_in(sent_mail[-1])).get_data(as_text=True)
    assert "Community Lab" in contact_page


def test_matching_to_an_existing_organisation_adds_the_questions_themes(client, world):
    organisation = create_organisation("Wijk Noord", themes="housing, Elderly")
    question = make_question("parked")
    client.login(world.teacher)
    response = client.post_form(f"/questions/{question.id}/match", match_data(world.course, organisation.id))
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Organisation, organisation.id).themes == "housing, Elderly, loneliness"
    assert fresh(question).organisation_id == organisation.id


def test_a_new_organisation_whose_name_exists_is_refused_with_the_input_kept(client, world):
    create_organisation("Wijkteam Noord")
    question = make_question("new")
    client.login(world.teacher)
    response = client.post_form(f"/questions/{question.id}/match", match_data(world.course, title="Kept title"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "choose it from the list" in page and 'value="Kept title"' in page
    assert fresh(question).status == "new" and db.session.scalar(db.select(Project).where(
        Project.title == "Kept title")) is None


def test_a_teacher_matches_only_to_a_course_they_teach(client, world):
    question = make_question("new")
    client.login(world.other_teacher)
    response = client.post_form(f"/questions/{question.id}/match", match_data(world.course))
    assert response.status_code == 422 and fresh(question).status == "new"


@pytest.mark.parametrize("role", ["student", "partner", "loner", "other_student"])
def test_people_who_coordinate_nothing_cannot_see_the_queue_or_act(client, world, role):
    question = make_question("new")
    client.login(getattr(world, role))
    assert client.get("/questions").status_code == 403
    assert client.get(f"/questions/{question.id}").status_code == 404
    assert client.post_form(f"/questions/{question.id}/decline", {"message": "No"}).status_code == 404
    assert client.post_form(f"/questions/{question.id}/match", match_data(world.course)).status_code == 404
    assert "Partner questions" not in client.get("/home").get_data(as_text=True)
    assert fresh(question).status == "new"


def test_anonymous_visitors_are_sent_to_log_in(client):
    question = make_question("new")
    assert "/login" in client.get("/questions").headers["Location"]
    assert "/login" in client.post_form(f"/questions/{question.id}/ask", {"message": "x"},
                                        token_from="/login").headers["Location"]


# ---- the queue ---------------------------------------------------------------------------------

def test_the_queue_filters_counts_and_shows_the_longest_waiting_first(client, world):
    from workspace.models.base import utcnow

    now = utcnow()
    make_question("new", token="a", organisation_name="Late Org", waiting_since=now - timedelta(days=1))
    make_question("new", token="b", organisation_name="Early Org", themes="housing",
                  waiting_since=now - timedelta(days=9))
    make_question("parked", token="c", organisation_name="Parked Org", term="2028 spring")
    make_question("unconfirmed", token="d", organisation_name="Hidden Org")
    client.login(world.teacher)
    page = client.get("/questions").get_data(as_text=True)
    assert page.index("Early Org") < page.index("Late Org") and "Parked Org" not in page and "Hidden Org" not in page
    assert "waiting for a coordinator <span class=\"count\">(2)</span>" in page
    assert "Early Org" not in client.get("/questions?status=new&theme=elderly").get_data(as_text=True)
    assert "Early Org" in client.get("/questions?status=new&theme=HOUS").get_data(as_text=True)
    by_term = client.get("/questions?status=&term=2028+spring").get_data(as_text=True)
    assert "Parked Org" in by_term and "Early Org" not in by_term
    everything = client.get("/questions?status=").get_data(as_text=True)
    assert all(name in everything for name in ("Early Org", "Late Org", "Parked Org"))
    assert "Hidden Org" not in everything
    home = client.get("/home").get_data(as_text=True)
    assert "2 questions wait for a coordinator." in home and 'href="/questions"' in home


def test_the_queue_is_paginated_and_keeps_its_filters(client, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    for n in range(3):
        make_question("new", token=f"t{n}", themes="housing")
    client.login(world.teacher)
    page = client.get("/questions?status=new&theme=housing").get_data(as_text=True)
    assert "Page 1 of 2" in page
    assert re.search(r'href="/questions\?[^"]*page=2[^"]*"', page)
    assert "theme=housing" in re.search(r'href="(/questions\?[^"]*page=2[^"]*)"', page).group(1)


def test_the_queue_makes_the_same_number_of_queries_at_two_sizes(client, world, count_queries):
    client.login(world.teacher)

    def measure(n):
        for i in range(n):
            make_question(["new", "parked", "info_requested"][i % 3], token=f"q{n}-{i}", term=f"term {i % 4}")
        client.get("/questions?status=")
        with count_queries() as statements:
            assert client.get("/questions?status=").status_code == 200
        return len(statements)

    assert measure(3) == measure(30)


def test_every_step_is_on_the_timeline_of_the_question(client, world):
    question = make_question("new")
    client.login(world.teacher)
    client.post_form(f"/questions/{question.id}/ask", {"message": "When can we visit?"})
    client.post_form(f"/questions/{question.id}/park", {"term": "next year", "message": ""})
    client.post_form(f"/questions/{question.id}/decline", {"message": "Our plans changed."})
    events = db.session.scalars(db.select(QuestionEvent).where(QuestionEvent.question_id == question.id)
                                .order_by(QuestionEvent.id)).all()
    assert [(e.kind, e.actor_id) for e in events] == [
        ("info_requested", world.teacher.id), ("parked", world.teacher.id), ("declined", world.teacher.id)]
    assert events[1].detail == "next year"


def test_a_closed_question_cannot_be_withdrawn_or_answered(client):
    question = make_question("declined", decline_reason="Not for us.")
    response = client.post_form(f"/questions/t/{TOKEN}/withdraw", {}, token_from="/questions/new")
    assert response.status_code == 409
    assert "This question can no longer be withdrawn." in response.get_data(as_text=True)
    answer = client.post_form(f"/questions/t/{TOKEN}/answer", {"message": "Hello?"}, token_from="/questions/new")
    assert answer.status_code == 409 and "No question of ours waits for your answer." in answer.get_data(as_text=True)
    question = fresh(question)
    assert question.status == "declined" and question.events == []


def test_confirming_twice_changes_nothing_more(client):
    question = make_question("unconfirmed")
    for _ in range(2):
        assert client.post_form(f"/questions/t/{TOKEN}/confirm", {}, token_from="/questions/new").status_code == 303
    assert [e.kind for e in fresh(question).events] == ["confirmed"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Activity).where(Activity.verb == "confirmed")) == 1


def test_the_contacts_page_speaks_dutch_to_a_dutch_browser(client):
    make_question("info_requested")
    page = client.get(f"/questions/t/{TOKEN}", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert "Je vraag" in page and "meer informatie gevraagd" in page and "Verstuur mijn antwoord" in page


def test_an_unverified_claim_is_never_the_preselected_organisation(client, world):
    """Matching to a claimed organisation makes the contact its member: a coordinator must choose it on purpose."""
    organisation = create_organisation("Wijkteam Noord")
    question = make_question("new", claimed_organisation_id=organisation.id)
    client.login(world.teacher)
    page = client.get(f"/questions/{question.id}").get_data(as_text=True)
    selected = re.search(r'<select[^>]*name="organisation_id".*?</select>', page, re.S).group(0)
    chosen = re.search(r'<option[^>]*selected[^>]*value="(\d+)"|<option[^>]*value="(\d+)"[^>]*selected', selected)
    assert chosen and "0" in chosen.groups(), selected
