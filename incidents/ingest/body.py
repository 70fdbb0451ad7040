"""Decode a request body into JSON that every database we support can store."""

from __future__ import annotations

import json
import math

from .base import InvalidPayload


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is too large for a JSON number")
    return number


def unstorable(value: object) -> str | None:
    """Say why PostgreSQL would refuse a string inside `value` (SQLite would not), or None."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "contains a NUL character (\\u0000)"
            try:
                item.encode()
            except UnicodeEncodeError:
                return "contains an unpaired UTF-16 surrogate"
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def json_decode(raw: bytes) -> object:
    """Return the JSON value in `raw`, or raise InvalidPayload naming the problem (field "body")."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidPayload(
            "The body is not UTF-8 text.", {"body": f"not UTF-8 (byte {error.start})"}
        ) from error
    if not text.strip():
        raise InvalidPayload("The body is empty; send a JSON object.", {"body": "required"})
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except json.JSONDecodeError as error:
        problem = f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        raise InvalidPayload(f"The body is {problem}.", {"body": problem}) from error
    except (ValueError, RecursionError) as error:
        problem = f"not valid JSON: {error or 'nested too deeply'}"
        raise InvalidPayload(f"The body is {problem}.", {"body": problem}) from error
    # A NUL or a lone surrogate can only come from a \u escape: strict UTF-8 decoding refuses
    # surrogates and the JSON decoder a raw control character, so most bodies skip the walk.
    problem = unstorable(value) if "\\u" in text else None
    if problem:
        raise InvalidPayload(f"The body {problem}.", {"body": problem})
    return value
