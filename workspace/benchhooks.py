"""Opt-in for `make bench`: an `X-Query-Count` response header with the SQL statements a
request ran. Off unless BENCH_QUERY_HEADER is set in the environment."""
import os

from flask import g, has_request_context
from sqlalchemy import event

from .contextlocal import app_g


def setup_bench_hooks(app) -> None:
    if not os.environ.get("BENCH_QUERY_HEADER"):
        return
    app.config["BENCH_QUERY_HEADER"] = True
    from .extensions import db

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_args):
        if has_request_context():
            globals_ = app_g()  # (not through the `g` proxy: counting must cost next to nothing)
            globals_.bench_queries = globals_.get("bench_queries", 0) + 1

    @app.after_request
    def _header(response):
        response.headers["X-Query-Count"] = str(g.get("bench_queries", 0))
        return response
