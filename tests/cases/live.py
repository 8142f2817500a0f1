"""Permission cases of live updates: the navigation badge fragment the stream asks pages to fetch again."""
from . import EVERYONE, SIGNED_IN, Case

CASES = [
    Case("live.badge", "GET", lambda w, o: "/live/badge", SIGNED_IN, EVERYONE),
]
