"""workspace/contextlocal.py: the objects behind Flask's proxies, read without them (issue 19)."""
from flask import current_app, g, request
from flask_login import AnonymousUserMixin, current_user

from workspace.contextlocal import app_g, app_object, request_object, unproxied


def test_the_helpers_give_what_the_proxies_stand_for(app, world):
    with app.test_request_context("/projects/1?x=1"):
        g.marker = "here"
        assert app_g() is g._get_current_object() and app_g().marker == "here"
        assert app_object() is current_app._get_current_object()
        assert request_object() is request._get_current_object() and request_object().args["x"] == "1"
        assert isinstance(unproxied(current_user), AnonymousUserMixin)
        assert unproxied(world.student) is world.student


def test_outside_a_request_there_is_no_request_and_outside_an_app_context_nothing(app):
    import contextvars

    # the suite's own app context is open here: a command's view of things
    assert app_object() is app and app_g() is g._get_current_object() and request_object() is None
    # a thread or a fresh context without any: None, where the proxies would raise
    assert contextvars.Context().run(lambda: (app_g(), app_object(), request_object())) == (None, None, None)


def test_without_flasks_context_variables_the_proxies_answer(app, monkeypatch):
    """A Flask release without `_cv_app`/`_cv_request` (3.2 merges the request context): the same objects."""
    from workspace import contextlocal

    monkeypatch.setattr(contextlocal, "_cv_app", None)
    monkeypatch.setattr(contextlocal, "_cv_request", None)
    with app.test_request_context("/?y=2"):
        assert app_g() is g._get_current_object() and app_object() is current_app._get_current_object()
        assert request_object().args["y"] == "2"
    assert request_object() is None


def test_flask_babel_and_flask_login_find_their_state_without_the_proxies(app, client, world):
    """`install` put the proxy-free helpers in the libraries' place; they give what the originals give,
    in a request, in the suite's app context and outside any context."""
    import contextvars

    import flask_babel
    import flask_login.utils

    from workspace.contextlocal import ORIGINALS, babel_context, login_user_of_request

    assert flask_babel._get_current_context is babel_context
    assert flask_login.utils._get_user is login_user_of_request
    babel, login = ORIGINALS["_get_current_context"], ORIGINALS["_get_user"]
    with app.test_request_context("/"):
        assert babel_context() is babel() is g._flask_babel  # made once, then the same
        person = login_user_of_request()
        assert isinstance(person, AnonymousUserMixin) and login() is person is g._login_user
        flask_babel.refresh()
        assert flask_babel.get_locale() is not None
    assert babel_context() is babel() is not None and login_user_of_request() is login() is None
    assert contextvars.Context().run(lambda: (babel_context(), babel(), login_user_of_request(), login())) == (
        None, None, None, None)
    # a person logged in is the one both find, and the pages speak their language
    client.login(world.partner)
    response = client.get("/home")
    assert response.status_code == 200 and world.partner.name in response.get_data(as_text=True)
