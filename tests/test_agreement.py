"""The agreement over HTTP: editing in place, versions and acceptance, promises kept, consent, home, print."""
from datetime import date, timedelta

from workspace.extensions import db
from workspace.models import Activity
from workspace.models.agreement import (
    Agreement, AgreementAcceptance, AgreementRole, AgreementVersion, ConsentItem, Responsibility,
)

from .factories import create_agreement, create_user


def url(world, rest=""):
    return f"/projects/{world.project.id}/agreement{rest}"


def agreement_of(world):
    db.session.expire_all()
    return db.session.scalar(db.select(Agreement).where(Agreement.project_id == world.project.id))


def responsibility(**fields):
    db.session.expire_all()
    return db.session.scalar(db.select(Responsibility).filter_by(**fields))


def add_role(client, world, name="Team lead", holders=None, htmx=False):
    return client.post_form(url(world, "/roles/new"), {
        "name": name, "description": "Keeps the team on track", "holders": holders or [world.student.id],
    }, htmx=htmx)


def add_responsibility(client, world, htmx=False, **fields):
    data = {"what": "Send a weekly update", "side": "students", "person_id": "", "timing": "once",
            "due_date": "", "every_n": "", "every_unit": "weeks", **fields}
    return client.post_form(url(world, "/responsibilities/new"), data, htmx=htmx)


def test_a_member_starts_the_agreement_and_others_see_what_to_do(client, world):
    client.login(world.teacher)
    page = client.get(url(world)).get_data(as_text=True)
    assert "have not started their agreement yet" in page and "Start the agreement" not in page
    client.logout()
    client.login(world.student)
    assert "Start the agreement" in client.get(url(world)).get_data(as_text=True)
    response = client.post_form(url(world, "/start"))
    assert response.status_code == 303
    page = client.get(url(world)).get_data(as_text=True)
    assert "Version 1" in page and "No roles yet." in page and "No responsibilities yet." in page
    assert db.session.scalar(db.select(Activity).filter_by(verb="created", subject_type="agreement"))
    assert client.post_form(url(world, "/start")).status_code == 409


def test_roles_are_added_edited_and_removed_in_place(client, world):
    create_agreement(world.project)
    client.login(world.student)
    response = add_role(client, world, htmx=True, holders=[world.student.id, world.partner.id])
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith(("<div id=\"agreement\"", "{#")) or 'id="agreement"' in body
    assert "Team lead" in body and "Pat Partner" in body and "announce" in response.headers["HX-Trigger"]
    role = db.session.scalar(db.select(AgreementRole))
    assert {u.name for u in role.holders} == {"Sam Student", "Pat Partner"}

    form = client.get(url(world, f"/roles/{role.id}/edit"), headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'name="name"' in form and "<html" not in form
    response = client.post_form(url(world, f"/roles/{role.id}/edit"), {
        "name": "Team coordinator", "description": "", "holders": [world.student.id], "version": role.version})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(AgreementRole, role.id).name == "Team coordinator"

    response = client.post_form(url(world, f"/roles/{role.id}/remove"), {"version": role.version}, htmx=True)
    assert response.status_code == 200 and "Team coordinator" not in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(AgreementRole)) == 0
    verbs = set(db.session.scalars(db.select(Activity.verb).where(Activity.subject_type == "agreementrole")))
    assert verbs == {"added", "edited", "removed"}


def test_invalid_input_is_answered_next_to_the_field_and_changes_nothing(client, world):
    create_agreement(world.project)
    client.login(world.student)
    response = client.post_form(url(world, "/roles/new"), {"name": "", "holders": []}, htmx=True)
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#role-new-form"
    body = response.get_data(as_text=True)
    assert "Choose at least one person who holds this role." in body and 'aria-invalid="true"' in body
    # Someone of the other side cannot keep the students' promise.
    response = add_responsibility(client, world, person_id=str(world.partner.id))
    assert response.status_code == 422
    assert "Pat Partner is not on that side of the partnership." in response.get_data(as_text=True)
    response = add_responsibility(client, world, timing="every", every_n="")
    assert response.status_code == 422 and "every how many days or weeks" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Responsibility)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(AgreementRole)) == 0


