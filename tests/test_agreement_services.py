"""The agreement's rules, tested on the service functions themselves (and one concurrent edit over HTTP)."""
import threading
from datetime import date, timedelta

import pytest

from workspace.agreement import services
from workspace.extensions import db
from workspace.models import Activity
from workspace.models.agreement import AgreementRole, AgreementVersion, Responsibility
from workspace.rules import Refused, StaleVersion

from .factories import create_agreement


def test_only_members_edit(world):
    agreement = create_agreement(world.project)
    for outsider in (world.teacher, world.admin, world.other_student):
        with pytest.raises(Refused) as refused:
            services.add_role(outsider, agreement, "Lead", "", [world.student.id])
        assert refused.value.status == 403
    services.add_role(world.partner, agreement, "Partner contact", "", [world.partner.id])
    assert db.session.scalar(db.select(db.func.count()).select_from(AgreementRole)) == 1


def test_only_partners_give_or_withdraw_consent(world):
    agreement = create_agreement(world.project)
    item = agreement.consent_items[0]
    with pytest.raises(Refused) as refused:
        services.decide_consent(world.student, item, item.version, "given")
    assert refused.value.status == 403 and item.state == "undecided"
    services.decide_consent(world.partner, item, item.version, "given")
    services.decide_consent(world.partner, item, item.version, "withheld")
    assert item.state == "withheld" and item.withdrawn and item.decided_by_id == world.partner.id


def test_a_version_accepted_by_everyone_is_immutable(world):
    agreement = create_agreement(world.project, accepted_by=[world.student, world.partner])
    first = db.session.scalar(db.select(AgreementVersion).filter_by(number=1))
    content = dict(first.snapshot)
    services.set_meetings(world.student, agreement, agreement.version, 3, "phone")
    services.add_role(world.student, agreement, "Lead", "", [world.student.id])
    db.session.refresh(first)
    assert first.snapshot == content and agreement.number == 2
    numbers = db.session.scalars(db.select(AgreementVersion.number).order_by(AgreementVersion.number)).all()
    assert numbers == [1, 2]


def test_unchanged_content_makes_no_new_version(world):
    agreement = create_agreement(world.project, accepted_by=[world.student])
    services.set_meetings(world.student, agreement, agreement.version, agreement.cadence_days, agreement.checkup_channel)
    assert agreement.number == 1


def test_accepting_an_out_of_date_version_is_refused(world):
    agreement = create_agreement(world.project, accepted_by=[world.student])
    services.set_meetings(world.student, agreement, agreement.version, 7, "phone")
    with pytest.raises(Refused) as refused:
        services.accept(world.partner, agreement, 1)
    assert refused.value.status == 409
    services.accept(world.partner, agreement, 2)
    with pytest.raises(Refused):
        services.accept(world.partner, agreement, 2)  # not twice
    with pytest.raises(Refused) as refused:
        services.accept(world.teacher, agreement, 2)  # teachers do not accept
    assert refused.value.status == 403


def test_marking_done_a_promise_of_the_other_side_is_refused(world):
    create_agreement(world.project, responsibilities=[{"what": "Reply", "side": "partner"},
                                                      {"what": "Check", "side": "teacher"}])
    reply = db.session.scalar(db.select(Responsibility).filter_by(what="Reply"))
    check = db.session.scalar(db.select(Responsibility).filter_by(what="Check"))
    for side in ("student", "teacher"):
        with pytest.raises(Refused) as refused:
            services.mark_done(world.student, reply, reply.version, side_of_actor=side)
        assert refused.value.status == 403
    with pytest.raises(Refused):
        services.mark_done(world.partner, check, check.version, side_of_actor="partner")
    services.mark_done(world.partner, reply, reply.version, "Done", side_of_actor="partner")
    services.mark_done(world.teacher, check, check.version, side_of_actor="teacher")
    assert reply.done_at and check.done_at


def test_recurrence_before_every_checkup_follows_the_cadence(world):
    due = date.today() + timedelta(days=1)
    create_agreement(world.project, cadence_days=10, responsibilities=[
        {"what": "Prepare", "side": "students", "recurrence": "checkup", "due_date": due}])
    prepare = db.session.scalar(db.select(Responsibility))
    following = services.mark_done(world.student, prepare, prepare.version, side_of_actor="student")
    assert following.due_date == due + timedelta(days=10) and following.series_id == prepare.series_id


