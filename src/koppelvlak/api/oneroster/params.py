"""The OneRoster collection parameters: paging, sorting, field selection and the filter grammar.

The filter language is the one of OneRoster 1.2 §3.4: ``field op 'value'`` where ``op`` is one of
``=``, ``!=``, ``>``, ``>=``, ``<``, ``<=`` or ``~`` (contains), joined by ``AND`` / ``OR``
(``AND`` binds tighter) and grouped with parentheses, as clients write an ``in``:
``(role='student' OR role='teacher')``. A field may be a dotted path into a reference
(``school.sourcedId``, ``roles.role``). It is parsed into a small tree and evaluated over
*rendered* records, so a filter can only ever see what the provider would see anyway.

A filter is bounded (``MAX_FILTER_LENGTH`` characters, ``MAX_FILTER_TERMS`` comparisons,
``MAX_FILTER_DEPTH`` nested parentheses): every comparison is evaluated against every record
and the filter is repeated in each ``Link``, so an unbounded one is a cheap way to tie up a worker.
A value compared with a date field must be an RFC 3339 date or date-time (``t`` and ``z`` may be
lower case); anything else is refused rather than silently matching nothing.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal, TypeAlias, TypeVar

from koppelvlak.api.oneroster.errors import invalid_data, invalid_filter, invalid_selection

DEFAULT_LIMIT = 100
MAX_LIMIT = 1_000
INT32_MAX = 2**31 - 1  # the schema's format: int32
OPERATORS = ("!=", ">=", "<=", "=", ">", "<", "~")
ALWAYS_SELECTED = ("sourcedId", "status", "dateLastModified")
MAX_FILTER_LENGTH = 2_000
MAX_FILTER_TERMS = 50
MAX_FILTER_DEPTH = 5
# Fields of the references and roles a dotted filter path may reach (``school.sourcedId``).
SUBFIELDS = frozenset(
    {"sourcedId", "href", "type", "role", "roleType", "org", "userProfile", "beginDate", "endDate"}
)
DATE_FIELDS = frozenset({"dateLastModified", "birthDate", "startDate", "endDate", "beginDate"})
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:[Zz]|[+-]\d{2}:\d{2})?)?"
)

Record: TypeAlias = Mapping[str, object]
Operator = Literal["=", "!=", ">", ">=", "<", "<=", "~"]


@dataclass(frozen=True)
class Comparison:
    field: str
    op: Operator
    value: str


@dataclass(frozen=True)
class Junction:
    kind: Literal["AND", "OR"]
    parts: tuple[Expression, ...]


Expression: TypeAlias = Comparison | Junction

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*')
      | (?P<op>!=|>=|<=|=|>|<|~)
      | (?P<paren>[()])
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
      | (?P<bad>\S)
    )""",
    re.VERBOSE,
)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup == "bad" or match.lastgroup is None:
            raise invalid_filter(f"filter: unexpected character at position {position + 1}")
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "string":
            value = value[1:-1].replace("''", "'")
        tokens.append((kind, value))
        position = match.end()
    return tokens


def _known(field: str, fields: frozenset[str]) -> bool:
    """A field of the record, or a dotted path from one into its references."""
    head, *rest = field.split(".")
    return field in fields or (head in fields and bool(rest) and all(p in SUBFIELDS for p in rest))


def _check_value(comparison: Comparison) -> None:
    """A value compared with a date field must be a date or date-time (``~`` takes any text)."""
    if comparison.op == "~" or comparison.field.rsplit(".", 1)[-1] not in DATE_FIELDS:
        return
    if _as_moment(comparison.value) is None:
        raise invalid_filter(
            f"filter: {comparison.field} needs an RFC 3339 date or date-time, "
            f"got {comparison.value!r}"
        )


