"""/readyz for load balancers and orchestrators, /metrics for Prometheus (process health stays /healthz)."""
import os

from flask import Blueprint, Response, current_app
from sqlalchemy import text

from ..extensions import db
from ..policy import PUBLIC, permission
from .metrics import exposition

bp = Blueprint("ops", __name__)


def _database_answers() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception as error:  # any failure means "not ready"; one line, probes come every few seconds
        current_app.logger.warning("readiness: the database does not answer: %s", str(error).splitlines()[0:1])
        return False
    finally:
        db.session.rollback()


def _redis_answers(url: str) -> bool:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.RedisError as error:
        current_app.logger.warning("readiness: Redis does not answer: %s", error)
        return False


@bp.get("/readyz")
@permission(PUBLIC)
def readyz():
    """200 when this server can do its work (database, and Redis when configured); 503 says which failed."""
    checks = {"database": "ok" if _database_answers() else "failed"}
    redis_url = current_app.config.get("REDIS_URL", os.environ.get("REDIS_URL", ""))
    if redis_url:
        checks["redis"] = "ok" if _redis_answers(redis_url) else "failed"
    ready = all(value == "ok" for value in checks.values())
    return {"status": "ready" if ready else "unavailable", "checks": checks}, 200 if ready else 503


@bp.get("/metrics")
@permission("metrics.read")
def metrics():
    """Prometheus text format; only for METRICS_ALLOWED_IPS, everybody else gets 404."""
    return Response(exposition(), mimetype="text/plain", headers={"Content-Type": "text/plain; version=0.0.4"})
