"""English and Dutch: the person's choice, else the browser's Accept-Language; dates in that locale."""
import re

from babel.dates import format_date

from workspace.extensions import db
from workspace.models import Project, User

from .factories import create_user


def _lang(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


def test_an_anonymous_visitor_gets_the_browsers_language(client):
    dutch = client.get("/login", headers={"Accept-Language": "nl-NL,nl;q=0.9,en;q=0.8"}).get_data(as_text=True)
    assert _lang(dutch) == "nl"
    assert "Inloggen" in dutch and "Wachtwoord" in dutch and "Direct naar de hoofdinhoud" in dutch
    english = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert _lang(english) == "en" and "Log in" in english
    other = client.get("/login", headers={"Accept-Language": "fr-FR"}).get_data(as_text=True)
    assert _lang(other) == "en", "a language the workspace does not speak falls back to English"


def test_a_person_who_did_not_choose_follows_the_browser_and_a_choice_wins(client):
    user = create_user(locale="")
    client.login(user)
    assert _lang(client.get("/home", headers={"Accept-Language": "nl"}).get_data(as_text=True)) == "nl"
    user.locale = "en"
    db.session.commit()
    assert _lang(client.get("/home", headers={"Accept-Language": "nl"}).get_data(as_text=True)) == "en"


def test_choosing_dutch_on_the_profile_switches_at_once(client):
    user = create_user(locale="en")
    client.login(user)
    response = client.post_form("/profile", {"name": user.name, "timezone": user.timezone, "locale": "nl"},
                                follow_redirects=True)
    html = response.get_data(as_text=True)
    assert _lang(html) == "nl" and "Je profiel is opgeslagen." in html
    assert db.session.get(User, user.id).locale == "nl"
    back = client.post_form("/profile", {"name": user.name, "timezone": user.timezone, "locale": ""},
                            follow_redirects=True, headers={"Accept-Language": "en"})
    assert _lang(back.get_data(as_text=True)) == "en"


def test_the_dutch_demo_account_sees_the_board_in_dutch(client, app):
    from workspace.seed import DEMO_PASSWORD

    from .snapshots import demo_world

    demo_world(app)
    pieter = db.session.scalar(db.select(User).filter_by(email="partner2@example.org"))
    assert pieter.locale == "nl"
    project = db.session.scalar(db.select(Project).filter_by(title="Fair food distribution"))
    client.login(pieter, password=DEMO_PASSWORD)
    board = client.get(f"/projects/{project.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert _lang(board) == "nl"
    assert "Doelen" in board and "Afspraken" in board and "Opleveringen" in board
    assert format_date(project.start_date, "medium", locale="nl") in board  # e.g. "25 sep. 2026"
    assert format_date(project.start_date, "medium", locale="en") not in board
    timeline = client.get(f"/projects/{project.id}/timeline").get_data(as_text=True)
    assert "heeft versie 2 van de afspraken geaccepteerd" in timeline  # recorded in English by seed-demo
    assert "accepted version" not in timeline
    # Someone else on the same project, who never chose, reads it in English.
    sam = db.session.scalar(db.select(User).filter_by(email="student3@example.org"))
    client.login(sam, password=DEMO_PASSWORD)
    board = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert _lang(board) == "en" and "Goals" in board


def test_numbers_follow_the_locale(client, world):
    """A values-pulse average of 3.5 reads "3,5" in Dutch; the dashboard's numbers likewise."""
    from .factories import create_checkup, create_rating

    checkup = create_checkup(world.project, state="confirmed", days_ago=3)
    for score in (3, 4):
        create_rating(checkup, world.student if score == 3 else world.partner,
                      "student" if score == 3 else "partner", score=score)
    create_rating(checkup, create_user(), "student", score=4)  # the students' average: 3.5
    world.teacher.locale = "nl"
    db.session.commit()
    client.login(world.teacher)
    page = client.get(f"/projects/{world.project.id}/checkups/{checkup.id}").get_data(as_text=True)
    assert "3,5" in page and "3.5" not in page
    world.teacher.locale = "en"
    db.session.commit()
    page = client.get(f"/projects/{world.project.id}/checkups/{checkup.id}").get_data(as_text=True)
    assert "3.5" in page


def test_a_value_prompt_reads_in_the_readers_language(client, world):
    """The workspace's own reflection prompts are kept in English and shown translated."""
    world.student.locale = "nl"
    db.session.commit()
    client.login(world.student)
    response = client.post_form(f"/projects/{world.project.id}/reflections/new",
                                {"prompt": "value:relevance", "body": "We leerden veel.", "visibility": "private"},
                                follow_redirects=True)
    assert response.status_code == 200
    from workspace.models import Reflection

    reflection = db.session.scalar(db.select(Reflection))
    assert reflection.prompt_text.startswith("Relevance: does your work")
    page = client.get(f"/projects/{world.project.id}/reflections/{reflection.id}").get_data(as_text=True)
    assert "Relevantie: beantwoordt je werk" in page
    client.login(world.teacher)
    page = client.get(f"/projects/{world.project.id}/reflections/{reflection.id}").get_data(as_text=True)
    assert "Relevance: does your work" in page


def test_stored_default_labels_read_in_dutch_and_other_text_stays_escaped(client, world):
    """A default handover item stored in English reads in Dutch; a person's own item as written, escaped."""
    from workspace.models import HandoverItem

    from .factories import create_deliverable

    deliverable = create_deliverable(world.project, items=0)
    deliverable.handover_items.append(HandoverItem(label="Source files handed over", position=0))
    deliverable.handover_items.append(HandoverItem(label="<b>Flyers</b> %(name)s printed", position=1))
    world.partner.locale = "nl"
    db.session.commit()
    client.login(world.partner)
    page = client.get(f"/projects/{world.project.id}/deliverables/{deliverable.id}").get_data(as_text=True)
    assert "Bronbestanden overgedragen" in page and "Source files handed over" not in page
    assert "&lt;b&gt;Flyers&lt;/b&gt; %(name)s printed" in page and "<b>Flyers</b>" not in page


def test_the_timeline_and_notifications_read_in_each_readers_language(client, world, sent_mail):
    """A Dutch student's action reads in English for the English partner (page and e-mail), and in Dutch
    for the student; what people wrote stays as written, escaped."""
    world.student.locale, world.partner.locale = "nl", "en"
    db.session.commit()
    client.login(world.student)
    response = client.post_form(f"/projects/{world.project.id}/goals/new", {
        "title": "<i>Shorter</i> queues", "description": "Time slots", "partner_need": "Long waits",
        "success_criteria": "Median wait under 30 min", "target_date": world.project.start_date.isoformat(),
    })
    assert response.status_code == 303
    timeline = client.get(f"/projects/{world.project.id}/timeline").get_data(as_text=True)
    assert f"{world.student.name} heeft het doel “&lt;i&gt;Shorter&lt;/i&gt; queues” voorgesteld" in timeline

    client.login(world.partner)
    timeline = client.get(f"/projects/{world.project.id}/timeline").get_data(as_text=True)
    assert f"{world.student.name} proposed the goal “&lt;i&gt;Shorter&lt;/i&gt; queues”" in timeline
    notes = client.get("/notifications").get_data(as_text=True)
    assert f"{world.student.name} proposed the goal “&lt;i&gt;Shorter&lt;/i&gt; queues” — your side&#39;s turn" in notes
    mail = next(m for m in sent_mail if m["to"] == world.partner.email)
    assert "proposed the goal" in mail["subject"] and "heeft" not in mail["subject"] + mail["body"]


def test_the_forms_own_messages_are_in_each_persons_language(client, world, monkeypatch):
    """WTForms' messages ("This field is required.") in the reader's language, one person after the
    other in one process; the catalogues are read once per process and language, not per request."""
    from babel import support

    from .test_deliverables import deliverable_form

    from workspace import fast_gettext

    fast_gettext._wtforms_catalogue.cache_clear()  # read afresh here, whatever ran before in this process
    reads = []
    load = support.Translations.load
    monkeypatch.setattr(support.Translations, "load",
                        classmethod(lambda cls, *args, **kw: reads.append(kw.get("domain")) or load(*args, **kw)))
    world.student.locale = "nl"
    world.other_student.locale = "en"
    db.session.commit()
    people = ((world.student, world.project, "Dit veld is vereist."),
              (world.other_student, world.other_project, "This field is required."))
    for _ in range(2):
        for person, project, required in people:
            client.login(person)
            page = client.post_form(f"/projects/{project.id}/deliverables/new", deliverable_form(title=""))
            assert page.status_code == 422
            text = page.get_data(as_text=True)
            assert required in text, text[:200]
    assert reads.count("wtforms") == 2  # once per language


def test_one_action_mails_each_recipient_in_their_own_language(client, world, sent_mail):
    """The e-mail's words are made once per language of the people told (issue 19), never one
    person's language for another: a Dutch, an English and a student without a choice (the
    acting partner's language, English here) each get their own."""
    from workspace.models import ProjectMember

    dutch, english, unset = world.student, create_user("Eng Student", locale="en"), create_user("No Choice", locale="")
    dutch.locale = "nl"
    for student in (english, unset):
        db.session.add(ProjectMember(project_id=world.project.id, user_id=student.id, role="student"))
    db.session.commit()
    client.login(world.partner)
    sent_mail.clear()
    response = client.post_form(f"/projects/{world.project.id}/goals/new", {
        "title": "Routes", "description": "Time slots", "partner_need": "Long waits",
        "success_criteria": "Median wait under 30 min", "target_date": world.project.start_date.isoformat(),
    })
    assert response.status_code == 303
    mails = {m["to"]: m for m in sent_mail}
    assert set(mails) == {dutch.email, english.email, unset.email}
    assert "heeft het doel “Routes” voorgesteld" in mails[dutch.email]["subject"]
    assert "Open het in de werkplaats (als het nodig is, log je eerst in):" in mails[dutch.email]["body"]
    for person in (english, unset):
        assert "proposed the goal “Routes”" in mails[person.email]["subject"]
        assert "Open it in the workspace" in mails[person.email]["body"]
        assert "heeft" not in mails[person.email]["subject"] + mails[person.email]["body"]
