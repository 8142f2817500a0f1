"""Permission cases of the showcase: its public pages answer everyone (what they show is decided by
publication, tests/test_showcase.py); the team and the partner draft, only the partner publishes
and withdraws."""
from workspace.extensions import db
from workspace.models.base import utcnow
from workspace.models.showcase import Publication

from ..factories import create_agreement, create_deliverable, create_deliverable_version
from . import EVERYONE, Case

DRAFTERS = frozenset({"student", "partner"})
PARTNER = frozenset({"partner"})
PDF = b"%PDF-1.4 a public guide"


def handed_over(project, student, partner, title="Neighbourhood guide", consent="given", **fields):
    """A handed-over deliverable whose approved version has two files and a link, with the agreement's
    consent to publish results in state `consent` (None: no agreement)."""
    if consent is not None:
        agreement = create_agreement(project)
        item = next(c for c in agreement.consent_items if c.kind == "publish_results")
        item.state = consent
    deliverable = create_deliverable(project, title=title, state="handed_over", handed_over_at=utcnow(),
                                     audience="Residents", language="Dutch", channel="Flyers", **fields)
    version = create_deliverable_version(
        deliverable, submitted_by=student, decision="approved", reviewer=partner,
        files=[("public-guide.pdf", "application/pdf", PDF), ("private-notes.txt", "text/plain", b"internal notes")],
        links=["https://example.org/guide"])
    db.session.flush()
    return deliverable, version


def publication(deliverable, version, summary="A guide residents use to green their courtyard.", live=True,
                withdrawn=False, partner_word="We hand it out at every meeting.", public_files=1):
    """The deliverable's publication, with its first `public_files` files and its links public."""
    now = utcnow()
    row = Publication(deliverable=deliverable, summary=summary, partner_word=partner_word,
                      files=list(version.files[:public_files]), links=list(version.links),
                      published_at=now if live or withdrawn else None, withdrawn_at=now if withdrawn else None)
    db.session.add(row)
    db.session.flush()
    return row


def _draft(world):
    deliverable, version = handed_over(world.project, world.student, world.partner)
    row = publication(deliverable, version, live=False)
    db.session.commit()
    return {"deliverable": deliverable, "version": version, "publication": row}


def _published(world):
    objs = _draft(world)
    objs["publication"].published_at = utcnow()
    db.session.commit()
    return objs


def _form(world, objs):
    return {"summary": "A guide for residents.", "partner_word": "We use it.", "files": [objs["version"].files[0].id],
            "version": objs["publication"].version}


D = lambda w, o: f"/projects/{w.project.id}/deliverables/{o['deliverable'].id}/showcase"  # noqa: E731
P = lambda w, o: f"/showcase/{o['publication'].id}"  # noqa: E731

CASES = [
    Case("showcase.index", "GET", lambda w, o: "/showcase", EVERYONE, EVERYONE, public=True),
    Case("showcase.feed", "GET", lambda w, o: "/showcase/feed.atom", EVERYONE, EVERYONE, public=True),
    Case("showcase.show", "GET", P, EVERYONE, EVERYONE, public=True, setup=_published),
    Case("showcase.file", "GET", lambda w, o: f"{P(w, o)}/files/{o['version'].files[0].id}", EVERYONE, EVERYONE,
         public=True, setup=_published),
    Case("showcase.save", "POST", D, DRAFTERS, setup=_draft, data=_form),
    Case("showcase.publish", "POST", lambda w, o: f"{D(w, o)}/publish", PARTNER, setup=_draft,
         data=lambda w, o: {"version": o["publication"].version}),
    Case("showcase.withdraw", "GET", lambda w, o: f"{D(w, o)}/withdraw", PARTNER, setup=_published),
    Case("showcase.withdraw", "POST", lambda w, o: f"{D(w, o)}/withdraw", PARTNER, setup=_published),
]
