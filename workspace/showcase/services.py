"""The rules of the public showcase. Views call these; each flushes and records activity, never commits.

- Students and partners draft the summary and choose which files and links of the approved version
  are public; once the result is published only a partner changes it (the public sees their words).
- Only a partner publishes, and only a handed-over deliverable whose project's agreement has the
  consent to publish results given. `blockers()` says why not, in the panel and in the refusal.
- A partner withdraws at any time; withdrawing the consent in the agreement withdraws every
  publication of the project (`on_activity`).
- What the public sees is `public_query()`: published, not withdrawn, handed over, consent given.
"""
from datetime import datetime, timezone

from flask_babel import gettext as _
from sqlalchemy import exists, func, or_, true

from ..activity import LISTENERS, record
from ..extensions import db
from ..models import (Agreement, ConsentItem, Course, Deliverable, DeliverableVersion, Organisation,
                      OrganisationProfile, Project, Review, StoredFile, VersionLink)
from ..models.base import utcnow
from ..models.deliverable import APPROVED, HANDED_OVER
from ..models.showcase import Publication
from ..policy import project_role
from ..rules import Refused, check_version

PUBLISH_CONSENT = "publish_results"


# ---- reading ------------------------------------------------------------------------------------

def consent_state(project) -> str:
    """'given', 'undecided', 'withheld', 'withdrawn', or 'none' when the project has no agreement yet."""
    row = db.session.execute(
        db.select(ConsentItem.state, ConsentItem.withdrawn).join(Agreement)
        .where(Agreement.project_id == project.id, ConsentItem.kind == PUBLISH_CONSENT)
    ).first()
    if row is None:
        return "none"
    if row.state == "withheld" and row.withdrawn:
        return "withdrawn"
    return row.state


def blockers(deliverable, consent: str) -> list[str]:
    """Why this deliverable cannot be published now, in words the panel shows (empty: it can)."""
    reasons = []
    if deliverable.state != HANDED_OVER:
        reasons.append(_("It is not handed over yet: results are published once the partner has ticked the "
                         "whole handover checklist."))
    reasons.extend({
        "none": [_("The project has no agreement yet, so the partner has not consented to publishing results.")],
        "undecided": [_("The partner has not yet decided in the agreement whether results may be published.")],
        "withheld": [_("The partner withheld consent to publish results in the agreement.")],
        "withdrawn": [_("The partner withdrew consent to publish results in the agreement.")],
    }.get(consent, []))
    return reasons


def approved_version(deliverable) -> DeliverableVersion | None:
    """The latest version the partner approved: the one whose files and links may be made public."""
    return db.session.scalar(
        db.select(DeliverableVersion).join(Review)
        .where(DeliverableVersion.deliverable_id == deliverable.id, Review.decision == APPROVED)
        .order_by(DeliverableVersion.number.desc()).limit(1)
    )


def publication_of(deliverable) -> Publication | None:
    return db.session.scalar(db.select(Publication).where(Publication.deliverable_id == deliverable.id))


def _consent_given():
    return exists().where(Agreement.project_id == Deliverable.project_id, ConsentItem.agreement_id == Agreement.id,
                          ConsentItem.kind == PUBLISH_CONSENT, ConsentItem.state == "given")


def _themes_shared():
    return or_(OrganisationProfile.organisation_id.is_(None), OrganisationProfile.share_themes == true())


