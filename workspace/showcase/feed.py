"""The showcase's Atom feed (RFC 4287): the latest published results, escaped by the template."""
from flask import make_response, render_template

from ..models.base import utcnow


def atom_response(publications):
    """An Atom document of `publications`; `updated` is the newest publication (now when there is none)."""
    updated = max((p.updated_at for p in publications), default=None) or utcnow().replace(microsecond=0)
    response = make_response(render_template("showcase/feed.xml", publications=publications, updated=updated))
    response.mimetype = "application/atom+xml"
    return response
