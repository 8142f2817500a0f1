"""Permission cases of the style page: administrators only (and everyone signed in on a development server)."""
from . import SIGNED_IN, Case

CASES = [
    Case("styleguide.page", "GET", lambda w, o: "/styleguide", frozenset({"admin"}), visible=SIGNED_IN),
]
