"""How the JSON columns are written and read (the engine's `json_serializer` and `json_deserializer`).

orjson parses a dashboard's summary rows in less than half json's time and writes them in a tenth
(issue 19). What the app stores (text, numbers, lists and objects with text keys, None) is written as
json.dumps wrote it, apart from spacing, non-ASCII characters (kept as they are, not escaped) and the
exponent of very small numbers (1e-07 becomes 1e-7). Keys that are numbers become text, as before
(OPT_NON_STR_KEYS); datetimes and dataclasses are refused, as before (the PASSTHROUGH options, with no
`default`); Decimal and sets are refused by both. Unlike json, orjson writes NaN as null, refuses whole
numbers beyond 64 bits, and does not read NaN, Infinity or lone surrogates: nothing the app stores
holds them (the pulse averages come from SQL's avg; form text cannot hold a lone surrogate).
"""
import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps(value) -> str:
    return orjson.dumps(value, option=_OPTIONS).decode()


loads = orjson.loads
