"""Running it in production: request ids, log redaction, JSON logs, metrics, readiness (issue 17)."""


def setup_ops(app) -> None:
    """Called by create_app: logging, request ids and metrics for every request."""
    from . import logs, metrics, redact

    redact.learn_routes(app)
    logs.init_app(app)
    metrics.init_app(app)
