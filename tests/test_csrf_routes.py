"""Every state-changing route refuses a request without a CSRF token (400, with a message the
htmx layer shows) and accepts the token in the X-CSRFToken header (figure 2).

The routes come from the permission cases (tests/cases/*.py), so a feature's new POST route is
walked as soon as it has its cases.
"""
import pytest

from .cases import all_cases

STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")
ROLE_ORDER = ("student", "partner", "teacher", "admin", "other_student", "other_partner", "other_teacher")
MESSAGE = "The page was open too long or the security token is missing. Reload the page and try again."


def allowed_role(case) -> str | None:
    """Who may use the route: anonymous for public routes, else the first signed-in role allowed."""
    if case.public and "anonymous" in case.allowed:
        return "anonymous"
    return next((role for role in ROLE_ORDER if role in case.allowed), None)


# The only routes without the token: the LTI login initiation and launch are posted by the learning
# platform's own pages, which cannot hold our token. The state cookie, the single-use nonce and the
# platform's signature on the launch protect them instead (workspace/lti/routes.py, tests/test_lti.py).
CSRF_EXEMPT = {"lti.login", "lti.launch"}
CASES = [case for case in all_cases() if case.method in STATE_CHANGING and case.endpoint not in CSRF_EXEMPT]


def test_only_the_lti_protocol_routes_are_exempt(app):
    csrf = app.extensions["csrf"]
    exempt = {endpoint for endpoint, view in app.view_functions.items()
              if f"{view.__module__}.{view.__name__}" in csrf._exempt_views
              or endpoint.partition(".")[0] in csrf._exempt_blueprints}
    assert exempt == CSRF_EXEMPT


def test_the_walk_finds_the_routes():
    assert len(CASES) > 10


def _request(client, case, world, objs, **kwargs):
    data = dict(case.data(world, objs)) if case.data else {}  # fresh: file objects are read once
    return client.open(case.url(world, objs), method=case.method, data=data, **kwargs)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_refused_without_token_and_accepted_with_the_header(client, world, case):
    objs = case.setup(world) if case.setup else {}
    role = allowed_role(case)  # None: nobody may use it; the refusal is still checked, as a student
    user = world.as_role(role or "student")
    if user is not None:
        client.login(user)

    plain = _request(client, case, world, objs)
    assert plain.status_code == 400, plain.get_data(as_text=True)[:500]
    page = plain.get_data(as_text=True)
    assert MESSAGE in page and "<html" in page

    fragment = _request(client, case, world, objs, headers={"HX-Request": "true"})
    assert fragment.status_code == 400
    html = fragment.get_data(as_text=True)
    assert MESSAGE in html and "<html" not in html and 'class="error-page"' in html

    if role is None:
        return
    token = client.csrf_token("/profile" if user is not None else "/login")
    accepted = _request(client, case, world, objs, headers={"X-CSRFToken": token})
    assert accepted.status_code < 400, f"{role}: {accepted.status_code}\n{accepted.get_data(as_text=True)[:2000]}"
