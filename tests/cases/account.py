"""Permission cases of the account routes added for issue 8 (e-mail change)."""
from ..factories import PASSWORD
from . import EVERYONE, SIGNED_IN, Case

CASES = [
    Case("auth.change_email", "GET", lambda w, o: "/profile/email", SIGNED_IN, EVERYONE),
    Case("auth.change_email", "POST", lambda w, o: "/profile/email", SIGNED_IN, EVERYONE,
         data=lambda w, o: {"email": "fresh.address@example.org", "current": PASSWORD}),
]
