"""How much of the slow load and property checks a run makes.

`make test` samples them (a contributor's whole-suite verdict in minutes); `make test-thorough`
(TEST_THOROUGH=1, nightly, release) and CI (CI=true) run them whole. Each check keeps its assertions;
only how many processes, actions or inputs it uses changes.
"""
import os


def thorough() -> bool:
    return (os.environ.get("TEST_THOROUGH", "").strip() == "1"
            or os.environ.get("CI", "").strip().lower() == "true")


THOROUGH = thorough()


def sampled(whole, sample):
    """`whole` under `make test-thorough` and in CI, `sample` under `make test`."""
    return whole if THOROUGH else sample