def test_a_change_after_an_acceptance_makes_a_new_version_everyone_accepts_again(client, world):
    create_agreement(world.project)
    client.login(world.student)
    add_role(client, world)  # nobody accepted yet: still version 1
    assert agreement_of(world).number == 1
    assert client.post_form(url(world, "/accept"), {"number": "1"}).status_code == 303
    client.logout()

    client.login(world.partner)
    page = client.get(url(world)).get_data(as_text=True)
    assert "1 of 2 accepted" in page and "has not accepted yet" in page
    add_responsibility(client, world, what="Reply to questions within 5 working days", side="partner")
    agreement = agreement_of(world)
    assert agreement.number == 2
    page = client.get(url(world)).get_data(as_text=True)
    assert "Version 2" in page and "0 of 2 accepted" in page
    assert "Responsibility added: Reply to questions within 5 working days" in page
    # Version 1 stays readable as it was, with its acceptance.
    old = client.get(url(world, "/versions/1")).get_data(as_text=True)
    assert "Team lead" in old and "Reply to questions" not in old and "Sam Student" in old
    new = client.get(url(world, "/versions/2")).get_data(as_text=True)
    assert "Responsibility added" in new
    history = client.get(url(world, "/versions")).get_data(as_text=True)
    assert "Version 2" in history and "Version 1" in history

    # Accepting the out-of-date version is refused; the current one is accepted.
    response = client.post_form(url(world, "/accept"), {"number": "1"}, htmx=True)
    assert response.status_code == 409 and "read version 2" in response.get_data(as_text=True)
    assert client.post_form(url(world, "/accept"), {"number": "2"}).status_code == 303
    client.logout()
    client.login(world.student)
    # the student's home asks for version 2 and says what changed since version 1
    home = client.get("/home").get_data(as_text=True)
    waiting = home[home.index('id="home-agreement-'):home.index("</form>", home.index('id="home-agreement-'))]
    assert "Version 2 of the agreement waits for your acceptance." in waiting and "What changed:" in waiting
    assert "Responsibility added: Reply to questions within 5 working days" in waiting
    assert 'name="number" value="2"' in waiting and "Food bank routes" in waiting
    assert client.post_form(url(world, "/accept"), {"number": "2"}, htmx=True).status_code == 200
    assert "accepted by everyone" in client.get(url(world)).get_data(as_text=True)


def test_a_version_accepted_by_everyone_is_never_rewritten(client, world):
    agreement = create_agreement(world.project, accepted_by=[world.student, world.partner])
    before = dict(db.session.scalar(db.select(AgreementVersion).filter_by(number=1)).snapshot)
    client.login(world.student)
    client.post_form(url(world, "/meetings"), {"cadence_days": "7", "checkup_channel": "phone",
                                               "version": agreement.version})
    add_role(client, world)
    db.session.expire_all()
    assert db.session.scalar(db.select(AgreementVersion).filter_by(number=1)).snapshot == before
    assert agreement_of(world).number == 2  # both changes in the one new version nobody accepted yet
    assert "Check-ups: every 14 days → every 7 days" in client.get(url(world, "/versions/2")).get_data(as_text=True)


def test_each_side_marks_its_own_promises_kept_and_recurring_ones_come_back(client, world):
    due = date.today() + timedelta(days=2)
    create_agreement(world.project, responsibilities=[
        {"what": "Weekly update", "side": "students", "recurrence": "every", "every_n": 1, "every_unit": "weeks",
         "due_date": due},
        {"what": "Share the visitor data", "side": "partner", "due_date": date.today() - timedelta(days=3)},
    ])
    students = responsibility(what="Weekly update")
    partners = responsibility(what="Share the visitor data")
    client.login(world.student)
    # The other side's promise is refused.
    response = client.post_form(url(world, f"/responsibilities/{partners.id}/done"), {"version": partners.version})
    assert response.status_code == 403
    assert responsibility(id=partners.id).done_at is None
    response = client.post_form(url(world, f"/responsibilities/{students.id}/done"),
                                {"version": students.version, "note": "Sent on Monday"}, htmx=True)
    assert response.status_code == 200 and "Weekly update" in response.get_data(as_text=True)
    kept = responsibility(id=students.id)
    assert kept.done_at is not None and kept.note == "Sent on Monday" and kept.done_by_id == world.student.id
    following = db.session.scalar(db.select(Responsibility).where(Responsibility.series_id == students.series_id,
                                                                  Responsibility.id != students.id))
    assert following.due_date == due + timedelta(weeks=1) and following.done_at is None
    # Marking the same occurrence twice is refused.
    assert client.post_form(url(world, f"/responsibilities/{students.id}/done"),
                            {"version": kept.version}).status_code in (404, 409)
    client.logout()
    client.login(world.partner)
    page = client.get(url(world)).get_data(as_text=True)
    assert '<span class="status status-bad">' in page and "</svg> Late</span>" in page and "Last kept on" in page
    assert client.post_form(url(world, f"/responsibilities/{partners.id}/done"),
                            {"version": partners.version}).status_code == 303
    assert not responsibility(id=partners.id).kept_on_time()
    assert db.session.scalar(db.select(db.func.count()).select_from(Activity).filter_by(verb="done")) == 2


