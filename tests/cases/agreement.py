"""Permission cases of the agreement's routes."""
from datetime import date, timedelta

from workspace.extensions import db
from workspace.models.agreement import AgreementRole, Responsibility

from ..factories import create_agreement
from . import PROJECT_ROLES, Case

MEMBERS = frozenset({"student", "partner"})


def _agreement(world):
    agreement = create_agreement(world.project, responsibilities=[
        {"what": "Send the weekly update", "side": "students", "due_date": date.today() + timedelta(days=3)},
        {"what": "Reply within 5 working days", "side": "partner"},
        {"what": "Check the plan", "side": "teacher"},
    ])
    role = AgreementRole(agreement=agreement, name="Team lead", description="", holders=[world.student])
    db.session.add(role)
    db.session.commit()
    responsibilities = {r.side: r for r in db.session.scalars(db.select(Responsibility))}
    data_item = next(c for c in agreement.consent_items if c.kind == "data")
    return {"agreement": agreement, "role": role, "students": responsibilities["students"],
            "partner": responsibilities["partner"], "teacher": responsibilities["teacher"], "consent": data_item}


def _base(w):
    return f"/projects/{w.project.id}/agreement"


def _role_data(w, o):
    return {"name": "Partner contact", "description": "", "holders": [w.partner.id], "version": o["role"].version}


def _resp_data(w, o, key=None):
    version = o[key].version if key else ""
    return {"what": "Bring questions", "side": "students", "person_id": "", "timing": "once", "due_date": "",
            "every_unit": "weeks", "version": version}


CASES = [
    Case("agreement.show", "GET", lambda w, o: _base(w), PROJECT_ROLES, setup=_agreement),
    Case("agreement.start", "POST", lambda w, o: _base(w) + "/start", MEMBERS),
    Case("agreement.meetings", "GET", lambda w, o: _base(w) + "/meetings", MEMBERS, setup=_agreement),
    Case("agreement.meetings", "POST", lambda w, o: _base(w) + "/meetings", MEMBERS, setup=_agreement,
         data=lambda w, o: {"cadence_days": "7", "checkup_channel": "phone", "version": o["agreement"].version}),
    Case("agreement.new_role", "GET", lambda w, o: _base(w) + "/roles/new", MEMBERS, setup=_agreement),
    Case("agreement.new_role", "POST", lambda w, o: _base(w) + "/roles/new", MEMBERS, setup=_agreement,
         data=_role_data),
    Case("agreement.edit_role", "GET", lambda w, o: _base(w) + f"/roles/{o['role'].id}/edit", MEMBERS,
         setup=_agreement),
    Case("agreement.edit_role", "POST", lambda w, o: _base(w) + f"/roles/{o['role'].id}/edit", MEMBERS,
         setup=_agreement, data=_role_data),
    Case("agreement.remove_role", "POST", lambda w, o: _base(w) + f"/roles/{o['role'].id}/remove", MEMBERS,
         setup=_agreement, data=lambda w, o: {"version": o["role"].version}),
    Case("agreement.new_responsibility", "GET", lambda w, o: _base(w) + "/responsibilities/new", MEMBERS,
         setup=_agreement),
    Case("agreement.new_responsibility", "POST", lambda w, o: _base(w) + "/responsibilities/new", MEMBERS,
         setup=_agreement, data=_resp_data),
    Case("agreement.edit_responsibility", "GET",
         lambda w, o: _base(w) + f"/responsibilities/{o['students'].id}/edit", MEMBERS, setup=_agreement),
    Case("agreement.edit_responsibility", "POST",
         lambda w, o: _base(w) + f"/responsibilities/{o['students'].id}/edit", MEMBERS, setup=_agreement,
         data=lambda w, o: _resp_data(w, o, "students")),
    Case("agreement.remove_responsibility", "POST",
         lambda w, o: _base(w) + f"/responsibilities/{o['students'].id}/remove", MEMBERS, setup=_agreement,
         data=lambda w, o: {"version": o["students"].version}),
    # Each side marks its own promises kept: one case per side.
    Case("agreement.mark_done", "POST", lambda w, o: _base(w) + f"/responsibilities/{o['students'].id}/done",
         frozenset({"student"}), setup=_agreement, data=lambda w, o: {"version": o["students"].version}),
    Case("agreement.mark_done", "POST", lambda w, o: _base(w) + f"/responsibilities/{o['partner'].id}/done",
         frozenset({"partner"}), setup=_agreement, data=lambda w, o: {"version": o["partner"].version}),
    Case("agreement.mark_done", "POST", lambda w, o: _base(w) + f"/responsibilities/{o['teacher'].id}/done",
         frozenset({"teacher"}), setup=_agreement, data=lambda w, o: {"version": o["teacher"].version}),
    Case("agreement.edit_consent", "GET", lambda w, o: _base(w) + f"/consent/{o['consent'].id}/edit", MEMBERS,
         setup=_agreement),
    Case("agreement.edit_consent", "POST", lambda w, o: _base(w) + f"/consent/{o['consent'].id}/edit", MEMBERS,
         setup=_agreement, data=lambda w, o: {"details": "Anonymised visitor counts", "version": o["consent"].version}),
    Case("agreement.decide_consent", "POST", lambda w, o: _base(w) + f"/consent/{o['consent'].id}/decide",
         frozenset({"partner"}), setup=_agreement,
         data=lambda w, o: {"state": "given", "version": o["consent"].version}),
    Case("agreement.accept", "POST", lambda w, o: _base(w) + "/accept", MEMBERS, setup=_agreement,
         data=lambda w, o: {"number": "1"}),
    Case("agreement.versions", "GET", lambda w, o: _base(w) + "/versions", PROJECT_ROLES, setup=_agreement),
    Case("agreement.version", "GET", lambda w, o: _base(w) + "/versions/1", PROJECT_ROLES, setup=_agreement),
    Case("agreement.print_view", "GET", lambda w, o: _base(w) + "/print", PROJECT_ROLES, setup=_agreement),
]
