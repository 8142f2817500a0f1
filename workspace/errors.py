"""Error pages in the site's layout: 404, 403, 413, CSRF failures and a friendly 500 with an id."""

from flask import g, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from .extensions import db, login_manager
from .i18n import N_
from .ops.logs import current_request_id

MESSAGES = {
    400: N_("The request could not be understood."),
    403: N_("You do not have permission to do this."),
    404: N_("We could not find that page. It may have been removed, or you may not have access to it."),
    405: N_("This action is not available here."),
    410: N_("This link is no longer valid."),
    413: N_("The upload is too large."),
    429: N_("Too many attempts. Please wait a moment and try again."),
}
TITLES = {
    400: N_("Bad request"),
    403: N_("Not allowed"),
    404: N_("Page not found"),
    405: N_("Not available"),
    410: N_("Link no longer valid"),
    413: N_("Upload too large"),
    429: N_("Too many attempts"),
}


def _page(status: int, title: str, message: str, error_id: str | None = None):
    template = "errors/_error.html" if request.headers.get("HX-Request") == "true" else "errors/error.html"
    return render_template(template, status=status, title=title, message=message, error_id=error_id), status


def register_error_handlers(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _page(400, _("Your form expired"), _(
            "The page was open too long or the security token is missing. Reload the page and try again."
        ))

    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code is None or error.code < 400:
            return error
        title = _(TITLES[error.code]) if error.code in TITLES else error.name
        return _page(error.code, f"{error.code} {title}", _(MESSAGES.get(error.code, error.description)))

    @app.errorhandler(OperationalError)
    def database_unavailable(error):
        db.session.rollback()
        # The page must not need the database: shown as to a visitor (no name, no badges to count).
        g._login_user = login_manager.anonymous_user()
        error_id = current_request_id()  # the id on the page finds the log lines
        app.logger.error("database error %s", error_id, exc_info=error)
        return _page(503, _("Temporarily unavailable"), _(
            "The workspace cannot reach its database right now. Please try again in a minute."
        ), error_id)

    @app.errorhandler(Exception)
    def server_error(error):
        db.session.rollback()
        error_id = current_request_id()  # the id on the page finds the log lines
        app.logger.error("unhandled error %s on %s %s", error_id, request.method, request.path, exc_info=error)
        return _page(500, _("Something went wrong"), _(
            "Something went wrong on our side. Nothing you entered was saved by this request. "
            "If it happens again, mention this error id."
        ), error_id)

