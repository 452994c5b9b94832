"""Bad values for each kind of field of a request body, and the fields of a body schema.

Used by test_bad_input.py: a valid body is made wrong in one place at a time.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

HUGE = (2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, 10**30)
NUMBERS = (0, -1, -(2**31), *HUGE, 1.5, 1e308)
WRONG_FOR_NUMBER = ("1", "abc", True, [], {}, None)
WRONG_FOR_TEXT = (123, 1.5, True, [], {"a": 1}, None)
TEXTS = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202eRTL override\u202c",
    "\u200f\u05e9\u05dc\u05d5\u05dd",
    "😀" * 50,
    "e\u0301\u0301\u0301",
    "\ud800",  # a lone surrogate: not encodable as UTF-8
    "\ufeff",
    "line\nbreak\r\n",
    "x" * 10_000,
    "=SUM(A1:A9)",
    "+1-1",
    "-2+3",
    "@cmd",
    "\t=1",
    "\r=1",
    '=HYPERLINK("http://x","y")',
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%s%n%x",
)
# Formula-leading text is valid data: where a field takes free text it is stored verbatim.
FORMULAS = ("=SUM(A1:A9)", "+1-1", "-2+3", "@cmd", '=HYPERLINK("http://x","y")')
WRONG_FOR_LIST = ("x", 1, {}, [], [None], [1], ["x"], [[]], None)
WRONG_FOR_BOOL = ("yes", 2, [], None)
WRONG_FOR_OBJECT = ("x", 1, [], None, True)
RAW_BODIES = (
    b"",
    b"{",
    b"nope",
    b"\xff\xfe\x00",
    b"[]",
    b'"text"',
    b"1",
    b"null",
    b"true",
    b'{"a": NaN}',
    b'{"a": Infinity}',
    b"[" * 5000 + b"]" * 5000,
    b'{"x": ' * 5000 + b"1" + b"}" * 5000,
)


def resolve(schema: dict, components: dict) -> dict:
    """The schema with $ref and nullable anyOf unwrapped (the non-null branch)."""
    while True:
        if "$ref" in schema:
            schema = components[schema["$ref"].rsplit("/", 1)[-1]]
            continue
        if "anyOf" in schema:
            branches = [s for s in schema["anyOf"] if s.get("type") != "null"]
            if len(branches) == 1:
                schema = branches[0]
                continue
        return schema


def fields(schema: dict, components: dict, prefix: tuple = ()) -> Iterator[tuple[tuple, dict]]:
    """(path, schema) of every field, descending into objects and the first item of lists."""
    schema = resolve(schema, components)
    for name, sub in schema.get("properties", {}).items():
        path = (*prefix, name)
        sub = resolve(sub, components)
        yield path, sub
        if sub.get("type") == "object":
            yield from fields(sub, components, path)
        elif sub.get("type") == "array":
            items = resolve(sub.get("items", {}), components)
            if items.get("type") == "object":
                yield from fields(items, components, (*path, 0))


def bad_values(schema: dict, name: str, *, thorough: bool) -> list:
    kind = schema.get("type")
    if kind == "integer" or kind == "number":
        values = [*NUMBERS, *WRONG_FOR_NUMBER]
        if name.endswith("_id") or name.endswith("_ids"):
            values.append(999_999_999)  # an id nobody has
    elif kind == "string":
        values = [*TEXTS, *WRONG_FOR_TEXT]
    elif kind == "array":
        values = list(WRONG_FOR_LIST)
        items = schema.get("items", {})
        if items.get("type") == "integer":
            values += [[0], [-1], [2**63], [999_999_999], ["1"]]
        elif items.get("type") == "string":
            values += [[t] for t in TEXTS[:8]]
    elif kind == "boolean":
        values = list(WRONG_FOR_BOOL)
    else:
        values = [*WRONG_FOR_OBJECT, "x" * 10_000, -1]
    if not thorough:  # the default run tries every third value; --slow every one
        values = values[::3] if len(values) > 10 else values
    return values


MISSING = object()


def mutate(body, path: tuple, value):
    """A deep copy of `body` with the field at `path` set to `value` (or removed: MISSING).
    None when the path does not exist in this body (an optional field it leaves out)."""
    out = copy.deepcopy(body)
    node = out
    for key in path[:-1]:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return None
    last = path[-1]
    if value is MISSING:
        if isinstance(node, dict) and last in node:
            del node[last]
            return out
        return None
    if isinstance(node, dict):
        node[last] = value
        return out
    if isinstance(node, list) and isinstance(last, int) and last < len(node):
        node[last] = value
        return out
    return None


def label(path: tuple) -> str:
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else key)
    return out
