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


def test_a_dropped_connection_closes_the_response_once():
    body = Body()
    environ = {}
    served = _closable(lambda environ, start_response: body)(environ, lambda *args: None)
    assert list(served) == [b"part one", b"part two"]
    assert environ[RESPONSE_KEY] is served

    handler = _QuietHandler.__new__(_QuietHandler)  # connection_dropped needs no socket
    handler.connection_dropped(ConnectionResetError(), environ)
    assert body.closed == 1
    served.close()  # Werkzeug closes it too when it gets that far: the body is closed once
    assert body.closed == 1


def test_a_connection_dropped_before_the_app_answered_has_nothing_to_close():
    handler = _QuietHandler.__new__(_QuietHandler)
    handler.connection_dropped(ConnectionResetError(), None)
    handler.connection_dropped(ConnectionResetError(), {})


def test_a_body_without_close_is_served_as_it_is():
    environ = {}
    served = _closable(lambda environ, start_response: [b"plain"])(environ, lambda *args: None)
    served.close()
    assert list(served) == [b"plain"]
