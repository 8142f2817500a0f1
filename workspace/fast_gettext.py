"""Translation lookups that cost a dictionary lookup, not a walk through Flask-Babel, per string.

Flask-Babel resolves the request's locale and catalogue on every `gettext` call (four lookups
through Flask's `g` proxy, the locale's identifier rebuilt, a cache lookup), and Jinja's i18n
extension adds three `Context.call` hops per `{{ _("...") }}`. A board page has about 400
strings, so that was a quarter of its rendering time.

Here the catalogue found for the request's locale is remembered next to the locale Flask-Babel
selected (in its per-request namespace), keyed by that locale object: when the locale changes
within a request (`flask_babel.refresh()`, `force_locale(...)` for an e-mail in the recipient's
language) the catalogue is looked up again. Behaviour is Flask-Babel's own: the same selector,
the same catalogues (cached per process per locale), the same `%` formatting and autoescaping.
"""
from functools import cache

from babel import support
from flask import Request
from flask_babel import Domain, get_locale
from jinja2 import pass_eval_context
from markupsafe import Markup

from .contextlocal import babel_context


class RequestDomain(Domain):
    """The default domain, with the request's catalogue remembered per selected locale."""

    def get_translations(self):
        ctx = babel_context()
        if ctx is not None:
            memo = ctx.__dict__.get("ws_translations")
            locale = ctx.__dict__.get("babel_locale")
            if memo is not None and locale is not None and memo[0] is locale and memo[1] is self:
                return memo[2]
        translations = super().get_translations()
        if ctx is not None:
            ctx.ws_translations = (get_locale(), self, translations)
        return translations


def translations():
    """The request's catalogue (NullTranslations outside a request)."""
    ctx = babel_context()  # Flask-Babel's per-request namespace, without the `g` proxy's cost
    if ctx is not None:
        memo = ctx.__dict__.get("ws_translations")
        if memo is not None and memo[0] is ctx.__dict__.get("babel_locale") and memo[0] is not None \
                and ctx.__dict__.get("babel_domain") is memo[1]:
            return memo[2]
    from flask_babel import get_translations

    return get_translations()


# Jinja's "newstyle" gettext, as installed by Flask-Babel (jinja2.ext._make_new_gettext & co.):
# always `%`-formatted, Markup when autoescaping. One function each instead of three calls, and
# given only the evaluation context: a `pass_context` function called inside a loop or block
# makes Jinja copy the whole template context first (`Context.derived`), for every string.
# Markup(rv) wraps our own catalogue text, exactly as Jinja's i18n extension does; `rv % variables`
# on Markup escapes every variable, so user text stays escaped (bandit B704 silenced for that).

@pass_eval_context
def _gettext(__eval_ctx, __string, **variables):
    rv = translations().ugettext(__string)
    if __eval_ctx.autoescape:
        rv = Markup(rv)  # nosec B704
    if not variables and "%" not in rv:
        return rv  # what `rv % {}` gives, without formatting
    return rv % variables


def markup_gettext():
    """`_()` as an autoescaping template has it (Markup, its variables escaped), from the request's
    catalogue looked up once: for markup written in Python (the agreement's promises, the board's
    deliverables)."""
    gettext = translations().ugettext

    def _(string, **variables):
        rv = Markup(gettext(string))  # nosec B704 (our catalogue, as the template's `_()` wraps it)
        if not variables and "%" not in rv:
            return rv
        return rv % variables

    return _


def markup_ngettext():
    """`ngettext()` as an autoescaping template has it (Markup, `num` and the variables escaped), from
    the request's catalogue looked up once: the plural companion of `markup_gettext`."""
    plural = translations().ungettext

    def ngettext(singular, plural_, num, **variables):
        variables.setdefault("num", num)
        return Markup(plural(singular, plural_, num)) % variables  # nosec B704 (our catalogue)

    return ngettext


@pass_eval_context
def _ngettext(__eval_ctx, __singular, __plural, __num, **variables):
    variables.setdefault("num", __num)
    rv = translations().ungettext(__singular, __plural, __num)
    if __eval_ctx.autoescape:
        rv = Markup(rv)  # nosec B704
    return rv % variables


@pass_eval_context
def _pgettext(__eval_ctx, __string_ctx, __string, **variables):
    variables.setdefault("context", __string_ctx)
    rv = translations().upgettext(__string_ctx, __string)
    if __eval_ctx.autoescape:
        rv = Markup(rv)  # nosec B704
    return rv % variables


@pass_eval_context
def _npgettext(__eval_ctx, __string_ctx, __singular, __plural, __num, **variables):
    variables.setdefault("context", __string_ctx)
    variables.setdefault("num", __num)
    rv = translations().unpgettext(__string_ctx, __singular, __plural, __num)
    if __eval_ctx.autoescape:
        rv = Markup(rv)  # nosec B704
    return rv % variables


@cache
def _wtforms_catalogue(locale: str):
    from wtforms.i18n import messages_path

    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class _WTFormsMessages:
    """WTForms' own messages ("This field is required.") in the request's language, as Flask-WTF
    gives them, from catalogues read once per process and locale: Flask-WTF reads the catalogue
    file again on every request that validates a form, and keeps it on `request.wtforms_translations`,
    which it looks up first (flask_wtf/i18n.py)."""

    @staticmethod
    def ugettext(string):
        return _wtforms_catalogue(str(get_locale())).ugettext(string)

    @staticmethod
    def ungettext(singular, plural, n):
        return _wtforms_catalogue(str(get_locale())).ungettext(singular, plural, n)


class WorkspaceRequest(Request):
    wtforms_translations = _WTFormsMessages()


def setup_i18n(app, babel) -> None:
    """After `babel.init_app(app)`: the remembering domain, direct template callables, and WTForms'
    messages from catalogues read once per process."""
    config = app.extensions["babel"]
    babel.domain_instance = RequestDomain(domain=config.default_domain)
    app.request_class = WorkspaceRequest
    app.jinja_env.globals.update(_=_gettext, gettext=_gettext, ngettext=_ngettext, pgettext=_pgettext,
                                 npgettext=_npgettext)
