"""Changing the e-mail address (issue 20): it asks for the password and a free address, then takes
effect only when the link sent to the new address is used; the old address is told and can cancel
within the link's lifetime. Confirming ends the other sessions, as the immediate change did."""
import json
import re
from datetime import timedelta

from workspace.extensions import db
from workspace.models import Activity, AuditEvent, EmailChange, User
from workspace.models.base import utcnow

from .factories import PASSWORD

NEW = "lou.new@example.org"
LINK = re.compile(r"http://[^/\s]+(/profile/email/(\d+)/(confirm|cancel)/(\S+))")


def _ask(client, email=NEW, password=PASSWORD):
    return client.post_form("/profile/email", {"email": email, "current": password}, token_from="/profile")


def _link(sent_mail, to):
    """The path of the link in the last message to `to`."""
    body = [m for m in sent_mail if m["to"] == to][-1]["body"]
    return LINK.search(body).group(1)


def _can_log_in(app, email) -> bool:
    browser = app.test_client()
    token = browser.csrf_token("/login")
    return browser.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token}).status_code == 303


def _events(name):
    return db.session.scalars(db.select(AuditEvent).where(AuditEvent.event == name)).all()


def test_asks_for_the_password(client, world, sent_mail):
    client.login(world.loner)
    response = _ask(client, password="not-my-password")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "That is not your current password." in page and f'value="{NEW}"' in page  # the input is kept
    assert db.session.scalar(db.select(db.func.count()).select_from(EmailChange)) == 0 and sent_mail == []
    assert len(_events("email_change_failed")) == 1


def test_refuses_an_address_in_use_and_ones_own(client, world, sent_mail):
    client.login(world.loner)
    response = _ask(client, world.student.email.upper())
    assert response.status_code == 422
    assert "Another account already uses this e-mail address." in response.get_data(as_text=True)
    response = _ask(client, " " + world.loner.email.upper())
    assert response.status_code == 422
    assert "That is already your e-mail address." in response.get_data(as_text=True)
    assert sent_mail == []


def test_asking_changes_nothing_yet_and_mails_both_addresses(app, client, world, sent_mail):
    old = world.loner.email
    client.login(world.loner)
    response = _ask(client, " Lou.New@Example.org ")
    assert response.status_code == 303 and response.headers["Location"].endswith("/profile")
    assert db.session.get(User, world.loner.id).email == old
    assert [m["to"] for m in sent_mail] == [NEW, old]
    assert sent_mail[0]["subject"] == "Confirm your new e-mail address"
    assert sent_mail[1]["subject"] == "Your e-mail address is about to change" and NEW in sent_mail[1]["body"]
    confirm, cancel = _link(sent_mail, NEW), _link(sent_mail, old)
    assert "/confirm/" in confirm and "/cancel/" in cancel
    # only hashes are stored
    change = db.session.scalar(db.select(EmailChange))
    tokens = {confirm.rsplit("/", 1)[1], cancel.rsplit("/", 1)[1]}
    assert not tokens & {change.confirm_hash, change.cancel_hash}
    assert change.new_email == NEW and change.expires_at - utcnow() > timedelta(hours=23)
    # the old address still logs in, the new one not yet
    assert _can_log_in(app, old) and not _can_log_in(app, NEW)
    page = client.get("/profile").get_data(as_text=True)
    assert "New e-mail address waiting for confirmation" in page and f"We sent a link to {NEW}." in page
    assert _events("email_change_requested")[0].detail["new_email"] == NEW
    verbs = db.session.scalars(db.select(Activity.verb).where(Activity.actor_id == world.loner.id)).all()
    assert verbs == ["requested_email_change"]


def test_the_confirm_link_makes_the_change_and_ends_the_other_sessions(app, client, world, sent_mail):
    old = world.loner.email
    other_device = app.test_client()
    other_device.login(world.loner)
    client.login(world.loner)
    _ask(client)
    confirm, cancel = _link(sent_mail, NEW), _link(sent_mail, old)
    page = client.get(confirm)  # a mail scanner following the link changes nothing
    assert page.status_code == 200 and f"Use {NEW}" in page.get_data(as_text=True)
    assert db.session.get(User, world.loner.id).email == old
    response = client.post_form(confirm, token_from=confirm)
    assert response.status_code == 303 and response.headers["Location"].endswith("/profile")
    assert db.session.get(User, world.loner.id).email == NEW
    assert client.get("/profile").status_code == 200  # this session carries on
    assert other_device.get("/profile").status_code == 302  # the other one ended
    assert sent_mail[-1]["to"] == old and sent_mail[-1]["subject"] == "Your e-mail address was changed"
    assert _can_log_in(app, NEW) and not _can_log_in(app, old)
    audit = _events("email_changed")[0]
    assert audit.user_id == world.loner.id and audit.detail["old_email"] == old
    assert "changed_email" in db.session.scalars(db.select(Activity.verb)).all()
    assert client.get(confirm).status_code == 410  # single use
    assert client.get(cancel).status_code == 410  # and the cancel link is over too


