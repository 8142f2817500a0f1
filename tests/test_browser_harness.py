"""The browser tests' live server: a response whose connection drops is still closed.

A browser leaving a page can drop the connection while a static file is being sent; when Werkzeug's
server then fails again reading the rest of the socket, it never closes the response, and the open
file became a ResourceWarning (an error in this suite) in an unrelated browser test.
"""
from tests.browser.conftest import RESPONSE_KEY, _closable, _QuietHandler


class Body:
    def __init__(self):
        self.closed = 0

    def __iter__(self):
        return iter([b"part one", b"part two"])

    def close(self):
        self.closed += 1


def test_a_response_is_closed_once_however_its_request_ended(monkeypatch):
    import pytest
    from werkzeug.serving import WSGIRequestHandler

    body = Body()
    environ = {}
    served = _closable(lambda environ, start_response: body)(environ, lambda *args: None)
    assert list(served) == [b"part one", b"part two"]
    assert environ[RESPONSE_KEY] is served

    def dropped(handler):  # Werkzeug's server failing on the socket before it closed the response
        raise ConnectionResetError("the browser left")

    monkeypatch.setattr(WSGIRequestHandler, "run_wsgi", dropped)
    handler = _QuietHandler.__new__(_QuietHandler)  # no socket needed
    handler.environ = environ
    with pytest.raises(ConnectionResetError):
        handler.run_wsgi()
    assert body.closed == 1
    served.close()  # Werkzeug closes it too when it gets that far: the body is closed once
    assert body.closed == 1


def test_a_request_that_never_reached_the_app_has_nothing_to_close(monkeypatch):
    from werkzeug.serving import WSGIRequestHandler

    monkeypatch.setattr(WSGIRequestHandler, "run_wsgi", lambda handler: None)
    handler = _QuietHandler.__new__(_QuietHandler)
    handler.run_wsgi()  # no environ yet
    handler.environ = {}
    handler.run_wsgi()


def test_a_body_without_close_is_served_as_it_is():
    environ = {}
    served = _closable(lambda environ, start_response: [b"plain"])(environ, lambda *args: None)
    served.close()
    assert list(served) == [b"plain"]
