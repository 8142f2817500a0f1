"""Every user-visible string is marked for translation, and the Dutch catalogue covers all of them.

Templates are tokenised with Jinja's own lexer: the text between tags is HTML, parsed for visible
text and the attributes people read (title, aria-label, placeholder, alt, ...). Template
expressions are replaced by a marker, so only literal text written in the template counts. String
literals inside ``{{ }}``/``{% %}`` that look like prose must sit in ``_()``/``gettext``/``ngettext``.
Python: the messages of flash(), Refused(), ValidationError() and form fields' labels and
descriptions must be marked too. The catalogue check extracts the messages afresh (pybabel's API, the same keywords as
``make messages``) and compares them with ``workspace/translations/nl/LC_MESSAGES/messages.po``.
"""
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po
from jinja2 import Environment

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
NL_PO = ROOT / "workspace" / "translations" / "nl" / "LC_MESSAGES" / "messages.po"

# Text that is the same in every language: names and symbols, not sentences.
ALLOWED = {"htmx", "CSV", "JSON", "iCalendar", "ICS", "PDF", "URL", "e-mail", "OK", "WCAG", "B1",
           "English", "Nederlands", "KB", "MB", "GB"}
READ_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description", "aria-roledescription",
                   "aria-valuetext", "label", "summary"}
BUTTON_TYPES = {"submit", "button", "reset"}
TRANSLATE_CALLS = {"_", "gettext", "ngettext", "pgettext", "npgettext", "lazy_gettext", "_l"}
MARK = "\ue000"  # stands for a template expression in the HTML handed to the parser
LETTER = re.compile(r"[^\W\d_]")
IN_CLASS = re.compile(r'\bclass="[^"]*$')
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]")


def _visible(text: str) -> bool:
    """True when text (with expressions removed) holds words someone would read."""
    words = re.sub(r"[\s" + MARK + r"]+", " ", text).strip()
    if not LETTER.search(words):
        return False
    return any(LETTER.search(word) and word.strip(".,:;()[]·–—!?\"'") not in ALLOWED for word in words.split())


def _prose(text: str) -> bool:
    """A literal people would read: words with a space, or one capitalised word (not a name or code)."""
    return _visible(text) and (" " in text.strip() or bool(re.fullmatch(r"[A-Z][a-z]+[.!?:]?", text)))


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._attrs(tag, attrs)
        if tag in ("script", "style"):
            self._skip += 1

    def handle_startendtag(self, tag, attrs):
        self._attrs(tag, attrs)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and _visible(data):
            self.found.append(data.strip())

    def _attrs(self, tag, attrs):
        values = dict(attrs)
        for name, value in attrs:
            readable = name in READ_ATTRIBUTES or (
                name == "value" and tag == "input" and values.get("type") in BUTTON_TYPES)
            if readable and value and _visible(value):
                self.found.append(f'{tag} {name}="{value}"')