def test_confirming_in_another_browser_signs_everybody_out(app, client, world, sent_mail):
    client.login(world.loner)
    _ask(client)
    confirm = _link(sent_mail, NEW)
    phone = app.test_client()
    response = phone.post_form(confirm, token_from=confirm)
    assert response.status_code == 303 and response.headers["Location"].endswith("/login")
    assert f"Your e-mail address is now {NEW}. Log in with it." in phone.get("/login").get_data(as_text=True)
    assert client.get("/profile").status_code == 302


def test_the_old_address_cancels_and_every_session_ends(app, client, world, sent_mail):
    old = world.loner.email
    client.login(world.loner)
    _ask(client)
    confirm, cancel = _link(sent_mail, NEW), _link(sent_mail, old)
    owner = app.test_client()
    assert f"The account keeps {old} instead of changing to {NEW}" in owner.get(cancel).get_data(as_text=True)
    response = owner.post_form(cancel, token_from=cancel)
    assert response.status_code == 303 and response.headers["Location"].endswith("/password/forgot")
    assert "The change is cancelled" in owner.get("/password/forgot").get_data(as_text=True)
    assert db.session.get(User, world.loner.id).email == old
    assert client.get("/profile").status_code == 302  # whoever asked is signed out
    assert client.get(confirm).status_code == 410 and owner.post_form(confirm, token_from=cancel).status_code == 410
    assert _events("email_change_cancelled")[0].detail["by"] == "old_address"
    assert db.session.scalar(db.select(EmailChange.outcome)) == "cancelled"


def test_a_link_is_refused_once_expired_altered_or_of_the_other_kind(client, world, sent_mail):
    client.login(world.loner)
    _ask(client)
    confirm, cancel = _link(sent_mail, NEW), _link(sent_mail, world.loner.email)
    change_id, token = re.search(r"/(\d+)/confirm/(\S+)", confirm).groups()
    altered = confirm[:-1] + ("A" if confirm[-1] != "A" else "B")
    crossed = f"/profile/email/{change_id}/confirm/{cancel.rsplit('/', 1)[1]}"
    elsewhere = f"/profile/email/{int(change_id) + 1}/confirm/{token}"
    for path in (altered, crossed, elsewhere):
        assert client.get(path).status_code == 410, path
        assert client.post_form(path, token_from="/profile").status_code == 410, path
    db.session.get(EmailChange, int(change_id)).expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    page = client.get(confirm)
    assert page.status_code == 410 and "This link is not valid any more" in page.get_data(as_text=True)
    assert client.get(cancel).status_code == 410
    assert db.session.get(User, world.loner.id).email != NEW
    assert len(_events("email_change_link_refused")) == 8
    assert "Referrer-Policy" in page.headers and page.headers["Referrer-Policy"] == "no-referrer"


def test_a_new_request_replaces_the_waiting_one(client, world, sent_mail):
    client.login(world.loner)
    _ask(client)
    first = _link(sent_mail, NEW)
    _ask(client, "lou.other@example.org")
    assert client.get(first).status_code == 410
    assert "lou.other@example.org" in client.get("/profile").get_data(as_text=True)
    client.post_form(_link(sent_mail, "lou.other@example.org"), token_from="/profile")
    assert db.session.get(User, world.loner.id).email == "lou.other@example.org"


def test_the_address_taken_meanwhile_is_refused_at_confirmation(client, world, sent_mail):
    client.login(world.loner)
    _ask(client)
    world.student.email = NEW
    db.session.commit()
    confirm = _link(sent_mail, NEW)
    response = client.post_form(confirm, token_from="/profile")
    assert response.status_code == 409
    assert f"Another account uses {NEW} by now" in response.get_data(as_text=True)
    assert db.session.get(User, world.loner.id).email != NEW
    assert db.session.scalar(db.select(EmailChange.ended_at)) is None


def test_the_profile_cancels_the_waiting_change_plain_and_in_place(client, world, sent_mail):
    client.login(world.loner)
    _ask(client)
    response = client.post_form("/profile/email/cancel", token_from="/profile")
    assert response.status_code == 303
    page = client.get("/profile").get_data(as_text=True)
    assert f"The change is cancelled: you keep logging in with {world.loner.email}." in page
    assert "waiting for confirmation" not in page
    assert client.get(_link(sent_mail, NEW)).status_code == 410
    assert client.get("/profile").status_code == 200  # no session ended

    _ask(client, "lou.again@example.org")
    response = client.post_form("/profile/email/cancel", token_from="/profile", htmx=True)
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert 'id="email-change"' in fragment and "data-focus" in fragment and "<html" not in fragment
    assert json.loads(response.headers["HX-Trigger"])["announce"].startswith("The change is cancelled")
    assert [e.detail["by"] for e in _events("email_change_cancelled")] == ["profile", "profile"]
    assert "cancelled_email_change" in db.session.scalars(db.select(Activity.verb)).all()


def test_profile_links_to_the_email_change(client, world):
    client.login(world.loner)
    page = client.get("/profile").get_data(as_text=True)
    assert 'href="/profile/email"' in page and "waiting for confirmation" not in page
