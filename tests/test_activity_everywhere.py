"""Every state-changing route writes an activity entry in the same transaction as its change."""
import pytest

from workspace.extensions import db
from workspace.models import Activity

from .cases import all_cases

# Routes that change only a person's own session or reading state; they are recorded in the audit
# log (sign-in, sign-out, resets) or are private bookkeeping (which notifications were read).
PERSONAL = {
    "auth.login", "auth.logout", "auth.forgot_password", "auth.profile",
    "notifications.open_one", "notifications.read_all", "notifications.settings",
    "notifications.sign_in_link", "notifications.use_link",
    "lti.login", "lti.launch",  # the platform's sign-in: audited; what a launch changes is recorded (tests/test_lti.py)
}
# POSTs that write nothing: they only read what is posted (tests/test_enrolment.py checks the preview writes no row).
READS_ONLY = {"enrolment.upload"}
PREFERRED_ROLES = ("student", "partner", "teacher", "admin", "other_teacher")

# Routes no permission case can reach (they need a launch the platform signed, held by this browser):
# tests/test_lti.py checks the activity of linking a platform course; answering a deep link changes nothing.
NEEDS_A_LAUNCH = {"lti.link", "lti.deep_link"}
POST_CASES = [c for c in all_cases()
              if c.method == "POST" and c.endpoint not in PERSONAL | READS_ONLY | NEEDS_A_LAUNCH]


@pytest.mark.parametrize("case", POST_CASES, ids=lambda c: c.endpoint)
def test_state_change_records_activity(client, world, case):
    role = next(r for r in PREFERRED_ROLES if r in case.allowed) if not case.public else None
    objs = case.setup(world) if case.setup else {}
    before = db.session.scalar(db.select(db.func.count()).select_from(Activity))
    if role:
        client.login(world.as_role(role))
    data = dict(case.data(world, objs)) if case.data else {}
    response = client.post_form(case.url(world, objs), data, token_from="/home" if role else "/login")
    assert response.status_code < 400, response.get_data(as_text=True)[:1500]
    after = db.session.scalar(db.select(db.func.count()).select_from(Activity))
    assert after > before, f"{case.endpoint} changed something without an activity entry"
