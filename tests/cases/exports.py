"""Permission cases of the exports: everyone who sees a project downloads it; the calendar feed
opens by its secret address alone; each person renews only their own address."""
from workspace.exports.calendar import renew_feed, token_for

from . import EVERYONE, PROJECT_ROLES, SIGNED_IN, Case

BASE = lambda w: f"/projects/{w.project.id}/exports"  # noqa: E731


def _feed(world):
    feed = renew_feed(world.student)
    return {"url": f"/calendar/{feed.user_id}/{token_for(feed)}.ics"}


CASES = [
    Case("exports.index", "GET", lambda w, o: BASE(w), PROJECT_ROLES),
    Case("exports.project_json", "GET", lambda w, o: f"{BASE(w)}/project.json", PROJECT_ROLES),
    *[Case("exports.table_csv", "GET", lambda w, o, t=table: f"{BASE(w)}/{t}.csv", PROJECT_ROLES)
      for table in ("goals", "responsibilities", "feedback", "deliverables")],
    Case("exports.calendar_feed", "GET", lambda w, o: o["url"], EVERYONE, EVERYONE, public=True, setup=_feed),
    Case("exports.renew_calendar", "GET", lambda w, o: "/profile/calendar", SIGNED_IN, EVERYONE),
    Case("exports.renew_calendar", "POST", lambda w, o: "/profile/calendar", SIGNED_IN, EVERYONE),
]