def public_query(q: str = "", theme: str = "", organisation_id=None, course_id=None, year=None):
    """Publications the public may see, newest first, with the filters of the showcase page."""
    query = (db.select(Publication).join(Publication.deliverable).join(Deliverable.project)
             .join(Project.organisation).join(Project.course)
             .outerjoin(OrganisationProfile, OrganisationProfile.organisation_id == Organisation.id)
             .where(Publication.published_at.is_not(None), Publication.withdrawn_at.is_(None),
                    Deliverable.state == HANDED_OVER, _consent_given()))
    if q:
        needle = q.lower()
        query = query.where(or_(func.lower(Deliverable.title).contains(needle, autoescape=True),
                                func.lower(Publication.summary).contains(needle, autoescape=True)))
    if theme:
        # Themes are kept as "a, b, c": compare whole items, not parts of words.
        items = "," + func.replace(func.replace(func.lower(Organisation.themes), ", ", ","), " ,", ",") + ","
        query = query.where(_themes_shared(), items.contains(f",{theme.lower()},", autoescape=True))
    if organisation_id:
        query = query.where(Organisation.id == organisation_id)
    if course_id:
        query = query.where(Course.id == course_id)
    if year:
        start = datetime(year, 1, 1, tzinfo=timezone.utc)
        query = query.where(Publication.published_at >= start,
                            Publication.published_at < start.replace(year=year + 1))
    return query.order_by(Publication.published_at.desc(), Publication.id.desc())


def facets() -> dict:
    """What the showcase can be browsed by, as (value, text) pairs: only themes, organisations, courses
    and years with results."""
    base = public_query().order_by(None)
    orgs = db.session.execute(
        base.with_only_columns(Organisation.id, Organisation.name, Organisation.themes,
                               OrganisationProfile.share_themes).distinct().order_by(Organisation.name)
    ).all()
    courses = db.session.execute(
        base.with_only_columns(Course.id, Course.name, Course.term).distinct().order_by(Course.name, Course.term)
    ).all()
    dates = db.session.scalars(base.with_only_columns(Publication.published_at)).all()
    themes = sorted({theme.strip().lower() for org in orgs if org.share_themes is not False
                     for theme in org.themes.split(",") if theme.strip()})
    return {"organisations": [(org.id, org.name) for org in orgs], "themes": [(theme, theme) for theme in themes],
            "courses": [(c.id, f"{c.name} ({c.term})" if c.term else c.name) for c in courses],
            "years": [(year, year) for year in sorted({when.year for when in dates}, reverse=True)]}


def shown_themes(organisation) -> list[str]:
    """The organisation's themes, unless it chose not to share them."""
    profile = getattr(organisation, "profile", None)
    return [] if profile is not None and not profile.share_themes else organisation.theme_list


def public_publication(publication_id) -> tuple[Publication | None, int]:
    """A publication for its public page: (publication, 200), (None, 410) when withdrawn, (None, 404)."""
    publication = db.session.scalar(public_query().where(Publication.id == publication_id))
    if publication is not None:
        return publication, 200
    was_public = db.session.scalar(db.select(Publication.id).where(
        Publication.id == publication_id, Publication.withdrawn_at.is_not(None)))
    return None, 410 if was_public else 404


def public_file(publication_id, file_id) -> tuple[StoredFile | None, int]:
    """A file marked public in a public publication; 410 for one of a withdrawn result, else 404."""
    marked = (db.select(StoredFile).join(Publication.files).join(Publication.deliverable)
              .where(Publication.id == publication_id, StoredFile.id == file_id,
                     StoredFile.project_id == Deliverable.project_id))
    stored = db.session.scalar(marked.where(
        Publication.published_at.is_not(None), Publication.withdrawn_at.is_(None),
        Deliverable.state == HANDED_OVER, _consent_given()))
    if stored is not None:
        return stored, 200
    gone = db.session.scalar(marked.where(Publication.withdrawn_at.is_not(None)).with_only_columns(StoredFile.id))
    return None, 410 if gone else 404


# ---- changing -----------------------------------------------------------------------------------

def _require(actor, deliverable, roles, message) -> str:
    role = project_role(actor, deliverable.project)
    if role not in roles:
        raise Refused(message, 403)
    return role


