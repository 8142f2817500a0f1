"""The `date` and `number` template filters with babel's parsed patterns kept once per process.

Flask-Babel's `format_date` and `format_decimal` resolve the format name, parse the pattern and
walk its context for the locale and time zone on every call; a 100-project dashboard formats
about 400 dates and 400 numbers per page. Here the parsed pattern is kept per (locale, format),
and the output is the same: the request's locale, the reader's time zone, the app's date formats.
`PageFormats` goes further for one page with thousands of dates and numbers (the teacher dashboard).
"""
import re
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
    each distinct day, number and relative time formatted once per process (the texts are kept per
    locale and zone, `_shared`). Same output as the filters; with `html=True` the dates come escaped
    for HTML (numbers are digits and the decimal symbol).

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
        self._name, self._html = str(self.locale), html
        self._offsets = _shared("offsets", self.tz)  # UTC date -> the zone's offset all that day, or _CHANGES
        self._days: dict = {}  # format -> {local date: text}
        self._tenths = self.tenths = _shared("tenths", self._decimal)  # number -> text with one decimal (`tenth`'s,
        # for a caller that looks up many numbers: `tenths.get(value) or tenth(value)`)
        self._words = _shared("words", self._name)  # (unit, count, future) -> "3 days ago"
        self._day_fields = _shared("day fields", self._name)  # local date -> {datetime pattern's field: text}

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
            texts = self._days[fmt] = _shared("days", self._name, fmt, self._html)
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
        """Like the `datetime` filter (format "medium"). When the app's pattern has only date fields and
        the hour and minute (d MMM y, HH:mm), the date's fields are formatted once per day."""
        pattern = _datetime_pattern(self.locale)
        if value.tzinfo is not timezone.utc:
            value = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
        offset = self._offsets.get(value.date())
        if offset is None:
            offset = self._offsets[value.date()] = self._offset_all_day(value.date())
        fields = _split_fields(pattern)
        if not fields or offset is _CHANGES:
            return self._escape(format_datetime_fast(value, self.locale, self.tz))
        day_names, time_names = fields
        local = value + offset
        day = local.date()
        texts = self._day_fields.get(day)
        if texts is None:
            day_format = dates.DateTimeFormat(day, self.locale)
            texts = self._day_fields[day] = {name: day_format[name] for name in day_names}
        texts = dict(texts)
        for name, attribute in time_names:
            texts[name] = "%0*d" % (len(name), getattr(local, attribute))
        return self._escape(pattern.format % texts)

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
_SHARED: dict = {}  # (kind, locale or zone, ...) -> {value: text}: the same inputs give the same text
_SHARED_LIMIT = 20_000  # entries per table; a full table starts again


def _shared(*key) -> dict:
    table = _SHARED.get(key)
    if table is None:
        table = _SHARED[key] = {}
    elif len(table) > _SHARED_LIMIT:
        table.clear()
    return table


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


def _datetime_pattern(locale):
    """The app's "datetime.medium" pattern, parsed; None when it is a name (babel's own format)."""
    pattern = _DATETIME_PATTERNS.get(locale)
    if pattern is None:
        spec = get_babel().instance.date_formats.get("datetime.medium")
        if spec is None or spec in NAMED:
            return None
        pattern = _DATETIME_PATTERNS[locale] = dates.parse_pattern(spec)
    return pattern


_PATTERN_FIELDS: dict = {}  # pattern text -> (date field names, ((time field, attribute), ...)) or ()
_DAY_CHARS = set("GyYuUQqMLlwWdDFgEec")  # fields that depend on the date only
_TIME_FIELDS = {"H": "hour", "HH": "hour", "m": "minute", "mm": "minute"}  # babel: "%0*d" % (len, value)


def _split_fields(pattern):
    """The pattern's date fields and its hour and minute fields; () when it has others (or is None)."""
    if pattern is None:
        return ()
    fields = _PATTERN_FIELDS.get(pattern.pattern)
    if fields is None:
        names = re.findall(r"%\((\w+)\)s", pattern.format)
        fields = _PATTERN_FIELDS[pattern.pattern] = () if not all(
            name[0] in _DAY_CHARS or name in _TIME_FIELDS for name in names) else (
            [name for name in names if name[0] in _DAY_CHARS],
            tuple((name, _TIME_FIELDS[name]) for name in names if name in _TIME_FIELDS))
    return fields


def format_datetime_fast(value: datetime, locale, tz) -> str:
    """Like flask_babel.format_datetime(value) (the app's "datetime.medium" pattern, the reader's zone)."""
    pattern = _datetime_pattern(locale)
    if pattern is None:
        from flask_babel import format_datetime

        return format_datetime(value)
    local = tz.normalize((value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(tz))
    return pattern.apply(local, locale)