def test_reciprocity_counts_per_side_on_page_and_board(client, world):
    today = date.today()
    from workspace.models.base import utcnow

    create_agreement(world.project, responsibilities=[
        {"what": "On time", "side": "students", "due_date": today + timedelta(days=1), "done_at": utcnow()},
        {"what": "Kept late", "side": "partner", "due_date": today - timedelta(days=5), "done_at": utcnow()},
        {"what": "Late", "side": "partner", "due_date": today - timedelta(days=1)},
        {"what": "Open", "side": "students", "due_date": today + timedelta(days=10)},
    ])
    client.login(world.teacher)
    for path in (url(world), f"/projects/{world.project.id}"):
        page = client.get(path).get_data(as_text=True)
        assert "<th scope=\"row\">Students</th><td>1</td><td>0</td><td>1</td><td>0</td>" in page
        assert "<th scope=\"row\">Partner</th><td>0</td><td>1</td><td>0</td><td><strong><svg class=\"icon\"" in page
        assert "</svg> 1</strong></td>" in page  # the alert icon beside the number


def test_only_partners_give_withhold_and_withdraw_consent(client, world):
    agreement = create_agreement(world.project)
    item = next(c for c in agreement.consent_items if c.kind == "publish_results")
    client.login(world.student)
    assert client.post_form(url(world, f"/consent/{item.id}/decide"),
                            {"state": "given", "version": item.version}).status_code == 403
    client.logout()
    client.login(world.partner)
    response = client.post_form(url(world, f"/consent/{item.id}/decide"), {"state": "given", "version": item.version},
                                htmx=True)
    assert response.status_code == 200 and "Consent given" in response.get_data(as_text=True)
    db.session.expire_all()
    item = db.session.get(ConsentItem, item.id)
    assert item.state == "given" and item.decided_by_id == world.partner.id and item.decided_at
    response = client.post_form(url(world, f"/consent/{item.id}/decide"), {"state": "withheld", "version": item.version})
    assert response.status_code == 303
    db.session.expire_all()
    item = db.session.get(ConsentItem, item.id)
    assert item.state == "withheld" and item.withdrawn
    assert "Consent withdrawn" in client.get(url(world)).get_data(as_text=True)
    verbs = list(db.session.scalars(db.select(Activity.verb).where(Activity.subject_type == "consentitem")
                                    .order_by(Activity.id)))
    assert verbs == ["given", "withdrew"]
    summaries = db.session.scalars(db.select(Activity.summary).where(Activity.subject_type == "consentitem")).all()
    assert "Pat Partner withdrew consent: Publishing the results" in summaries


def test_a_stale_edit_gets_409_with_the_current_version_and_keeps_the_input(client, world):
    agreement = create_agreement(world.project)
    role = AgreementRole(agreement=agreement, name="Team lead", holders=[world.student])
    db.session.add(role)
    db.session.commit()
    old_version = role.version
    client.login(world.student)
    client.post_form(url(world, f"/roles/{role.id}/edit"), {"name": "Lead of the team", "holders": [world.student.id],
                                                          "version": old_version})
    response = client.post_form(url(world, f"/roles/{role.id}/edit"), {
        "name": "Captain", "holders": [world.student.id], "version": old_version}, htmx=True)
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "Someone else changed this role" in body and "Lead of the team" in body and 'value="Captain"' in body
    db.session.expire_all()
    assert db.session.get(AgreementRole, role.id).name == "Lead of the team"
    # Same for meetings, without JavaScript: a page of its own.
    response = client.post_form(url(world, "/meetings"), {"cadence_days": "3", "version": agreement.version - 1})
    assert response.status_code == 409 and "<html" in response.get_data(as_text=True)


def test_home_shows_the_agreement_waiting_and_accepts_it_in_place(client, world):
    create_agreement(world.project, accepted_by=[world.student])
    client.login(world.partner)
    page = client.get("/home").get_data(as_text=True)
    assert "Agreements to accept" in page and "Food bank routes" in page
    assert '<span class="badge-count">1</span>' in page
    response = client.post_form(url(world, "/accept"), {"number": "1", "next": "home"}, htmx=True)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "You accepted version 1" in body and 'id="waiting-badge"' in body and "badge-count" not in body
    assert "Agreements to accept" not in client.get("/home").get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(AgreementAcceptance)) == 2


def test_the_printable_view_shows_the_agreement_and_who_accepted(client, world):
    create_agreement(world.project, responsibilities=[{"what": "Reply within 5 working days", "side": "partner"}],
                     accepted_by=[world.partner])
    client.login(world.teacher)
    page = client.get(url(world, "/print")).get_data(as_text=True)
    assert "Reply within 5 working days" in page and "A check-up every 14 days" in page
    assert "Pat Partner" in page and "✔" in page and "not yet" in page