def _template_problems(source: str) -> list[str]:
    """Unmarked text in one template: literal HTML text and prose string literals in expressions."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    html, problems = [], []
    in_trans = False
    tag: list[tuple[str, str]] = []
    for _lineno, kind, value in env.lex(source):
        if kind == "data":
            html.append(MARK if in_trans else value)
        elif kind in ("block_begin", "variable_begin"):
            tag = []
        elif kind in ("block_end", "variable_end"):
            names = [v for k, v in tag if k == "name"]
            if names[:1] == ["trans"]:
                in_trans = True
            elif names[:1] == ["endtrans"]:
                in_trans = False
            if not IN_CLASS.search("".join(html[-3:])):  # literals in class="..." are CSS classes
                problems += _unmarked_literals(tag)
            if kind == "variable_end":
                html.append(MARK)
        elif kind not in ("comment_begin", "comment", "comment_end", "whitespace", "linecomment"):
            tag.append((kind, value))
    collector = _Collector()
    collector.feed("".join(html))
    collector.close()
    return problems + collector.found


def _unmarked_literals(tokens: list[tuple[str, str]]) -> list[str]:
    """String literals that read like prose and are not the message of a translation call."""
    found, calls, previous = [], [], [None, None, None]
    for kind, value in tokens:
        if kind == "operator" and value in "([{":
            calls.append(previous[-1] in [("name", n) for n in TRANSLATE_CALLS])
        elif kind == "operator" and value in ")]}" and calls:
            calls.pop()
        elif kind == "string":
            keyword = previous[-2][1] if previous[-1] == ("operator", "=") and previous[-2] else None
            message = bool(calls) and calls[-1] and keyword is None
            css = keyword is not None and "class" in keyword
            if not message and not css and _prose(value[1:-1]):
                found.append(value)
        previous = [previous[-2], previous[-1], (kind, value)]
    return found


def test_the_checker_catches_unmarked_text():
    source = """{% extends "base.html" %}{% block content %}<h1>Goals</h1>
    <p title="Open the goal">{{ _("Marked") }}</p><img alt="A chart">{{ "Save this" if x else _("Edit it") }}
    <input type="submit" value="Send"><p class="{{ 'flash flash-ok' if x }}"><p>{% trans %}Marked {{ n }} times{% endtrans %} · CSV</p>{# a comment #}
    {{ _("Hello %(name)s", name="someone there") }}{{ x|datetime('short') }}<p>{{ _("x") }} — 3</p>{% endblock %}"""
    assert _template_problems(source) == ['"Save this"', '"someone there"', "Goals", 'p title="Open the goal"',
                                          'img alt="A chart"', 'input value="Send"']


@pytest.mark.parametrize("path", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html")))
def test_template_text_is_marked_for_translation(path):
    problems = _template_problems((TEMPLATES / path).read_text(encoding="utf-8"))
    assert not problems, f"unmarked text in templates/{path} (wrap it in {{{{ _('...') }}}}): {problems}"


def _extracted():
    """The messages `make messages` would extract now, keyed by msgid (a tuple for plurals)."""
    method_map = [("workspace/**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}  # as in `make messages`
    messages = {}
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, keywords=keywords, options_map={"templates/**.html": {}}):
        messages[message] = message
    return messages


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text)) if "%(" in text else set()


def test_every_message_has_a_dutch_translation():
    with NL_PO.open("rb") as fh:
        catalogue = read_po(fh, locale="nl")
    problems = []
    for msgid in _extracted():
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        message = catalogue.get(key)
        if message is None or not message.string or (isinstance(message.string, tuple) and not all(message.string)):
            problems.append(f"missing: {key!r}")
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {key!r}")
        source = msgid if isinstance(msgid, tuple) else (msgid,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set().union(*(_placeholders(s) for s in source))
        for string in strings:
            if _placeholders(string) - wanted or (not isinstance(msgid, tuple) and _placeholders(string) != wanted):
                problems.append(f"placeholders differ: {key!r} -> {string!r}")
    assert not problems, (f"{len(problems)} problems in {NL_PO.relative_to(ROOT)} (run `make messages`, "
                          f"translate, drop the fuzzy flags):\n" + "\n".join(problems[:40]))


# Calls whose text people read: the message (first argument) or these keywords must be marked.
PY_READ_CALLS = {"flash", "Refused", "ValidationError", "UploadRefused", "abort"}
PY_READ_KEYWORDS = {"message", "description", "label", "title"}


def _python_problems(path: Path) -> list[str]:
    import ast

    problems = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None) or ""
        texts = []
        if (name in PY_READ_CALLS or name.endswith("Field")) and node.args:
            texts.append(node.args[0])
        texts += [k.value for k in node.keywords if k.arg in PY_READ_KEYWORDS]
        for text in texts:
            if isinstance(text, ast.JoinedStr) or (isinstance(text, ast.Constant) and isinstance(text.value, str)
                                                   and _prose(text.value)):
                problems.append(f"line {node.lineno}: {name}({ast.unparse(text)[:60]})")
    return problems


@pytest.mark.parametrize("path", sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "workspace").rglob("*.py")
                                        if p.name not in ("demo.py", "seed.py", "cli.py")))
def test_python_text_is_marked_for_translation(path):
    problems = _python_problems(ROOT / path)
    assert not problems, f"unmarked text in {path} (wrap it in _() or _l()): {problems}"


def test_the_python_checker_catches_unmarked_text(tmp_path):
    source = tmp_path / "views.py"
    source.write_text('flash("The goal is saved.", "success")\nflash(_("Marked."))\ntitle = StringField("Title")\n'
                      'label = StringField(_l("Name"), description="Who will use it.")\nraise Refused(f"No {x}")\n'
                      'flash(message, "info")\n')
    assert [p.split(":")[0] for p in _python_problems(source)] == ["line 1", "line 3", "line 4", "line 5"]
