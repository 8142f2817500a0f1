"""Permission cases of the operations routes: /readyz is public; /metrics is decided by the client's
address (the test client is 127.0.0.1, allowed by default) — tests/test_ops.py covers other addresses."""
from . import EVERYONE, Case

CASES = [
    Case("ops.readyz", "GET", lambda w, o: "/readyz", EVERYONE, EVERYONE, public=True),
    Case("ops.metrics", "GET", lambda w, o: "/metrics", EVERYONE, EVERYONE, public=True),
]