def test_the_agreement_page_makes_the_same_queries_with_3_and_80_responsibilities(client, world, count_queries):
    def fill(n):
        agreement = agreement_of(world) or create_agreement(world.project)
        start = db.session.scalar(db.select(db.func.count()).select_from(Responsibility))
        for i in range(start, start + n):
            side = ("students", "partner", "teacher")[i % 3]
            person = {"students": world.student, "partner": world.partner, "teacher": world.teacher}[side]
            db.session.add(Responsibility(agreement_id=agreement.id, what=f"Promise {i}", side=side,
                                          person_id=person.id, due_date=date.today() + timedelta(days=i - 40)))
        db.session.add(AgreementRole(agreement=agreement, name=f"Role {n}", holders=[world.student, world.partner]))
        db.session.commit()

    client.login(world.student)
    fill(3)
    client.get(url(world))
    with count_queries() as small:
        assert client.get(url(world)).status_code == 200
    fill(77)
    with count_queries() as large:
        page = client.get(url(world)).get_data(as_text=True)
    assert "Promise 79" in page
    assert len(small) == len(large)
    with count_queries() as board_small:
        client.get(f"/projects/{world.project.id}")
    fill(10)
    with count_queries() as board_large:
        client.get(f"/projects/{world.project.id}")
    assert len(board_small) == len(board_large)


def test_nested_ids_from_another_project_are_not_found(client, world):
    create_agreement(world.project)
    other = create_agreement(world.other_project)
    role = AgreementRole(agreement=other, name="Their lead", holders=[world.other_student])
    db.session.add(role)
    db.session.commit()
    client.login(world.student)
    assert client.get(url(world, f"/roles/{role.id}/edit")).status_code == 404
    assert client.post_form(url(world, f"/roles/{role.id}/remove"), {"version": role.version}).status_code == 404
    # And a role is held by people of this project only.
    response = add_role(client, world, holders=[world.other_student.id])
    assert response.status_code == 422
    assert create_user  # factories imported for other tests


def test_a_responsibility_is_edited_in_place_or_on_its_own_page_without_javascript(client, world):
    create_agreement(world.project, responsibilities=[{"what": "Send an update", "side": "students"}])
    resp = responsibility(what="Send an update")
    client.login(world.student)
    edit = url(world, f"/responsibilities/{resp.id}/edit")
    fragment = client.get(edit, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'id="responsibility-{resp.id}-form"' in fragment and "<html" not in fragment
    page = client.get(edit).get_data(as_text=True)
    assert "<html" in page and 'name="what"' in page
    response = client.post_form(edit, {"what": "Send an update", "side": "students", "person_id": str(world.student.id),
                                       "timing": "every", "every_n": "2", "every_unit": "weeks", "due_date": "",
                                       "version": resp.version}, htmx=True)
    assert response.status_code == 200 and "every 2 weeks" in response.get_data(as_text=True)
    assert f'id="responsibility-{resp.id}" class="item" data-focus' in response.get_data(as_text=True)
    changed = responsibility(id=resp.id)
    assert (changed.recurrence, changed.every_n, changed.every_unit, changed.person_id) == (
        "every", 2, "weeks", world.student.id)
    # A second person working from the old form is told, and shown the current version.
    response = client.post_form(edit, {"what": "Send a monthly update", "side": "students", "person_id": "",
                                       "timing": "once", "every_unit": "weeks", "version": resp.version - 1},
                                htmx=True)
    assert response.status_code == 409 and response.headers["HX-Retarget"] == f"#responsibility-{resp.id}-form"
    body = response.get_data(as_text=True)
    assert "Someone else changed this responsibility" in body and 'value="Send a monthly update"' in body
    assert responsibility(id=resp.id).what == "Send an update"
    # A kept promise cannot be removed.
    kept = client.post_form(url(world, f"/responsibilities/{resp.id}/done"), {"version": changed.version})
    assert kept.status_code == 303
    response = client.post_form(url(world, f"/responsibilities/{resp.id}/remove"),
                                {"version": responsibility(id=resp.id).version})
    assert response.status_code == 409 and "A kept promise stays on record" in response.get_data(as_text=True)


def test_timeline_entries_link_to_the_agreement(client, world):
    create_agreement(world.project)
    client.login(world.student)
    add_role(client, world)
    from workspace.sections import link_for

    entry = db.session.scalar(db.select(Activity).where(Activity.subject_type == "agreementrole"))
    with client.application.test_request_context():
        assert link_for(entry) == url(world) + "#roles"
