"""Live updates: the stream address for pages, the navigation badge fragment, and `flask stream`."""
import asyncio
import logging
from urllib.parse import urlencode

import click
from flask import Blueprint, current_app, make_response, render_template
from flask_login import current_user
from markupsafe import Markup

from ..policy import SIGNED_IN, permission
from . import publish

bp = Blueprint("live", __name__, cli_group=None)


@bp.record_once
def _setup(state) -> None:
    publish.init_app(state.app)


@bp.app_context_processor
def stream_address():
    def live_stream(project=None) -> str:
        """Where this page listens for changes; empty (live updates off) without STREAM_URL or REDIS_URL."""
        base = current_app.config["STREAM_URL"]
        if not base or not current_app.config["REDIS_URL"] or not current_user.is_authenticated:
            return ""
        return base + ("?" + urlencode({"project": project.id}) if project is not None and project.id else "")

    def live_refresh(event: str, url: str, select: str, said: str) -> Markup:
        """Attributes that make a part fetch itself again (keeping only `select`) when the stream names `event`."""
        if not live_stream():
            return Markup("")
        return Markup(' hx-get="{}" hx-trigger="sse:{}, live-refresh" hx-select="{}" hx-swap="outerHTML"'
                      ' hx-disinherit="hx-select hx-swap" data-live="{}"').format(url, event, select, said)

    return {"live_stream": live_stream, "live_refresh": live_refresh}


@bp.get("/live/badge")
@permission(SIGNED_IN)
def badge():
    """The navigation's waiting count, fetched again when the stream says it changed."""
    response = make_response(render_template("_waiting_badge.html", oob=False))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.cli.command("stream")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
def stream(host, port):
    """Serve the live-update stream (Server-Sent Events fed by Redis) beside the app's workers."""
    from .stream import StreamServer

    app = current_app._get_current_object()
    if not app.config["REDIS_URL"]:
        raise click.UsageError("Set REDIS_URL: the stream relays the events the app publishes to Redis.")
    logging.basicConfig(level=logging.INFO)
    asyncio.run(StreamServer(app).serve(host, port))
