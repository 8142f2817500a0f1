"""The `date` and `number` template filters with babel's parsed patterns kept once per process.

Flask-Babel's `format_date` and `format_decimal` resolve the format name, parse the pattern and
walk its context for the locale and time zone on every call; a 100-project dashboard formats
about 400 dates and 400 numbers per page. Here the parsed pattern is kept per (locale, format),
and the output is the same: the request's locale, the reader's time zone, the app's date formats.
`PageFormats` goes further for one page with thousands of dates and numbers (the teacher dashboard).
"""
from bisect import bisect_right
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from babel import dates, numbers
from flask_babel import get_babel, get_locale, get_timezone
from markupsafe import escape

_DATE_PATTERNS: dict = {}  # (locale, format) -> babel DateTimePattern
_NUMBER_PATTERNS: dict = {}  # (locale, format) -> babel NumberPattern
_DATETIME_PATTERNS: dict = {}  # locale -> babel DateTimePattern of the app's "datetime.medium"
NAMED = ("short", "medium", "long", "full")


def format_date(value, fmt: str = "medium") -> str:
    """Like flask_babel.format_date (a datetime is shown in the reader's time zone); '' for nothing."""
    if not value:
        return ""
    locale = get_locale()
    if isinstance(value, datetime):
        tz = get_timezone()
        value = tz.normalize((value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(tz)).date()
    return _date_pattern(locale, fmt).apply(value, locale)


def format_number(value, fmt: str | None = None):
    """Like flask_babel.format_decimal; text (a "—" placeholder) and None pass through."""
    if value is None or isinstance(value, str):
        return value
    locale = get_locale()
    key = (locale, fmt)
    pattern = _NUMBER_PATTERNS.get(key)
    if pattern is None:
        pattern = _NUMBER_PATTERNS[key] = numbers.parse_pattern(fmt or locale.decimal_formats[None])
    return pattern.apply(value, locale, decimal_quantization=True, group_separator=True, numbering_system="latn")


class PageFormats:
    """The `date`, `day`, `number("0.0")` and `ago` filters for a page that shows hundreds of dates and
    numbers (the teacher dashboard): the locale, time zone and patterns looked up once per page, and
    each distinct day, number and relative time formatted once. Same output as the filters; with
    `html=True` the dates come escaped for HTML (numbers are digits and the decimal symbol).

    A moment's day in the reader's time zone comes from the zone's offset over that UTC day, found
    once per UTC day: a fixed zone has one offset; pytz's table of transitions says whether a zone's
    offset changes within that day, and on such a day each moment is converted on its own."""

    def __init__(self, html: bool = False):
        self.locale = get_locale()
        self.tz = get_timezone()
        self._transitions = getattr(self.tz, "_utc_transition_times", None)  # pytz, naive UTC, sorted
        self._fixed = getattr(self.tz, "_utcoffset", None) if self._transitions is None else None  # pytz UTC, Etc/...
        self._decimal = numbers.get_decimal_symbol(self.locale, numbering_system="latn")
        self._escape = escape if html else str
        self._offsets: dict = {}  # UTC date -> the zone's offset all that day, or _CHANGES
        self._days: dict = {}  # format -> {local date: text}
        self._tenths: dict = {}  # number -> text with one decimal
        self._words: dict = {}  # (unit, count, future) -> "3 days ago"

    def local_date(self, moment: datetime) -> date:
        """The day of `moment` (naive: UTC) in the reader's time zone."""
        if moment.tzinfo is not timezone.utc:
            moment = moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
        day = moment.date()
        offset = self._offsets.get(day)
        if offset is None:
            offset = self._offsets[day] = self._offset_all_day(day)
        if offset is _CHANGES:
            return moment.astimezone(self.tz).date()
        return (moment + offset).date()

    def _offset_all_day(self, day: date):
        if self._fixed is not None:
            return self._fixed
        if self._transitions is None:
            return _CHANGES  # not a pytz zone: converted moment by moment
        start = datetime.combine(day, time())  # naive UTC, like pytz's table
        i = bisect_right(self._transitions, start)
        if i < len(self._transitions) and self._transitions[i] < start + timedelta(days=1):
            return _CHANGES
        return start.replace(tzinfo=timezone.utc).astimezone(self.tz).utcoffset()

    def date(self, value, fmt: str = "medium") -> str:
        """Like the `date` filter (`day` is fmt="d MMM")."""
        if not value:
            return ""
        if isinstance(value, datetime):
            if value.tzinfo is timezone.utc:  # the common case, inline
                offset = self._offsets.get(value.date())
                value = (value + offset).date() if offset is not None and offset is not _CHANGES \
                    else self.local_date(value)
            else:
                value = self.local_date(value)
        texts = self._days.get(fmt)
        if texts is None:
            texts = self._days[fmt] = {}
        text = texts.get(value)
        if text is None:
            text = texts[value] = self._escape(_date_pattern(self.locale, fmt).apply(value, self.locale))
        return text

    def tenth(self, value):
        """Like `value|number("0.0")`: for 0 < value < 1000 Decimal's rounding (as babel's, half to even)
        and the locale's decimal symbol; anything else through babel."""
        text = self._tenths.get(value)
        if text is None:
            if isinstance(value, (int, float, Decimal)) and 0 < value < 1000:
                text = self._tenths[value] = f"{Decimal(str(value)).quantize(_TENTH):f}".replace(".", self._decimal)
            else:
                return format_number(value, "0.0")
        return text

    def date_time(self, value: datetime) -> str:
        """Like the `datetime` filter (format "medium")."""
        return format_datetime_fast(value, self.locale, self.tz)

    def words(self, delta: timedelta) -> str:
        """babel's format_timedelta(delta, threshold=1.5, add_direction=True): its words depend only on
        the unit it picks, the rounded count and the direction, so each of those is formatted once."""
        seconds = delta.total_seconds()
        for unit, per_unit in dates.TIMEDELTA_UNITS:
            count = abs(seconds) / per_unit
            if count >= 1.5 or unit == "second":
                if unit == "second" and count > 0:
                    count = max(1, count)
                key = (unit, int(round(count)), seconds >= 0)
                break
        text = self._words.get(key)
        if text is None:
            text = self._words[key] = dates.format_timedelta(seconds, threshold=1.5, add_direction=True,
                                                              locale=self.locale)
        return text


_TENTH = Decimal("0.1")
_CHANGES = object()  # a UTC day on which the reader's zone changes its offset


def _date_pattern(locale, fmt: str):
    key = (locale, fmt)
    pattern = _DATE_PATTERNS.get(key)
    if pattern is None:
        spec = fmt
        if fmt in NAMED:
            spec = get_babel().instance.date_formats.get(f"date.{fmt}") or dates.get_date_format(fmt, locale=locale)
        pattern = _DATE_PATTERNS[key] = dates.parse_pattern(spec)
    return pattern


def format_datetime_fast(value: datetime, locale, tz) -> str:
    """Like flask_babel.format_datetime(value) (the app's "datetime.medium" pattern, the reader's zone)."""
    pattern = _DATETIME_PATTERNS.get(locale)
    if pattern is None:
        spec = get_babel().instance.date_formats.get("datetime.medium")
        if spec is None or spec in NAMED:
            from flask_babel import format_datetime

            return format_datetime(value)
        pattern = _DATETIME_PATTERNS[locale] = dates.parse_pattern(spec)
    local = tz.normalize((value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(tz))
    return pattern.apply(local, locale)
