"""Text shown back to people: markdown rendered safely, and what changed between two revisions."""
import difflib
import re
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# html disabled: raw HTML in a comment is shown as text; nh3 then keeps only harmless markup.
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("strikethrough")
_TAGS = {"p", "br", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h3", "h4", "hr"}


def render_markdown(text: str) -> Markup:
    html = _md.render(text or "")
    # Headings in a comment must not compete with the page's own outline.
    html = re.sub(r"<(/?)h[1-6]>", r"<\1h4>", html)
    clean = nh3.clean(html, tags=_TAGS, attributes={"a": {"href"}}, url_schemes={"http", "https", "mailto"},
                      link_rel="noopener noreferrer nofollow")
    # Safe to mark: nh3 has just reduced it to the allowed tags and attributes.
    return Markup(clean)  # nosec B704


@dataclass(frozen=True)
class Piece:
    kind: str  # "same" | "added" | "removed"
    text: str


def word_diff(before: str, after: str) -> list[Piece]:
    """Word-level differences, for <ins>/<del> with words that say what changed."""
    a, b = re.split(r"(\s+)", before or ""), re.split(r"(\s+)", after or "")
    pieces: list[Piece] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(Piece("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(Piece("removed", "".join(a[i1:i2])))
        if j2 > j1:
            pieces.append(Piece("added", "".join(b[j1:j2])))
    return [piece for piece in pieces if piece.text]


def _shown(value) -> str:
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def changes(previous, current, fields) -> list[tuple[str, list[Piece]]]:
    """For each field that differs between two revisions: (field, word diff)."""
    out = []
    for name in fields:
        before, after = _shown(getattr(previous, name)), _shown(getattr(current, name))
        if before != after:
            out.append((name, word_diff(before, after)))
    return out
