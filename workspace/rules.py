"""Exceptions the service layer raises when a rule refuses an action; views turn them into answers."""


class Refused(Exception):
    """The rules do not allow this action now (e.g. approving your own proposal). Nothing changed.

    `status` is the HTTP answer: 409 for a state that does not allow the step, 403 for a person
    who may not take it, 422 for input that breaks a rule.
    """

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.message = message
        self.status = status


class StaleVersion(Exception):
    """The object changed since the form was opened: answer 409 and show the current version."""

    def __init__(self, current=None):
        super().__init__("stale version")
        self.current = current


def check_version(obj, submitted) -> None:
    """Compare the version a form was made from with the row's version (never assign it)."""
    try:
        submitted = int(submitted)
    except (TypeError, ValueError):
        raise StaleVersion(obj) from None
    if submitted != obj.version:
        raise StaleVersion(obj)