def parse_filter(text: str, fields: frozenset[str]) -> Expression:
    """Parse ``text``; every field must be one of ``fields`` (else ``invalid_filter_field``)."""
    if len(text) > MAX_FILTER_LENGTH:
        raise invalid_filter(f"filter: longer than {MAX_FILTER_LENGTH} characters")
    tokens = _tokens(text)
    if not tokens:
        raise invalid_filter("filter: empty expression")
    if sum(kind == "op" for kind, _ in tokens) > MAX_FILTER_TERMS:
        raise invalid_filter(f"filter: more than {MAX_FILTER_TERMS} comparisons")
    index = 0
    depth = 0

    def primary() -> Expression:
        nonlocal index, depth
        if index < len(tokens) and tokens[index] == ("paren", "("):
            depth += 1
            if depth > MAX_FILTER_DEPTH:
                raise invalid_filter(
                    f"filter: parentheses nested more than {MAX_FILTER_DEPTH} deep"
                )
            index += 1
            inner = disjunction()
            if index >= len(tokens) or tokens[index] != ("paren", ")"):
                raise invalid_filter("filter: expected a closing parenthesis")
            index += 1
            depth -= 1
            return inner
        return comparison()

    def comparison() -> Comparison:
        nonlocal index
        if index + 3 > len(tokens):
            raise invalid_filter("filter: expected field, operator and quoted value")
        (k1, field), (k2, op), (k3, value) = tokens[index : index + 3]
        if k1 != "word" or k2 != "op" or k3 != "string":
            raise invalid_filter("filter: expected field, operator and quoted value")
        if not _known(field, fields):
            raise invalid_filter(f"filter: unknown field {field!r}")
        index += 3
        found = Comparison(field, op, value)  # type: ignore[arg-type]  # op is one of OPERATORS by the regex
        _check_value(found)
        return found

    def junction(kind: Literal["AND", "OR"], part: Callable[[], Expression]) -> Expression:
        nonlocal index
        parts = [part()]
        while index < len(tokens) and tokens[index] == ("word", kind):
            index += 1
            parts.append(part())
        return parts[0] if len(parts) == 1 else Junction(kind, tuple(parts))

    def conjunction() -> Expression:
        return junction("AND", primary)

    def disjunction() -> Expression:
        return junction("OR", conjunction)

    expression = disjunction()
    if index != len(tokens):
        if tokens[index] == ("paren", ")"):
            raise invalid_filter("filter: a closing parenthesis without an opening one")
        raise invalid_filter("filter: expected AND or OR between comparisons")
    return expression


def _as_moment(text: str) -> datetime | None:
    """An RFC 3339 date (midnight UTC) or date-time; a date-time without offset is UTC."""
    if _RFC3339.fullmatch(text) is None:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_ORDER: Mapping[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


def _compare(actual: str, op: Operator, expected: str) -> bool:
    """Compare as moments when both sides are dates or date-times, else as strings."""
    if op == "~":
        return expected.lower() in actual.lower()
    moment_left, moment_right = _as_moment(actual), _as_moment(expected)
    if moment_left is not None and moment_right is not None:
        return _ORDER[op](moment_left, moment_right)
    return _ORDER[op](actual, expected)


def field_values(record: Record, field: str) -> list[str]:
    """The scalar strings a (possibly dotted) field has in a record; lists match any element."""
    values: list[object] = [record]
    for part in field.split("."):
        next_values: list[object] = []
        for value in values:
            items = value if isinstance(value, list) else [value]
            for item in items:
                if isinstance(item, Mapping) and part in item:
                    next_values.append(item[part])
        values = next_values
    flat: list[str] = []
    for value in values:
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, Mapping):
                if "sourcedId" in item:
                    flat.append(str(item["sourcedId"]))
            else:
                flat.append(str(item))
    return flat


def matches(expression: Expression, record: Record, aliases: Mapping[str, str]) -> bool:
    if isinstance(expression, Junction):
        results = (matches(part, record, aliases) for part in expression.parts)
        return all(results) if expression.kind == "AND" else any(results)
    path = aliases.get(expression.field, expression.field)
    values = field_values(record, path)
    if expression.op == "!=":
        return all(_compare(v, "!=", expression.value) for v in values)
    return any(_compare(v, expression.op, expression.value) for v in values)


