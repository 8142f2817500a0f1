"""The main navigation, written once per kind of page and person (workspace/navigation.py): the same markup
as its template renders each time, with each request's own waiting count, bell and CSRF token."""
import re

import pytest

from workspace.extensions import db

from .factories import create_goal

NAV = re.compile(r'<nav aria-label="[^"]*">.*?</nav>', re.S)
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
HEADER_TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')


def _nav(html: str) -> str:
    found = NAV.findall(html)
    assert len(found) == 1, found
    return found[0]


@pytest.fixture
def kept(app, monkeypatch):
    """The navigation kept per kind of page (as in production: templates do not reload), emptied first."""
    monkeypatch.setattr(app.jinja_env, "auto_reload", False)
    app.extensions.pop("site_nav", None)
    yield app.extensions
    app.extensions.pop("site_nav", None)


@pytest.mark.parametrize("role", ["student", "partner", "teacher", "admin"])
@pytest.mark.parametrize("locale", ["en", "nl"])
def test_the_kept_navigation_is_what_the_template_renders(app, client, world, kept, monkeypatch, role, locale):
    person = getattr(world, role)
    person.locale = locale
    create_goal(world.project, world.student, title="Waits for the partner")  # a waiting count for someone
    db.session.commit()
    client.login(person)
    pages = ["/home", "/organisations/", "/organisations/themes", "/showcase", "/notifications",
             "/my-work", "/profile", f"/projects/{world.project.id}", "/questions", "/admin/users"]
    for page in pages:
        twice = [client.get(page) for _ in range(2)]  # written, then taken from what is kept
        monkeypatch.setattr(app.jinja_env, "auto_reload", True)  # the template, rendered for this request
        fresh = client.get(page)
        monkeypatch.setattr(app.jinja_env, "auto_reload", False)
        statuses = [r.status_code for r in (*twice, fresh)]
        assert len(set(statuses)) == 1 and statuses[0] in (200, 403), (page, statuses)  # refused pages have it too
        navs = []
        for response in (*twice, fresh):
            html = response.get_data(as_text=True)
            nav = _nav(html)
            # the logout form carries this request's token, the one the page's htmx requests send
            assert TOKEN.findall(nav) == HEADER_TOKEN.findall(html), page
            navs.append(TOKEN.sub('name="csrf_token" value="…"', nav))
        assert navs[0] == navs[1] == navs[2], page
    assert len(kept["site_nav"]) >= 8  # (and it was kept, per page)


WAITING = re.compile(r'<span id="waiting-badge"[^>]*>(?: <span class="badge-count">\d+</span>'
                     r'<span class="visually-hidden">[^<]*</span>)?</span>')


def test_each_request_puts_its_own_waiting_count_and_bell_in(client, world, kept):
    client.login(world.partner)
    before = _nav(client.get("/organisations/themes").get_data(as_text=True))
    assert "badge-count" not in WAITING.search(before).group(0)
    assert 'aria-current="page">Themes' in before
    waiting = [create_goal(world.project, world.student, title=f"Routes {n}") for n in range(2)]  # for the partner
    db.session.commit()
    after = _nav(client.get("/organisations/themes").get_data(as_text=True))
    assert '<span class="badge-count">2</span><span class="visually-hidden"> waiting for you</span>' in after
    assert WAITING.sub("", TOKEN.sub("", before)) == WAITING.sub("", TOKEN.sub("", after))  # the rest as it was
    home = _nav(client.get("/home").get_data(as_text=True))
    assert 'href="/home" aria-current="page"' in home and 'aria-current="page">Themes' not in home
    assert waiting


def test_what_a_person_may_see_decides_the_links(client, world, kept):
    client.login(world.student)
    student = _nav(client.get("/home").get_data(as_text=True))
    client.login(world.admin)
    admin = _nav(client.get("/home").get_data(as_text=True))
    assert 'href="/admin/users"' in admin and 'href="/admin/users"' not in student


def test_the_navigation_is_kept_per_language(app, client, world, kept, monkeypatch):
    client.login(world.student)
    english = _nav(client.get("/home").get_data(as_text=True))
    world.student.locale = "nl"
    db.session.commit()
    dutch = _nav(client.get("/home").get_data(as_text=True))
    monkeypatch.setattr(app.jinja_env, "auto_reload", True)
    rendered = _nav(client.get("/home").get_data(as_text=True))
    assert TOKEN.sub("", dutch) == TOKEN.sub("", rendered) != TOKEN.sub("", english)
    assert ">Log out</button>" in english and ">Log out</button>" not in dutch


@pytest.mark.parametrize("first, then", [("teacher", "admin"), ("admin", "teacher"), ("student", "teacher"),
                                         ("teacher", "student")])
def test_people_who_may_see_other_links_never_share_a_kept_navigation(app, client, world, kept, monkeypatch,
                                                                      first, then):
    navs = {}
    for role in (first, then, first):
        client.login(getattr(world, role))
        navs.setdefault(role, []).append(TOKEN.sub("", _nav(client.get("/showcase").get_data(as_text=True))))
    monkeypatch.setattr(app.jinja_env, "auto_reload", True)
    for role in (first, then):
        client.login(getattr(world, role))
        rendered = TOKEN.sub("", _nav(client.get("/showcase").get_data(as_text=True)))
        assert set(navs[role]) == {rendered}, role
    assert ('href="/admin/users"' in navs["admin"][0]) if "admin" in navs else True
