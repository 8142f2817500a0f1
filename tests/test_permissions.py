"""Every route declares a rule, and every route × method × role gets the answer the policy gives."""
import pytest

from .cases import ROLES, all_cases

CASES = all_cases()
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def test_every_view_declares_a_permission_rule(app):
    missing = [
        rule.rule for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and not hasattr(app.view_functions[rule.endpoint], "permission")
    ]
    assert missing == []


def test_the_matrix_covers_every_route_and_method(app):
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules() if rule.endpoint != "static"
        for method in rule.methods - IGNORED_METHODS
    }
    covered = {(case.endpoint, case.method) for case in CASES}
    assert routes - covered == set(), "routes without permission cases"
    assert covered - routes == set(), "cases for routes that do not exist"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_permission_matrix(client, world, case, role):
    objs = case.setup(world) if case.setup else {}
    url = case.url(world, objs)
    user = world.as_role(role)
    if user is not None:
        client.login(user)
    if case.method == "GET":
        response = client.get(url)
    else:
        data = dict(case.data(world, objs)) if case.data else {}
        response = client.post_form(url, data, token_from="/home" if user else "/login")
    status = response.status_code
    body = response.get_data(as_text=True)
    assert status < 500, body
    if role in case.allowed:
        assert 200 <= status < 400, f"{role} should be allowed: got {status}\n{body[:2000]}"
        if case.expect:
            case.expect(response, role)
    elif user is None:
        assert status == 302 and "/login" in response.headers["Location"], status
    elif role not in case.visible:
        assert status == 404, f"{role} should not see it: got {status}"
    else:
        assert status == 403, f"{role} sees it but may not act: got {status}"