def lower_bound(expression: Expression | None, field: str) -> datetime | None:
    """The earliest ``field > / >= 'moment'`` the filter asks for: the ``since`` of a delta."""
    if expression is None:
        return None
    if isinstance(expression, Comparison):
        if expression.field == field and expression.op in (">", ">="):
            return _as_moment(expression.value)
        return None
    bounds = [lower_bound(part, field) for part in expression.parts]
    found = [b for b in bounds if b is not None]
    if expression.kind == "OR" and len(found) != len(bounds):
        return None
    if not found:
        return None
    return min(found) if expression.kind == "OR" else max(found)


@dataclass(frozen=True)
class CollectionQuery:
    """The validated parameters of one collection request."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0
    sort: str | None = None
    descending: bool = False
    fields: tuple[str, ...] | None = None
    filter: Expression | None = None

    def select(
        self, record: Record, required: Sequence[str] = ALWAYS_SELECTED
    ) -> dict[str, object]:
        """Project onto ``fields``, keeping the identity and schema-required fields."""
        if self.fields is None:
            return dict(record)
        keep = {*ALWAYS_SELECTED, *required, *self.fields}
        return {key: value for key, value in record.items() if key in keep}


def _integer(name: str, text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise invalid_data(f"{name}: must be a whole number, got {text!r}") from None
    if value < minimum:
        raise invalid_data(f"{name}: must be at least {minimum}")
    if value > INT32_MAX:
        raise invalid_data(f"{name}: must be at most {INT32_MAX}")
    return value


def parse_fields(text: str | None, allowed: frozenset[str]) -> tuple[str, ...] | None:
    if text is None:
        return None
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in allowed]
    if unknown or not names:
        raise invalid_selection(f"fields: unknown field {unknown[0] if unknown else text!r}")
    return names


def parse_collection(params: Mapping[str, str], allowed: frozenset[str]) -> CollectionQuery:
    """Validate the query parameters of a collection against the fields its records may have."""
    limit = DEFAULT_LIMIT
    if "limit" in params:
        limit = min(_integer("limit", params["limit"], 1), MAX_LIMIT)
    offset = _integer("offset", params["offset"], 0) if "offset" in params else 0
    sort = params.get("sort")
    if sort is not None and sort not in allowed:
        raise invalid_data(f"sort: unknown field {sort!r}")
    order = params.get("orderBy", "asc")
    if order not in ("asc", "desc"):
        raise invalid_data("orderBy: must be asc or desc")
    expression = parse_filter(params["filter"], allowed) if "filter" in params else None
    return CollectionQuery(
        limit=limit,
        offset=offset,
        sort=sort,
        descending=order == "desc",
        fields=parse_fields(params.get("fields"), allowed),
        filter=expression,
    )


T = TypeVar("T")


def sort_key(
    field: str, aliases: Mapping[str, str], record_of: Callable[[T], Record]
) -> Callable[[T], tuple[int, str]]:
    path = aliases.get(field, field)

    def key(item: T) -> tuple[int, str]:
        values = field_values(record_of(item), path)
        return (0, values[0]) if values else (1, "")

    return key


def apply(
    query: CollectionQuery,
    items: Sequence[T],
    aliases: Mapping[str, str],
    record_of: Callable[[T], Record],
) -> tuple[int, list[T]]:
    """Filter and sort ``items``; return the total and the requested page (not yet projected)."""
    selected = [
        item
        for item in items
        if query.filter is None or matches(query.filter, record_of(item), aliases)
    ]
    if query.sort is not None:
        selected.sort(key=sort_key(query.sort, aliases, record_of), reverse=query.descending)
    elif query.descending:
        selected.reverse()
    return len(selected), selected[query.offset : query.offset + query.limit]
