"""Headers on every response, CSRF on every state change, friendly error pages."""
import logging

import pytest

from workspace.extensions import db
from workspace.models import Course


def _assert_security_headers(response):
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("path, htmx", [
    ("/login", False), ("/healthz", False), ("/no-such-page", False), ("/static/css/app.css", False),
    ("/projects/1", True),  # anonymous htmx: 401 fragment
])
def test_security_headers_on_every_kind_of_response(client, world, path, htmx):
    response = client.get(path, headers={"HX-Request": "true"} if htmx else {})
    _assert_security_headers(response)


def test_security_headers_on_errors_and_fragments_when_signed_in(client, world):
    client.login(world.student)
    for response in (client.get(f"/projects/{world.other_project.id}"),
                     client.get("/admin/users"),
                     client.post("/profile", data={"name": "x"}),
                     client.get("/home", headers={"HX-Request": "true"})):
        _assert_security_headers(response)


def test_pages_have_no_inline_script(client, world):
    client.login(world.teacher)
    for path in ("/home", f"/projects/{world.project.id}", f"/courses/{world.course.id}"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html and " on" + "click=" not in html and "style=" not in html
        assert "htmx-2.0.11.min.js" in html and "X-CSRFToken" in html


def test_state_change_without_csrf_token_is_refused_and_changes_nothing(client, world):
    client.login(world.teacher)
    response = client.post(f"/courses/{world.course.id}/edit", data={"name": "Hijacked"})
    assert response.status_code == 400
    assert "security token is missing" in response.get_data(as_text=True)
    assert db.session.get(Course, world.course.id).name == "Community Lab"


def test_htmx_csrf_failure_answers_with_a_short_fragment(client, world):
    client.login(world.teacher)
    response = client.post(f"/courses/{world.course.id}/edit", data={"name": "Hijacked"}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "<html" not in html and "Your form expired" in html


def test_csrf_token_in_the_htmx_header_is_accepted(client, world):
    client.login(world.teacher)
    token = client.csrf_token("/home")
    response = client.post(f"/courses/{world.course.id}/edit", data={"name": "Renamed by header"},
                           headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 303
    assert db.session.get(Course, world.course.id).name == "Renamed by header"


def test_unknown_id_gives_404_in_the_layout(client, world):
    client.login(world.teacher)
    response = client.get("/projects/999999")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "We could not find that page" in html and 'class="site-header"' in html


def test_non_numeric_id_is_404_not_500(client, world):
    client.login(world.teacher)
    assert client.get("/projects/abc").status_code == 404
    assert client.get("/courses/-1").status_code == 404


def test_server_error_shows_a_friendly_page_with_an_id_and_logs_it(client, world, monkeypatch, caplog):
    import workspace.main.routes as routes

    def broken(user):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(routes, "load_home", broken)
    client.login(world.student)
    with caplog.at_level(logging.ERROR):
        response = client.get("/home")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong" in html and "kaboom" not in html
    error_id = html.split("<code>")[1].split("</code>")[0]
    assert any(error_id in record.getMessage() and record.exc_info for record in caplog.records)
    _assert_security_headers(response)


def test_user_text_is_escaped(client, world):
    client.login(world.teacher)
    client.post_form(f"/courses/{world.course.id}/edit", {"name": "<script>alert(1)</script>"})
    html = client.get(f"/courses/{world.course.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
