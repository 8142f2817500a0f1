"""`make loadtest` judges its figures in scripts/loadtest.py; the judging is checked here without
running locust: 409/429 are answers, not failures; any 5xx, > 0.1% failures or p95 > 500 ms fail."""
import importlib.util
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
spec = importlib.util.spec_from_file_location("loadtest", os.path.join(ROOT, "scripts", "loadtest.py"))
loadtest = importlib.util.module_from_spec(spec)
spec.loader.exec_module(loadtest)


def results(kinds):
    """kinds: {name: [(ms, status, failed), ...]} as the locustfile writes them (one request a second)."""
    out = {"times": {}, "ended": {}, "statuses": {}, "failures": {}}
    for name, requests in kinds.items():
        out["times"][name] = [ms for ms, _, _ in requests]
        out["ended"][name] = [float(n) for n in range(len(requests))]
        statuses = {}
        for _, status, _ in requests:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        out["statuses"][name] = statuses
        out["failures"][name] = sum(1 for *_, failed in requests if failed)
    return out


def met(summary):
    return [ok for _, ok in loadtest.verdict(summary["totals"])]


def test_conflicts_and_limits_are_answers_and_fast_runs_pass():
    summary = loadtest.summarise(results({"board": [(100, 200, False)] * 990,
                                          "agree": [(120, 409, False)] * 9 + [(90, 429, False)]}))
    assert summary["totals"]["expected"] == 10 and summary["totals"]["failures"] == 0
    assert summary["totals"]["p95_ms"] == 100 and met(summary) == [True, True, True]


def test_one_server_error_fails_and_failures_count_against_a_tenth_of_a_percent():
    one_error = loadtest.summarise(results({"board": [(100, 200, False)] * 2000 + [(100, 500, True)]}))
    assert met(one_error) == [False, True, True]
    two_in_1000 = loadtest.summarise(results({"board": [(100, 200, False)] * 998 + [(100, 404, True)] * 2}))
    assert met(two_in_1000) == [True, False, True]
    one_in_1000 = loadtest.summarise(results({"board": [(100, 200, False)] * 999 + [(100, 404, True)]}))
    assert met(one_in_1000) == [True, True, True]


def test_a_slow_tail_fails_the_p95():
    summary = loadtest.summarise(results({"board": [(100, 200, False)] * 90 + [(900, 200, False)] * 10}))
    assert summary["totals"]["p95_ms"] == 900 and met(summary) == [True, True, False]
    assert summary["kinds"][0]["p50_ms"] == 100
