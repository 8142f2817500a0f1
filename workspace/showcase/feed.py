"""The showcase's Atom feed (RFC 4287): the latest published results, escaped by the template."""
from flask import make_response, render_template
from flask_babel import gettext as _

from ..models.base import utcnow


def atom_response(publications):
    """An Atom document of `publications`; `updated` is the newest publication (now when there is none)."""
    updated = max((p.updated_at for p in publications), default=None) or utcnow().replace(microsecond=0)
    response = make_response(render_template(
        "showcase/feed.xml", publications=publications, updated=updated, site=_("Co-creation workspace"),
        title=_("Showcase: results of the co-creation workspace"),
        subtitle=_("Results that student teams made with societal partners, published with the partner's consent.")))
    response.mimetype = "application/atom+xml"
    return response
