"""Permission cases of the LTI routes. The protocol routes are PUBLIC (state, nonce and the platform's
signature protect them); a launch held by someone else does not exist (404); the class sync is for the
course's teachers; platform registrations for admins. The sync case talks to the platform simulator."""
from urllib.parse import urlencode

from workspace.extensions import db
from workspace.lti.tool import tool_jwks
from workspace.models import LtiContext

from ..lti_platform import INSTRUCTOR, LEARNER, member, running_platform
from . import COURSE_STAFF, EVERYONE, SIGNED_IN, Case

ADMIN_ONLY = frozenset({"admin"})
NOBODY = frozenset()
UNKNOWN_LAUNCH = "/lti/launches/lti1p3-launch-00000000-0000-0000-0000-000000000000"


def _registered(world):
    platform = running_platform()
    platform.reset()
    return {"platform": platform.register(), "simulator": platform}


def _initiation(world, objs):
    simulator = objs["simulator"]
    return simulator.initiation(simulator.person("t-1", "Tom Docent", [INSTRUCTOR]))


def _linked(world):
    objs = _registered(world)
    simulator = objs["simulator"]
    simulator.tool_jwks = tool_jwks()
    simulator.members["course-101"] = [member("s-1", "Sara Student", [LEARNER])]
    db.session.add(LtiContext(platform_id=objs["platform"].id, context_id="course-101", title="Community Lab 2026",
                              course_id=world.course.id, memberships_url=simulator.memberships_url("course-101")))
    db.session.commit()
    return objs


def _platform_form(world, objs):
    return {"name": "Canvas", "issuer": "https://canvas.example.edu", "client_id": "100", "deployment_ids": "1:abc",
            "auth_login_url": "https://canvas.example.edu/auth", "auth_token_url": "https://canvas.example.edu/token",
            "key_set_url": "https://canvas.example.edu/jwks"}


PLATFORM = lambda w, o: f"/lti/platforms/{o['platform'].id}"  # noqa: E731

CASES = [
    Case("lti.login", "GET", lambda w, o: "/lti/login?" + urlencode(_initiation(w, o)), EVERYONE, public=True,
         setup=_registered),
    Case("lti.login", "POST", lambda w, o: "/lti/login", EVERYONE, public=True, setup=_registered, data=_initiation),
    # Without a signed launch the only well-formed answer is the platform's OIDC error (tests/test_lti.py signs real ones).
    Case("lti.launch", "POST", lambda w, o: "/lti/launch", EVERYONE, public=True,
         data=lambda w, o: {"error": "login_required", "error_description": "Sign in to the platform first"}),
    Case("lti.jwks", "GET", lambda w, o: "/lti/jwks.json", EVERYONE, public=True),
    Case("lti.configuration", "GET", lambda w, o: "/lti/config.json", EVERYONE, public=True),
    Case("lti.link", "GET", lambda w, o: f"{UNKNOWN_LAUNCH}/link", NOBODY, NOBODY),
    Case("lti.link", "POST", lambda w, o: f"{UNKNOWN_LAUNCH}/link", NOBODY, NOBODY, data=lambda w, o: {"course": "new"}),
    Case("lti.deep_link", "GET", lambda w, o: f"{UNKNOWN_LAUNCH}/deep-link", NOBODY, NOBODY),
    Case("lti.deep_link", "POST", lambda w, o: f"{UNKNOWN_LAUNCH}/deep-link", NOBODY, NOBODY,
         data=lambda w, o: {"course": str(w.course.id)}),
    Case("lti.sync", "POST", lambda w, o: f"/lti/courses/{w.course.id}/sync", COURSE_STAFF, COURSE_STAFF, setup=_linked),
    Case("lti.platforms", "GET", lambda w, o: "/lti/platforms", ADMIN_ONLY, SIGNED_IN),
    Case("lti.new_platform", "GET", lambda w, o: "/lti/platforms/new", ADMIN_ONLY, SIGNED_IN),
    Case("lti.new_platform", "POST", lambda w, o: "/lti/platforms/new", ADMIN_ONLY, SIGNED_IN, data=_platform_form),
    Case("lti.edit_platform", "GET", PLATFORM, ADMIN_ONLY, ADMIN_ONLY, setup=_registered),
    Case("lti.edit_platform", "POST", PLATFORM, ADMIN_ONLY, ADMIN_ONLY, setup=_registered, data=_platform_form),
    Case("lti.remove_platform", "GET", lambda w, o: f"{PLATFORM(w, o)}/remove", ADMIN_ONLY, ADMIN_ONLY,
         setup=_registered),
    Case("lti.remove_platform", "POST", lambda w, o: f"{PLATFORM(w, o)}/remove", ADMIN_ONLY, ADMIN_ONLY,
         setup=_registered),
]
