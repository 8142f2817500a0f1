"""Counting failed logins, reset requests and public forms: per IP and per account, in Redis or in memory.

With `REDIS_URL` set the counters live in Redis (INCR + EXPIRE), so every worker and every
server shares them; otherwise in this process's memory, which is right for one process and
for the tests. Keys hold only an IP address or the SHA-256 of an e-mail address.
"""
import functools
import hashlib
import logging
import math
import os
import threading
import time

from flask import current_app, request

logger = logging.getLogger("workspace.limits")


def now() -> float:
    """Seconds since the epoch; tests replace this to move the clock."""
    return time.time()


class MemoryCounters:
    """Fixed-window counters in one process."""

    def __init__(self):
        self._data: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str) -> tuple[int, float] | None:
        entry = self._data.get(key)
        if entry is not None and entry[1] <= now():
            del self._data[key]
            return None
        return entry

    def incr(self, key: str, seconds: int) -> int:
        with self._lock:
            entry = self._live(key)
            count, expires = entry if entry else (0, now() + seconds)
            self._data[key] = (count + 1, expires)
            return count + 1

    def get(self, key: str) -> int:
        with self._lock:
            entry = self._live(key)
            return entry[0] if entry else 0

    def set(self, key: str, value: int, seconds: int) -> None:
        with self._lock:
            self._data[key] = (value, now() + seconds)

    def ttl(self, key: str) -> int:
        with self._lock:
            entry = self._live(key)
            return max(0, math.ceil(entry[1] - now())) if entry else 0

    def delete(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._data.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


def _fail_open(default):
    """Redis down: log it and let the request through uncounted, rather than lock everyone out."""

    def decorate(method):
        @functools.wraps(method)
        def guarded(self, *args):
            try:
                return method(self, *args)
            except self._errors:
                logger.exception("rate-limit storage unavailable; %s not counted", method.__name__)
                return default

        return guarded

    return decorate


class RedisCounters:
    """The same counters in Redis, shared by every worker and server."""

    def __init__(self, url: str, prefix: str):
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._errors = redis.exceptions.RedisError
        self._prefix = prefix

    @_fail_open(0)
    def incr(self, key: str, seconds: int) -> int:
        pipe = self._redis.pipeline()
        pipe.incr(self._prefix + key)
        pipe.expire(self._prefix + key, seconds, nx=True)  # the window starts at the first count
        return int(pipe.execute()[0])

    @_fail_open(0)
    def get(self, key: str) -> int:
        return int(self._redis.get(self._prefix + key) or 0)

    @_fail_open(None)
    def set(self, key: str, value: int, seconds: int) -> None:
        self._redis.set(self._prefix + key, value, ex=max(1, seconds))

    @_fail_open(0)
    def ttl(self, key: str) -> int:
        return max(0, int(self._redis.ttl(self._prefix + key)))

    @_fail_open(None)
    def delete(self, *keys: str) -> None:
        if keys:
            self._redis.delete(*(self._prefix + key for key in keys))

    def clear(self) -> None:
        for key in self._redis.scan_iter(self._prefix + "*"):
            self._redis.delete(key)


def init_app(app) -> None:
    # Behind N reverse proxies the client's address is in X-Forwarded-For; trust exactly N hops,
    # or every visitor would share the proxy's address (and its limit).
    proxies = int(app.config.get("TRUSTED_PROXIES") or os.environ.get("TRUSTED_PROXIES", "0"))
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    url = app.config.get("RATELIMIT_STORAGE_URL") or os.environ.get("REDIS_URL", "")
    if app.testing and not app.config.get("RATELIMIT_STORAGE_URL"):
        url = ""  # the suite counts in memory unless a test asks for Redis
    prefix = app.config.get("RATELIMIT_PREFIX") or os.environ.get("RATELIMIT_PREFIX", "workspace:limits:")
    app.extensions["limits"] = RedisCounters(url, prefix) if url else MemoryCounters()


def counters():
    return current_app.extensions["limits"]


def _setting(name: str) -> int:
    return int(current_app.config[name])


def client_ip() -> str:
    return request.remote_addr or "unknown"


def _account(email: str) -> str:
    return hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:32]


# ---- failed logins ---------------------------------------------------------------------------

def login_blocked(email: str) -> tuple[str, int] | None:
    """('ip' | 'account', seconds to wait) when a login attempt must not even be checked."""
    store = counters()
    ip_key = f"login-ip:{client_ip()}"
    if store.get(ip_key) >= _setting("LOGIN_FAILURES_PER_IP_PER_MINUTE"):
        return "ip", max(1, store.ttl(ip_key))
    lock_key = f"login-lock:{_account(email)}"
    wait = store.ttl(lock_key)
    if wait > 0:
        return "account", wait
    return None


def login_failed(email: str) -> None:
    """Count a failure for this IP (one-minute window) and this account (lockout with back-off).

    After LOGIN_FAILURES_BEFORE_LOCKOUT failures in a row the account is locked for
    LOGIN_LOCKOUT_SECONDS, doubling with each further failure up to LOGIN_LOCKOUT_MAX_SECONDS.
    """
    store = counters()
    store.incr(f"login-ip:{client_ip()}", 60)
    account = _account(email)
    failures = store.incr(f"login-fail:{account}", 24 * 3600)
    over = failures - _setting("LOGIN_FAILURES_BEFORE_LOCKOUT")
    if over >= 0:
        seconds = min(_setting("LOGIN_LOCKOUT_SECONDS") * 2 ** min(over, 20), _setting("LOGIN_LOCKOUT_MAX_SECONDS"))
        store.set(f"login-lock:{account}", 1, seconds)


def login_succeeded(email: str) -> None:
    account = _account(email)
    counters().delete(f"login-fail:{account}", f"login-lock:{account}")


# ---- password reset requests -----------------------------------------------------------------

def reset_request_allowed() -> tuple[bool, int]:
    """Count a reset request from this IP; (allowed, seconds to wait)."""
    return ip_allowed("reset-ip", _setting("PASSWORD_RESETS_PER_IP"), _setting("PASSWORD_RESET_WINDOW_SECONDS"))


# ---- any other public form -------------------------------------------------------------------

def ip_allowed(kind: str, limit: int, seconds: int) -> tuple[bool, int]:
    """Count one request of `kind` from this IP in a window of `seconds`; (allowed, seconds to wait)."""
    store = counters()
    key = f"{kind}:{client_ip()}"
    if store.incr(key, seconds) > limit:
        return False, max(1, store.ttl(key))
    return True, 0
