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
