"""The public showcase: who publishes what and when, what the public sees (and never sees),
withdrawing (410), the Atom feed, browsing and search, and the panel on the deliverable's page."""
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

from workspace.extensions import db
from workspace.models import Activity, ConsentItem, Goal, OrganisationProfile
from workspace.models.base import utcnow
from workspace.models.showcase import Publication

from . import factories as f
from .cases.showcase import PDF, handed_over, publication

ATOM = "{http://www.w3.org/2005/Atom}"


def _panel_url(project, deliverable):
    return f"/projects/{project.id}/deliverables/{deliverable.id}/showcase"


def _verbs(deliverable):
    return db.session.scalars(db.select(Activity.verb).where(Activity.subject_type == "deliverable",
                                                            Activity.subject_id == deliverable.id)
                              .order_by(Activity.id)).all()


# ---- publishing through the panel -----------------------------------------------------------------

def test_the_team_drafts_the_partner_publishes_and_anyone_reads_it(client, world):
    deliverable, version = handed_over(world.project, world.student, world.partner, title="Courtyard guide")
    public_file, private_file = version.files
    link = version.links[0]
    db.session.commit()

    client.login(world.student)
    page = client.get(f"/projects/{world.project.id}/deliverables/{deliverable.id}").get_data(as_text=True)
    assert "Publish in the showcase" in page and "public-guide.pdf" in page
    assert "Only the partner publishes" in page
    response = client.post_form(_panel_url(world.project, deliverable), {
        "summary": "A guide residents use to green their courtyard.", "partner_word": "ignored for students",
        "files": [public_file.id], "links": [link.id], "version": ""})
    assert response.status_code == 303
    row = db.session.scalar(db.select(Publication))
    assert row.summary == "A guide residents use to green their courtyard." and row.partner_word == ""
    assert [x.id for x in row.files] == [public_file.id] and row.published_at is None
    assert client.get(f"/showcase/{row.id}").status_code == 404  # a draft is not public

    client.login(world.partner)
    response = client.post_form(_panel_url(world.project, deliverable), {
        "summary": row.summary, "partner_word": "The volunteers hand it out at every meeting.",
        "files": [public_file.id], "links": [link.id], "version": row.version}, htmx=True)
    assert response.status_code == 200 and '"announce"' in response.headers["HX-Trigger"]
    db.session.refresh(row)
    response = client.post_form(f"{_panel_url(world.project, deliverable)}/publish", {"version": row.version},
                                htmx=True)
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert "Published" in fragment and f"/showcase/{row.id}" in fragment and "Withdraw from the showcase" in fragment
    assert _verbs(deliverable) == ["edited_publication", "edited_publication", "published"]

    client.logout()
    listing = client.get("/showcase").get_data(as_text=True)
    assert "Courtyard guide" in listing
    response = client.get(f"/showcase/{row.id}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
    for text in ("Courtyard guide", "A guide residents use", "The volunteers hand it out", "Residents", "Dutch",
                 "Flyers", "public-guide.pdf", "https://example.org/guide", world.project.organisation.name):
        assert text in body
    assert "private-notes.txt" not in body and f"/projects/{world.project.id}/files" not in body
    assert '<meta property="og:title" content="Courtyard guide">' in body
    assert f'<meta property="og:url" content="http://localhost/showcase/{row.id}">' in body
    download = client.get(f"/showcase/{row.id}/files/{public_file.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Security-Policy"].endswith("sandbox")
    assert client.get(f"/showcase/{row.id}/files/{private_file.id}").status_code == 404


def test_the_panel_says_why_it_cannot_be_published_and_publishing_is_refused(client, world):
    draft_one = f.create_deliverable(world.project, title="Still a draft")
    deliverable, _version = handed_over(world.project, world.student, world.partner, consent="undecided")
    publication(deliverable, _version, live=False)
    db.session.commit()
    client.login(world.partner)
    page = client.get(f"/projects/{world.project.id}/deliverables/{draft_one.id}").get_data(as_text=True)
    assert "It is not handed over yet" in page and "Files and links can be made public once" in page
    page = client.get(f"/projects/{world.project.id}/deliverables/{deliverable.id}").get_data(as_text=True)
    assert "has not yet decided in the agreement whether results may be published" in page
    assert "Publish in the showcase</button>" not in page

    row = db.session.scalar(db.select(Publication))
    response = client.post_form(f"{_panel_url(world.project, deliverable)}/publish", {"version": row.version})
    assert response.status_code == 409
    assert "has not yet decided in the agreement" in response.get_data(as_text=True)
    db.session.refresh(row)
    assert row.published_at is None

    item = db.session.scalar(db.select(ConsentItem).where(ConsentItem.kind == "publish_results"))
    item.state = "withheld"
    db.session.commit()
    page = client.get(f"/projects/{world.project.id}/deliverables/{deliverable.id}").get_data(as_text=True)
    assert "withheld consent to publish results" in page


def test_the_teacher_reads_the_panel_without_a_form(client, world):
    deliverable, version = handed_over(world.project, world.student, world.partner)
    publication(deliverable, version)
    db.session.commit()
    client.login(world.teacher)
    page = client.get(f"/projects/{world.project.id}/deliverables/{deliverable.id}").get_data(as_text=True)
    assert "Publish in the showcase" in page and "the public page" in page
    assert "Save the showcase text" not in page and "Withdraw from the showcase" not in page


def test_without_an_agreement_the_panel_says_so(client, world):
    deliverable, _version = handed_over(world.project, world.student, world.partner, consent=None)
    db.session.commit()
    client.login(world.student)
    page = client.get(f"/projects/{world.project.id}/deliverables/{deliverable.id}").get_data(as_text=True)
    assert "The project has no agreement yet" in page


def test_publishing_needs_a_summary(client, world):
    deliverable, version = handed_over(world.project, world.student, world.partner)
    row = publication(deliverable, version, summary="", live=False)
    db.session.commit()
    client.login(world.partner)
    response = client.post_form(f"{_panel_url(world.project, deliverable)}/publish", {"version": row.version})
    assert response.status_code == 422 and "Write a short summary first" in response.get_data(as_text=True)


def test_once_published_only_the_partner_changes_the_text(client, world):
    deliverable, version = handed_over(world.project, world.student, world.partner)
    row = publication(deliverable, version)
    db.session.commit()
    client.login(world.student)
    page = client.get(f"/projects/{world.project.id}/deliverables/{deliverable.id}").get_data(as_text=True)
    assert "Published results are changed by the partner only" in page
    response = client.post_form(_panel_url(world.project, deliverable),
                                {"summary": "Changed by a student", "version": row.version})
    assert response.status_code == 403 and "only the partner changes" in response.get_data(as_text=True)
    db.session.refresh(row)
    assert row.summary.startswith("A guide residents use")


def test_bad_input_is_422_with_the_text_kept_and_a_stale_edit_409(client, world):
    deliverable, version = handed_over(world.project, world.student, world.partner)
    row = publication(deliverable, version, live=False)
    db.session.commit()
    client.login(world.partner)
    response = client.post_form(_panel_url(world.project, deliverable),
                                {"summary": "x" * 1300, "partner_word": "Kept words", "version": row.version},
                                htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "Kept words" in body and 'aria-invalid="true"' in body
    response = client.post_form(_panel_url(world.project, deliverable),
                                {"summary": "A new summary", "files": [999999], "version": row.version})
    assert response.status_code == 422
    response = client.post_form(_panel_url(world.project, deliverable),
                                {"summary": "My stale summary", "version": row.version - 1})
    body = response.get_data(as_text=True)
    assert response.status_code == 409 and "My stale summary" in body and "changed the showcase text" in body
    db.session.refresh(row)
    assert row.summary.startswith("A guide residents use")


def test_withdrawing_answers_410_and_drops_it_everywhere(client, world):
    deliverable, version = handed_over(world.project, world.student, world.partner, title="Withdrawn guide")
    row = publication(deliverable, version)
    stays, stays_version = handed_over(world.project, world.student, world.partner, title="Staying guide",
                                       consent=None)
    publication(stays, stays_version)
    db.session.commit()
    client.login(world.partner)
    confirm = client.get(f"{_panel_url(world.project, deliverable)}/withdraw").get_data(as_text=True)
    assert "Withdraw Withdrawn guide from the showcase?" in confirm
    response = client.post_form(f"{_panel_url(world.project, deliverable)}/withdraw", {})
    assert response.status_code == 303 and response.headers["Location"].endswith("#showcase")
    assert "withdrew_publication" in _verbs(deliverable)

    client.logout()
    gone = client.get(f"/showcase/{row.id}")
    assert gone.status_code == 410 and "no longer published" in gone.get_data(as_text=True)
    assert client.get(f"/showcase/{row.id}/files/{version.files[0].id}").status_code == 410
    for url in ("/showcase", "/showcase?q=Withdrawn", "/showcase/feed.atom"):
        body = client.get(url).get_data(as_text=True)
        assert "Staying guide" in body or "q=" in url
        assert "Withdrawn guide" not in body.replace("q=Withdrawn", "")


def test_withdrawing_the_consent_in_the_agreement_withdraws_every_publication(client, world):
    first, v1 = handed_over(world.project, world.student, world.partner, title="First result")
    second, v2 = handed_over(world.project, world.student, world.partner, title="Second result", consent=None)
    rows = [publication(first, v1), publication(second, v2)]
    db.session.commit()
    item = db.session.scalar(db.select(ConsentItem).where(ConsentItem.kind == "publish_results"))
    client.login(world.partner)
    response = client.post_form(f"/projects/{world.project.id}/agreement/consent/{item.id}/decide",
                                {"state": "withheld", "version": item.version})
    assert response.status_code == 303
    for row in rows:
        db.session.refresh(row)
        assert row.withdrawn_at is not None
        assert client.get(f"/showcase/{row.id}").status_code == 410
    assert "withdrew_publication" in _verbs(second)
    assert "First result" not in client.get("/showcase").get_data(as_text=True)


# ---- nothing else is public -------------------------------------------------------------------------

def _crawl(client, start="/showcase"):
    """Every page and file reachable from the showcase without logging in, with the answers."""
    seen, queue, answers = set(), [start, "/showcase/feed.atom"], {}
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        answers[url] = response
        if response.mimetype not in ("text/html", "application/atom+xml"):
            continue
        for href in re.findall(r'href="([^"]+)"', response.get_data(as_text=True)):
            href = urljoin("http://localhost" + url, href.replace("&amp;", "&"))
            parts = urlsplit(href)
            assert not parts.path.startswith(("/projects", "/organisations", "/courses")), f"{href} linked at {url}"
            if parts.netloc == "localhost" and parts.path.startswith("/showcase"):
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return answers


def test_a_walk_of_every_public_url_finds_only_published_results(client, world):
    world.project.problem_statement = "SECRET-PROBLEM families wait for hours"
    profile = OrganisationProfile(organisation_id=world.project.organisation_id, contacts="Petra, chair, petra@org.example")
    db.session.add(profile)
    f.create_goal(world.project, world.student, title="SECRET-GOAL shorter queues")
    shown, shown_version = handed_over(world.project, world.student, world.partner, title="Public result",
                                       description="SECRET-DESCRIPTION internal notes")
    shown_version.reviews[0].comment = "SECRET-REVIEW the partner's comment"
    row = publication(shown, shown_version)
    withdrawn, withdrawn_version = handed_over(world.project, world.student, world.partner, title="SECRET-WITHDRAWN",
                                               consent=None)
    gone = publication(withdrawn, withdrawn_version, withdrawn=True)
    drafted, drafted_version = handed_over(world.project, world.student, world.partner, title="SECRET-DRAFTED",
                                           consent=None)
    draft = publication(drafted, drafted_version, live=False)
    # Published once, but the other project's partner never consented (no agreement): never public.
    other, other_version = handed_over(world.other_project, world.other_student, world.other_partner,
                                       title="SECRET-NO-CONSENT", consent="withheld")
    unconsented = publication(other, other_version)
    not_handed, not_handed_version = handed_over(world.other_project, world.other_student, world.other_partner,
                                                 title="SECRET-NOT-HANDED-OVER", consent=None)
    not_handed.state = "approved"
    unhanded = publication(not_handed, not_handed_version)
    db.session.commit()

    answers = _crawl(client)
    assert f"/showcase/{row.id}" in answers and f"/showcase/{row.id}/files/{shown_version.files[0].id}" in answers
    assert len([url for url in answers if re.fullmatch(r"/showcase/\d+", url)]) == 1
    users = [world.student, world.partner, world.teacher, world.admin, world.other_student, world.other_partner]
    forbidden = ["SECRET", "private-notes.txt", "petra", "@example.org", "internal notes",
                 *(user.name for user in users), *(user.email for user in users)]
    for url, response in answers.items():
        assert response.status_code == 200, url
        body = response.get_data(as_text=True) if response.mimetype != "application/pdf" else ""
        for text in forbidden:
            assert text not in body, f"{text!r} is public at {url}"

    # Changing ids reaches nothing else: every publication and every file, under every publication.
    files = [file for version in (shown_version, withdrawn_version, drafted_version, other_version,
                                  not_handed_version) for file in version.files]
    expected = {row.id: 200, gone.id: 410, draft.id: 404, unconsented.id: 404, unhanded.id: 404, 9999: 404}
    for publication_id, status in expected.items():
        assert client.get(f"/showcase/{publication_id}").status_code == status
        for file in files:
            answer = client.get(f"/showcase/{publication_id}/files/{file.id}").status_code
            public = publication_id == row.id and file.id == shown_version.files[0].id
            was_public = publication_id == gone.id and file.id == withdrawn_version.files[0].id
            assert answer == (200 if public else 410 if was_public else 404), (publication_id, file.original_name)
    assert db.session.scalar(db.select(db.func.count()).select_from(Goal)) == 1


# ---- browsing, search, feed --------------------------------------------------------------------------

def _published_in(project, title, when=None, summary="A summary.", theme_org=None):
    student, partner = f.create_user(), f.create_user()
    deliverable, version = handed_over(project, student, partner, title=title, consent=None)
    row = publication(deliverable, version, summary=summary)
    if when:
        row.published_at = row.updated_at = when
    db.session.flush()
    return row


def test_browse_by_theme_organisation_course_and_year_and_search_escaped(client, world):
    green = f.create_organisation("Green City", themes="Climate, housing")
    food = f.create_organisation("Food Bank", themes="food security, poverty")
    lab, cities = f.create_course("Lab", term="2025"), f.create_course("Cities", term="2026")
    p1 = f.create_project(lab, green, students=[f.create_user()], partners=[f.create_user()])
    p2 = f.create_project(cities, food, students=[f.create_user()], partners=[f.create_user()])
    for project in (p1, p2):
        item = next(c for c in f.create_agreement(project).consent_items if c.kind == "publish_results")
        item.state = "given"
    _published_in(p1, "Rain gardens", datetime(2025, 5, 1, tzinfo=timezone.utc), summary="Gardens that hold 100% of rain")
    _published_in(p2, "Fair queues", datetime(2026, 3, 1, tzinfo=timezone.utc), summary="Shorter waits_for families")
    db.session.commit()

    def titles(query):
        body = client.get(f"/showcase{query}").get_data(as_text=True)
        return {title for title in ("Rain gardens", "Fair queues") if f">{title}</a>" in body}

    assert titles("") == {"Rain gardens", "Fair queues"}
    assert titles("?theme=climate") == {"Rain gardens"}
    assert titles("?theme=clim") == set()  # whole themes, not parts of words
    assert titles("?theme=poverty") == {"Fair queues"}
    assert titles(f"?organisation={food.id}") == {"Fair queues"}
    assert titles(f"?course={lab.id}") == {"Rain gardens"}
    assert titles("?year=2026") == {"Fair queues"}
    assert titles("?q=GARDENS") == {"Rain gardens"}
    assert titles("?q=100%25") == {"Rain gardens"}
    assert titles("?q=%25") == {"Rain gardens"}  # a percent sign is a character, not a wildcard
    assert titles("?q=s_for") == {"Fair queues"}
    assert titles("?q=a_b") == set()
    assert titles("?year=abc&organisation=x") == {"Rain gardens", "Fair queues"}
    body = client.get("/showcase?q=nothing-like-this").get_data(as_text=True)
    assert "No published results match" in body
    page = client.get("/showcase").get_data(as_text=True)
    assert '<option value="climate">' in page and '<option value="2025">' in page

    # An organisation that does not share its themes is not found by them.
    db.session.add(OrganisationProfile(organisation_id=green.id, share_themes=False))
    db.session.commit()
    assert titles("?theme=climate") == set()
    assert "climate" not in client.get("/showcase").get_data(as_text=True)


def test_the_list_is_paginated_in_a_fixed_number_of_queries(client, world, app, count_queries):
    app.config["PAGE_SIZE"] = 3
    try:
        def count():
            with count_queries() as statements:
                assert client.get("/showcase").status_code == 200
            return len(statements)

        projects = []
        for n in range(2):
            project = f.create_project(organisation=f.create_organisation(themes=f"theme {n}"),
                                       students=[f.create_user()], partners=[f.create_user()])
            item = next(c for c in f.create_agreement(project).consent_items if c.kind == "publish_results")
            item.state = "given"
            projects.append(project)
        _published_in(projects[0], "Result A")
        db.session.commit()
        few = count()
        for n in range(6):
            _published_in(projects[n % 2], f"Result {n}")
        db.session.commit()
        assert count() == few
        body = client.get("/showcase?theme=theme+0").get_data(as_text=True)  # 4 results
        assert body.count('class="card"') == 3 and 'rel="next"' in body and "theme=theme+0" in body
        assert client.get("/showcase?page=3").get_data(as_text=True).count('class="card"') == 1
    finally:
        app.config["PAGE_SIZE"] = 25


def test_the_atom_feed_is_valid_and_escaped(client, world):
    item = next(c for c in f.create_agreement(world.project).consent_items if c.kind == "publish_results")
    item.state = "given"
    row = _published_in(world.project, "Tips & <tricks>", summary="Use \"quotes\" & <b>bold</b>")
    withdrawn = _published_in(world.project, "Gone result")
    withdrawn.withdrawn_at = utcnow()
    db.session.commit()
    response = client.get("/showcase/feed.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{name}") is not None
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 1
    entry = entries[0]
    assert entry.find(f"{ATOM}title").text == "Tips & <tricks>"
    assert entry.find(f"{ATOM}summary").text == "Use \"quotes\" & <b>bold</b>"
    assert entry.find(f"{ATOM}link").get("href") == f"http://localhost/showcase/{row.id}"
    assert datetime.fromisoformat(entry.find(f"{ATOM}updated").text).tzinfo is not None
    assert b"<b>" not in response.data
    page = client.get(f"/showcase/{row.id}").get_data(as_text=True)
    assert '<meta property="og:title" content="Tips &amp; &lt;tricks&gt;">' in page
    assert '<meta property="og:description" content="Use &#34;quotes&#34; &amp; &lt;b&gt;bold&lt;/b&gt;">' in page


def test_in_dutch_for_a_dutch_browser(client, world):
    body = client.get("/showcase", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert 'lang="nl"' in body and "Etalage" in body and "Nog geen resultaten gepubliceerd" in body


def test_the_showcase_is_linked_from_the_login_page_the_navigation_and_the_organisation(client, world):
    assert 'href="/showcase"' in client.get("/login").get_data(as_text=True)
    client.login(world.partner)
    home = client.get("/home").get_data(as_text=True)
    assert re.search(r'<li><a href="/showcase"', home)
    page = client.get(f"/organisations/{world.project.organisation_id}").get_data(as_text=True)
    assert f'href="/showcase?organisation={world.project.organisation_id}"' in page


def test_a_withdrawn_result_can_be_published_again_by_the_partner(client, world):
    deliverable, version = handed_over(world.project, world.student, world.partner)
    row = publication(deliverable, version, withdrawn=True)
    db.session.commit()
    client.logout()
    assert client.get(f"/showcase/{row.id}").status_code == 410
    client.login(world.partner)
    page = client.get(f"/projects/{world.project.id}/deliverables/{deliverable.id}").get_data(as_text=True)
    assert "Withdrawn" in page and "Publish in the showcase</button>" in page
    response = client.post_form(f"{_panel_url(world.project, deliverable)}/publish", {"version": row.version})
    assert response.status_code == 303
    db.session.refresh(row)
    assert row.withdrawn_at is None and row.live
    client.logout()
    assert client.get(f"/showcase/{row.id}").status_code == 200
    response = client.post_form(f"{_panel_url(world.project, deliverable)}/withdraw", {}, token_from="/login")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
