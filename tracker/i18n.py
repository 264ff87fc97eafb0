"""Languages: which one a request speaks, and dates in the viewer's language and time zone (Flask-Babel).

The choice, in order: a signed-in person's own preference, else the organisation's default language; for anonymous
visitors (sign-in, verification) the language they picked in the footer, else their browser's Accept-Language,
else the organisation's default. Interface strings are marked with `_()` / `_l()` and live in
`tracker/translations/<language>/LC_MESSAGES/messages.po` (`make translations` extracts, updates and compiles).
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta
from functools import lru_cache

from babel import Locale, dates
from flask import Flask, current_app, g, has_app_context, has_request_context, request, session
from flask_babel import (
    Babel,
    format_datetime,
    format_decimal,
    format_timedelta,
    get_locale,
    get_timezone,
    get_translations,
)
from flask_login import current_user
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

# The languages the interface is complete in. English is the source language.
LANGUAGES = {"en": "English", "de": "Deutsch", "fr": "Français"}
# English is written and dated the British way (1 March 2026); no catalogue exists for it: the source is English.
BABEL_LOCALES = {"en": "en_GB"}
SESSION_KEY = "language"

babel = Babel()


def language_of(code: str | None) -> str | None:
    """A supported language code for what someone sent (de, de-AT, FR), or None."""
    if not code:
        return None
    base = str(code).replace("-", "_").split("_")[0].lower()
    return base if base in LANGUAGES else None


def default_language() -> str:
    return language_of(current_app.config.get("DEFAULT_LANGUAGE")) or "en"


def language_for(user) -> str:
    """The language someone reads in, wherever the work happens (a page, a job, the command line)."""
    return language_of(getattr(user, "locale", None)) or default_language()


def chosen_language() -> str:
    if not has_request_context():
        return default_language()
    if request.path.startswith("/api/"):
        return "en"  # the API speaks English to every integration, whoever's token it is
    if current_user and current_user.is_authenticated:
        return language_of(getattr(current_user, "locale", None)) or default_language()
    chosen = language_of(session.get(SESSION_KEY))
    if chosen:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES)) or default_language()


def _babel_locale() -> str:
    language = chosen_language()
    return BABEL_LOCALES.get(language, language)


def _timezone() -> str:
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.timezone or "UTC"
    return "UTC"


def _request_locale(store) -> Locale | None:
    """The locale of the request whose `g` is `store`: Flask-Babel keeps it, forced or chosen, on
    `g._flask_babel.babel_locale` once known; read there directly (every translated string and fragment key asks)."""
    return getattr(getattr(store, "_flask_babel", None), "babel_locale", None) or get_locale()


def current_language() -> str:
    if not has_app_context():
        return "en"
    locale = _request_locale(g._get_current_object())
    return locale.language if locale else "en"


def _request_zone() -> zoneinfo.ZoneInfo:
    """The viewer's time zone. Flask-Babel keeps the one it chose on `g._flask_babel.babel_tzinfo`: read there
    directly (a report page formats hundreds of dates, and each `get_timezone()` goes through its context)."""
    if has_app_context():
        known = getattr(getattr(g._get_current_object(), "_flask_babel", None), "babel_tzinfo", None)
        if known is not None:
            return _zone(str(known))
    return _zone(str(get_timezone() or "UTC"))


@lru_cache(maxsize=64)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def _request_date_locale() -> Locale:
    if has_app_context():
        return _request_locale(g._get_current_object()) or Locale("en")
    return get_locale() or Locale("en")


def localtime(value: datetime | None, format: str = "medium") -> str:
    """A moment in the viewer's time zone and language, naming the zone (e.g. "1 Mar 2026, 13:00:00 CET")."""
    if value is None:
        return ""
    return f"{format_datetime(value, format)} {value.astimezone(_request_zone()).tzname()}"


def localdate(value: datetime | date | None, format: str = "medium") -> str:
    """The day (in the viewer's time zone, for a moment) in the viewer's language."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(_request_zone()).date()
    return _day_text(value, format, _request_date_locale())


@lru_cache(maxsize=4096)
def _day_text(day: date, format: str, locale: Locale) -> str:
    # A matrix page shows the same few due and completion dates on hundreds of cells, and formatting one costs
    # ~30 µs; the text of a day depends on nothing else.
    return dates.format_date(day, format, locale=locale)


def duration(value: timedelta | None) -> str:
    """A span of time in words, rounded to its largest unit, in the viewer's language ("4 minutes", "2 days")."""
    if value is None:
        return ""
    return format_timedelta(value, granularity="second", threshold=1)


def _translations():
    """The catalogue of the request's language, looked up once per request and language: Flask-Babel looks it up
    again for every string, and a page of course cards shows dozens. A language changed during the request (a new
    locale object) is followed."""
    if not has_app_context():
        return get_translations()
    # One proxy lookup of `g`, not five: this runs for every string of every page.
    store = g._get_current_object()
    locale = _request_locale(store)
    memo = getattr(store, "_tracker_translations", None)
    if memo is None or memo[0] is not locale:
        memo = (locale, get_translations())
        store._tracker_translations = memo
    return memo[1]


def _template_callables() -> dict:
    """Jinja's newstyle gettext callables, taking the evaluation context where Jinja's take the whole template
    context: inside a block with `{% set %}` variables, Jinja copies the context (~75 names) for each call of a
    context function, and a report translates hundreds of strings. The same behaviour otherwise: translated through
    the request's catalogue, marked safe when the template autoescapes (so the values put in are escaped), always
    formatted with `%`."""

    def _format(eval_ctx: EvalContext, text: str, variables: dict) -> str:
        # The catalogue's text is the app's own, trusted as Jinja trusts it; the values put in are escaped by `%`.
        return (Markup(text) if eval_ctx.autoescape else text) % variables  # noqa: S704

    @pass_eval_context
    def gettext(eval_ctx: EvalContext, string: str, /, **variables) -> str:
        return _format(eval_ctx, _translations().ugettext(string), variables)

    @pass_eval_context
    def ngettext(eval_ctx: EvalContext, singular: str, plural: str, num: int, /, **variables) -> str:
        variables.setdefault("num", num)
        return _format(eval_ctx, _translations().ungettext(singular, plural, num), variables)

    @pass_eval_context
    def pgettext(eval_ctx: EvalContext, context: str, string: str, /, **variables) -> str:
        variables.setdefault("context", context)
        return _format(eval_ctx, _translations().upgettext(context, string), variables)

    @pass_eval_context
    def npgettext(eval_ctx: EvalContext, context: str, singular: str, plural: str, num: int, /, **variables) -> str:
        variables.setdefault("context", context)
        variables.setdefault("num", num)
        return _format(eval_ctx, _translations().unpgettext(context, singular, plural, num), variables)

    return {"_": gettext, "gettext": gettext, "ngettext": ngettext, "pgettext": pgettext, "npgettext": npgettext}


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    babel.init_app(app, locale_selector=_babel_locale, timezone_selector=_timezone)
    # Templates translate through the memo above (the same catalogues as Flask-Babel's own callables). Installing
    # Jinja's newstyle callables makes `{% trans %}` compile to calls of these globals; ours then replace them.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.globals.update(_template_callables())
    app.jinja_env.filters.update(
        localtime=localtime,
        localdate=localdate,
        longdate=lambda v: localdate(v, "long"),
        duration=duration,
        number=format_decimal,  # 5,000 in English, 5.000 in German, 5 000 in French
    )
    app.jinja_env.globals.update(languages=LANGUAGES, current_language=current_language)