def test_a_stale_version_is_refused_and_every_change_is_recorded(world):
    agreement = create_agreement(world.project)
    role = services.add_role(world.student, agreement, "Lead", "", [world.student.id])
    services.edit_role(world.student, role, role.version, "Team lead", "", [world.student.id])
    with pytest.raises(StaleVersion):
        services.edit_role(world.partner, role, role.version - 1, "Captain", "", [world.student.id])
    assert role.name == "Team lead"
    assert db.session.scalar(db.select(db.func.count()).select_from(Activity)) == 2


def test_reciprocity_counts_each_side(world):
    today = date(2026, 3, 10)
    from datetime import datetime, timezone

    done = datetime(2026, 3, 5, 12, tzinfo=timezone.utc)
    rows = [("students", date(2026, 3, 6), done), ("students", date(2026, 3, 1), done), ("students", None, done),
            ("partner", date(2026, 3, 9), None), ("partner", date(2026, 3, 12), None), ("partner", None, None)]
    counts = services.reciprocity(rows, today)
    assert counts["students"] == {"on_time": 2, "kept_late": 1, "open": 0, "late": 0}
    assert counts["partner"] == {"on_time": 0, "kept_late": 0, "open": 2, "late": 1}


def test_cadence_and_channel_for_checkups(world):
    assert services.cadence_days(world.project) is None and services.checkup_channel(world.project) == ""
    create_agreement(world.project, cadence_days=14, channel="video call")
    assert services.cadence_days(world.project) == 14 and services.checkup_channel(world.project) == "video call"


def test_two_people_editing_the_same_role_at_once_lose_nothing(app, world):
    """Both forms were made from the same version: one is saved, the other gets 409 (SQLite and PostgreSQL)."""
    from .conftest import Client

    agreement = create_agreement(world.project, accepted_by=[world.student])
    role = AgreementRole(agreement=agreement, name="Lead", holders=[world.student])
    db.session.add(role)
    db.session.commit()
    version, role_id, project_id, student_id = role.version, role.id, world.project.id, world.student.id
    app.test_client_class = Client
    clients = []
    for user in (world.student, world.partner):
        c = app.test_client()
        c.login(user)
        clients.append((c, c.csrf_token(f"/projects/{project_id}/agreement")))
    barrier = threading.Barrier(2)
    results = {}

    def edit(i, name):
        c, token = clients[i]
        with app.app_context():
            barrier.wait()
            results[name] = c.post(f"/projects/{project_id}/agreement/roles/{role_id}/edit", data={
                "name": name, "holders": [student_id], "version": version, "csrf_token": token})

    threads = [threading.Thread(target=edit, args=(i, name)) for i, name in enumerate(("Captain", "Chair"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.status_code for r in results.values())
    assert statuses == [303, 409], statuses
    winner = next(name for name, r in results.items() if r.status_code == 303)
    db.session.expire_all()
    assert db.session.get(AgreementRole, role_id).name == winner
    # The change after an acceptance made exactly one new version.
    assert db.session.scalar(db.select(db.func.count()).select_from(AgreementVersion)) == 2


def test_what_changed_between_versions_is_said_in_words(world):
    old = {"cadence_days": None, "checkup_channel": "", "roles": [{"key": 1, "name": "Lead", "description": "",
                                                                    "holders": ["Sam"]}],
           "responsibilities": [], "consent": [{"key": "publish_results", "details": "", "state": "given",
                                                "withdrawn": False}]}
    new = {"cadence_days": 14, "checkup_channel": "", "roles": [],
           "responsibilities": [{"key": 5, "what": "Reply", "side": "partner", "person": None, "due": None,
                                 "recurrence": {"kind": "every", "n": 2, "unit": "weeks"}}],
           "consent": [{"key": "publish_results", "details": "", "state": "withheld", "withdrawn": True}]}
    assert services.diff(old, new) == [
        "Check-ups: not agreed → every 14 days",
        "Role removed: Lead (Sam)",
        "Responsibility added: Reply (partner, every 2 weeks)",
        "Consent changed: Publishing the results: given → withdrawn",
    ]
