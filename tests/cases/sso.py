"""Permission cases of sign-in with the university account: public, and without a configured provider
(the suite's default) both routes send the person back to the login page, or home when signed in."""
from . import EVERYONE, Case

CASES = [
    Case("sso.start", "GET", lambda w, o: "/sso/uni/login", EVERYONE, EVERYONE, public=True),
    Case("sso.callback", "GET", lambda w, o: "/sso/uni/callback?code=c&state=s", EVERYONE, EVERYONE, public=True),
]