def save_draft(actor, deliverable, submitted_version, summary: str, partner_word: str,
               file_ids, link_ids) -> Publication:
    """Students and partners draft the summary and choose what is public; the partner's word is the partner's."""
    role = _require(actor, deliverable, ("student", "partner"),
                    _("Only the team and the partner prepare a result for the showcase."))
    publication = publication_of(deliverable)
    is_new = publication is None
    if is_new:
        publication = Publication(deliverable=deliverable, files=[], links=[])
        db.session.add(publication)
    else:
        check_version(publication, submitted_version)
    if publication.live and role != "partner":
        raise Refused(_("This result is published: only the partner changes what the public reads."), 403)
    version = approved_version(deliverable)
    files = [f for f in (version.files if version else []) if f.id in set(file_ids or ())]
    links = [link for link in (version.links if version else []) if link.id in set(link_ids or ())]
    before = {"summary": publication.summary, "partner_word": publication.partner_word,
              "files": [f.id for f in publication.files], "links": [link.id for link in publication.links]}
    publication.summary = summary or ""
    if role == "partner":
        publication.partner_word = partner_word or ""
    publication.files, publication.links = files, links
    publication.updated_at = utcnow()
    db.session.flush()
    record(actor, "edited_publication", deliverable,
           _("%(name)s edited the showcase text of %(title)s", name=actor.name, title=deliverable.title),
           project=deliverable.project, before=None if is_new else before)
    return publication


def publish(actor, deliverable, submitted_version) -> Publication:
    """A partner publishes the result in the showcase, when handed over and consented."""
    _require(actor, deliverable, ("partner",), _("Only the partner publishes results in the showcase."))
    publication = publication_of(deliverable)
    if publication is None:
        raise Refused(_("Write a short summary first, then publish."), 422)
    check_version(publication, submitted_version)
    if publication.live:
        raise Refused(_("This result is published already."))
    reasons = blockers(deliverable, consent_state(deliverable.project))
    if reasons:
        raise Refused(" ".join(reasons))
    if not publication.summary.strip():
        raise Refused(_("Write a short summary first, then publish."), 422)
    publication.published_at, publication.published_by_id = utcnow(), actor.id
    publication.withdrawn_at = publication.withdrawn_by_id = None
    publication.updated_at = utcnow()
    db.session.flush()
    record(actor, "published", deliverable,
           _("%(name)s published %(title)s in the public showcase", name=actor.name, title=deliverable.title),
           project=deliverable.project)
    return publication


def withdraw(actor, deliverable, submitted_version=None) -> Publication:
    """A partner takes the result out of the showcase; its page then answers 410 Gone."""
    _require(actor, deliverable, ("partner",), _("Only the partner withdraws results from the showcase."))
    publication = publication_of(deliverable)
    if publication is None or not publication.live:
        raise Refused(_("This result is not published."))
    if submitted_version is not None:
        check_version(publication, submitted_version)
    _withdraw(actor, publication)
    record(actor, "withdrew_publication", deliverable,
           _("%(name)s withdrew %(title)s from the public showcase", name=actor.name, title=deliverable.title),
           project=deliverable.project)
    return publication


def _withdraw(actor, publication) -> None:
    publication.withdrawn_at, publication.withdrawn_by_id = utcnow(), actor.id if actor else None
    publication.updated_at = utcnow()
    db.session.flush()


def on_activity(entry, subject, project, actor) -> None:
    """Consent to publish withdrawn (or withheld) in the agreement: every live publication goes with it."""
    if not isinstance(subject, ConsentItem) or subject.kind != PUBLISH_CONSENT or subject.state == "given":
        return
    live = db.session.scalars(
        db.select(Publication).join(Publication.deliverable)
        .where(Deliverable.project_id == subject.agreement.project_id, Publication.published_at.is_not(None),
               Publication.withdrawn_at.is_(None))
    ).all()
    for publication in live:
        _withdraw(actor, publication)
        record(actor, "withdrew_publication", publication.deliverable,
               _("%(title)s is withdrawn from the public showcase: the consent to publish results was withdrawn",
                 title=publication.deliverable.title), project=publication.deliverable.project)


LISTENERS.append(on_activity)
