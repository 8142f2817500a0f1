"""Permission cases of the deliverables routes: students make, partners review and tick the
handover, everyone in the project sees and downloads; other projects' people get 404."""
from workspace.extensions import db

from ..factories import create_deliverable, create_deliverable_version
from . import PROJECT_ROLES, Case

STUDENT = frozenset({"student"})
PARTNER = frozenset({"partner"})
MEMBERS = frozenset({"student", "partner"})
PDF = b"%PDF-1.4\n%%EOF\n"


def _deliverable(world):
    deliverable = create_deliverable(world.project, title="Toolkit")
    db.session.commit()
    return {"deliverable": deliverable}


def _draft_version(world):
    deliverable = create_deliverable(world.project)
    version = create_deliverable_version(deliverable)
    db.session.commit()
    return {"deliverable": deliverable, "version": version}


def _submitted_version(world):
    deliverable = create_deliverable(world.project, state="in_review")
    version = create_deliverable_version(deliverable, submitted_by=world.student)
    db.session.commit()
    return {"deliverable": deliverable, "version": version}


def _approved(world):
    deliverable = create_deliverable(world.project, state="approved", items=2)
    create_deliverable_version(deliverable, submitted_by=world.student, decision="approved", reviewer=world.partner)
    db.session.commit()
    return {"deliverable": deliverable, "item": deliverable.handover_items[0]}


def _file(world):
    deliverable = create_deliverable(world.project)
    version = create_deliverable_version(deliverable, files=[("report.pdf", "application/pdf", PDF)])
    db.session.commit()
    return {"file": version.files[0]}


def _form(world, objs):
    return {"title": "Neighbourhood toolkit", "kind": "toolkit", "audience": "Residents", "language": "Dutch",
            "channel": "Newsletter", "description": "", "version": objs["deliverable"].version if objs else ""}


BASE = lambda w: f"/projects/{w.project.id}/deliverables"  # noqa: E731
D = lambda w, o: f"{BASE(w)}/{o['deliverable'].id}"  # noqa: E731
V = lambda w, o: f"{D(w, o)}/versions/{o['version'].id}"  # noqa: E731

CASES = [
    Case("deliverables.index", "GET", lambda w, o: BASE(w), PROJECT_ROLES),
    Case("deliverables.new", "GET", lambda w, o: f"{BASE(w)}/new", STUDENT),
    Case("deliverables.new", "POST", lambda w, o: f"{BASE(w)}/new", STUDENT, data=_form),
    Case("deliverables.show", "GET", D, PROJECT_ROLES, setup=_deliverable),
    Case("deliverables.edit", "GET", lambda w, o: f"{D(w, o)}/edit", STUDENT, setup=_deliverable),
    Case("deliverables.edit", "POST", lambda w, o: f"{D(w, o)}/edit", STUDENT, setup=_deliverable, data=_form),
    Case("deliverables.new_version", "GET", lambda w, o: f"{D(w, o)}/versions/new", STUDENT, setup=_deliverable),
    Case("deliverables.new_version", "POST", lambda w, o: f"{D(w, o)}/versions/new", STUDENT, setup=_deliverable,
         data=lambda w, o: {"note": "First draft", "links": "https://example.org/draft Draft"}),
    Case("deliverables.submit", "POST", lambda w, o: f"{V(w, o)}/submit", STUDENT, setup=_draft_version),
    Case("deliverables.review", "POST", lambda w, o: f"{V(w, o)}/review", PARTNER, setup=_submitted_version,
         data=lambda w, o: {"decision": "approved", "comment": ""}),
    Case("deliverables.add_item", "POST", lambda w, o: f"{D(w, o)}/handover", MEMBERS, setup=_deliverable,
         data=lambda w, o: {"label": "Partner has the passwords"}),
    Case("deliverables.tick", "POST", lambda w, o: f"{D(w, o)}/handover/{o['item'].id}/tick", PARTNER,
         setup=_approved),
    Case("deliverables.download", "GET", lambda w, o: f"/projects/{w.project.id}/files/{o['file'].id}",
         PROJECT_ROLES, setup=_file),
]
