"""The living style page: every component of the visual system as it renders today."""
from datetime import date, datetime, timedelta, timezone

from flask import Blueprint, render_template

from ..policy import permission

bp = Blueprint("styleguide", __name__)

ICONS = ("check", "clock", "alert", "x", "star", "flag", "arrow-right", "calendar", "users", "file", "chat", "more",
         "chevron-down", "plus", "info", "trend-up", "trend-down", "circle", "redo", "book", "activity")


@bp.get("/styleguide")
@permission("styleguide.view")
def page():
    """Tokens, type, buttons, badges, cards, tables, forms, empty states and dates, for contributors."""
    now = datetime.now(timezone.utc)
    pulse = [(now - timedelta(days=28 * n), score) for n, score in zip(range(3, -1, -1), (3.2, 3.6, 3.4, 4.1))]
    return render_template("styleguide/page.html", icons=ICONS, now=now, today=date.today(), pulse=pulse,
                           three_days_ago=now - timedelta(days=3))
