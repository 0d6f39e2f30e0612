"""The OneRoster collection parameters: filter grammar, paging, sorting and field selection."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from koppelvlak.api.oneroster.errors import CodeMinor, OneRosterError
from koppelvlak.api.oneroster.fields import CLASS, ENROLLMENT, USER, USER_ALIASES, filterable
from koppelvlak.api.oneroster.params import (
    DATE_FIELDS,
    MAX_FILTER_DEPTH,
    MAX_FILTER_LENGTH,
    MAX_FILTER_TERMS,
    MAX_LIMIT,
    Comparison,
    Junction,
    apply,
    lower_bound,
    matches,
    parse_collection,
    parse_filter,
)

FIELDS = filterable(USER, USER_ALIASES)
USERS = [
    {
        "sourcedId": f"u{n}",
        "status": "active",
        "dateLastModified": f"2025-0{n}-01T00:00:00.000Z",
        "givenName": name,
        "roles": [{"role": role, "org": {"sourcedId": "12AB00"}}],
    }
    for n, (name, role) in enumerate(
        [("Anna", "student"), ("Bram", "teacher"), ("Cor", "student"), ("Dirk", "student")],
        start=1,
    )
]


def ids(records: list[dict[str, object]]) -> list[object]:
    return [r["sourcedId"] for r in records]


def select(text: str) -> list[object]:
    query = parse_collection({"filter": text}, FIELDS)
    return ids(apply(query, USERS, USER_ALIASES, lambda r: r)[1])


def refused(params: dict[str, str]) -> OneRosterError:
    with pytest.raises(OneRosterError) as caught:
        parse_collection(params, FIELDS)
    return caught.value


class TestFilterGrammar:
    def test_a_comparison_parses_to_field_operator_and_value(self) -> None:
        assert parse_filter("role='student'", FIELDS) == Comparison("role", "=", "student")

    def test_and_binds_tighter_than_or(self) -> None:
        parsed = parse_filter("givenName='A' OR givenName='B' AND role='x'", FIELDS)
        assert parsed == Junction(
            "OR",
            (
                Comparison("givenName", "=", "A"),
                Junction("AND", (Comparison("givenName", "=", "B"), Comparison("role", "=", "x"))),
            ),
        )

    def test_quoted_values_keep_spaces_operators_and_doubled_quotes(self) -> None:
        parsed = parse_filter("givenName='van ''t Hof >= AND'", FIELDS)
        assert parsed == Comparison("givenName", "=", "van 't Hof >= AND")

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("role='student'", ["u1", "u3", "u4"]),
            ("role!='student'", ["u2"]),
            ("dateLastModified>'2025-02-01T00:00:00Z'", ["u3", "u4"]),
            ("dateLastModified>='2025-02-01'", ["u2", "u3", "u4"]),
            ("dateLastModified<'2025-02-01T00:00:00Z'", ["u1"]),
            ("dateLastModified<='2025-02-01T00:00:00.000Z'", ["u1", "u2"]),
            ("givenName~'r'", ["u2", "u3", "u4"]),
            ("role='student' AND givenName~'a'", ["u1"]),
            ("givenName='Anna' OR givenName='Dirk'", ["u1", "u4"]),
        ],
    )
    def test_each_operator_selects_the_matching_records(
        self, text: str, expected: list[str]
    ) -> None:
        assert select(text) == expected

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("shoeSize='42'", "filter: unknown field 'shoeSize'"),
            ("role=student", "filter: expected field, operator and quoted value"),
            ("role='a' role='b'", "filter: expected AND or OR between comparisons"),
            ("role='a' AND", "filter: expected field, operator and quoted value"),
            ("role=='a'", "filter: expected field, operator and quoted value"),
            ("role='open", "filter: unexpected character at position 6"),
            ("   ", "filter: empty expression"),
        ],
    )
    def test_a_bad_filter_is_invalid_filter_field(self, text: str, message: str) -> None:
        error = refused({"filter": text})
        assert (error.status, error.code_minor, error.description) == (
            400,
            CodeMinor.INVALID_FILTER_FIELD,
            message,
        )

    @given(
        field=st.sampled_from(sorted(FIELDS - DATE_FIELDS)),
        op=st.sampled_from(["=", "!=", ">", ">=", "<", "<=", "~"]),
        value=st.text(max_size=30),
    )
    def test_any_quoted_value_round_trips(self, field: str, op: str, value: str) -> None:
        quoted = value.replace("'", "''")
        assert parse_filter(f"{field}{op}'{quoted}'", FIELDS) == Comparison(field, op, value)  # type: ignore[arg-type]

    @given(st.text(max_size=60))
    def test_any_text_parses_or_is_refused_as_invalid_filter_field(self, text: str) -> None:
        code: CodeMinor | None = None
        try:
            expression = parse_filter(text, FIELDS)
        except OneRosterError as error:
            code = error.code_minor
        else:
            for record in USERS:
                matches(expression, record, USER_ALIASES)
        assert code in (None, CodeMinor.INVALID_FILTER_FIELD)

    @given(st.lists(st.sampled_from(["Anna", "Bram", "Cor", "Dirk", "Eva"]), min_size=1))
    def test_or_of_names_selects_exactly_those_names(self, names: list[str]) -> None:
        text = " OR ".join(f"givenName='{n}'" for n in names)
        assert [r["givenName"] for r in USERS if r["sourcedId"] in select(text)] == [
            r["givenName"] for r in USERS if r["givenName"] in names
        ]

    @given(st.datetimes(timezones=st.just(UTC)))
    def test_not_equal_is_the_complement_of_equal(self, moment: datetime) -> None:
        stamp = moment.isoformat().replace("+00:00", "Z")
        equal = set(select(f"dateLastModified='{stamp}'"))
        unequal = set(select(f"dateLastModified!='{stamp}'"))
        assert equal | unequal == {r["sourcedId"] for r in USERS}
        assert not equal & unequal


class TestParentheses:
    def test_a_parenthesised_or_binds_before_and(self) -> None:
        parsed = parse_filter("(givenName='A' OR givenName='B') AND role='x'", FIELDS)
        assert parsed == Junction(
            "AND",
            (
                Junction(
                    "OR", (Comparison("givenName", "=", "A"), Comparison("givenName", "=", "B"))
                ),
                Comparison("role", "=", "x"),
            ),
        )

    def test_an_in_as_clients_write_it_selects_those_records(self) -> None:
        assert select("(givenName='Anna' OR givenName='Cor') AND role='student'") == ["u1", "u3"]
        assert select("((givenName='Bram'))") == ["u2"]

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("(role='a'", "filter: expected a closing parenthesis"),
            ("role='a')", "filter: a closing parenthesis without an opening one"),
            ("()", "filter: expected field, operator and quoted value"),
            ("(" * 6 + "role='a'" + ")" * 6, "filter: parentheses nested more than 5 deep"),
        ],
    )
    def test_unbalanced_or_too_deep_parentheses_are_refused(self, text: str, message: str) -> None:
        assert refused({"filter": text}).description == message


class TestDottedPaths:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("roles.role='teacher'", ["u2"]),
            ("roles.org.sourcedId='12AB00'", ["u1", "u2", "u3", "u4"]),
            ("roles.org='12AB00'", ["u1", "u2", "u3", "u4"]),
        ],
    )
    def test_a_dotted_path_reaches_into_references(self, text: str, expected: list[str]) -> None:
        assert select(text) == expected

    @pytest.mark.parametrize(
        ("fields", "text"),
        [
            (USER, "primaryOrg.sourcedId='x'"),
            (ENROLLMENT, "class.sourcedId='x'"),
            (ENROLLMENT, "user.sourcedId='x'"),
            (ENROLLMENT, "school.sourcedId='x'"),
            (CLASS, "school.sourcedId='x'"),
        ],
    )
    def test_the_paths_the_provider_documentation_promises_parse(
        self, fields: frozenset[str], text: str
    ) -> None:
        field = text.split("=", maxsplit=1)[0]
        assert parse_filter(text, fields) == Comparison(field, "=", "x")

    @pytest.mark.parametrize("text", ["school.name='x'", "shoe.sourcedId='x'", "school.='x'"])
    def test_an_unknown_path_is_an_unknown_field(self, text: str) -> None:
        error = refused({"filter": text})
        assert error.description == f"filter: unknown field {text.split('=', maxsplit=1)[0]!r}"


class TestDatesInFilters:
    @pytest.mark.parametrize(
        "value", ["2025-13-01", "yesterday", "2025-02-01 10:00:00Z", "", "2025-02-30"]
    )
    def test_a_malformed_date_is_refused_instead_of_matching_nothing(self, value: str) -> None:
        error = refused({"filter": f"dateLastModified>'{value}'"})
        assert (error.status, error.code_minor, error.description) == (
            400,
            CodeMinor.INVALID_FILTER_FIELD,
            f"filter: dateLastModified needs an RFC 3339 date or date-time, got {value!r}",
        )

    def test_lower_case_t_and_z_are_rfc_3339(self) -> None:
        assert select("dateLastModified>'2025-02-01t00:00:00z'") == ["u3", "u4"]

    def test_contains_on_a_date_takes_any_text(self) -> None:
        assert select("dateLastModified~'2025-03'") == ["u3"]


class TestFilterBounds:
    def test_more_than_the_maximum_comparisons_is_refused(self) -> None:
        text = " OR ".join(f"givenName='{n}'" for n in range(MAX_FILTER_TERMS + 1))
        assert refused({"filter": text}).description == (
            f"filter: more than {MAX_FILTER_TERMS} comparisons"
        )

    def test_the_maximum_number_of_comparisons_is_served(self) -> None:
        text = " OR ".join(f"givenName='{n}'" for n in range(MAX_FILTER_TERMS - 1))
        assert select(text + " OR givenName='Cor'") == ["u3"]

    def test_a_filter_longer_than_the_maximum_is_refused_before_parsing(self) -> None:
        text = "givenName='" + "a" * MAX_FILTER_LENGTH + "'"
        error = refused({"filter": text})
        assert (error.code_minor, error.description) == (
            CodeMinor.INVALID_FILTER_FIELD,
            f"filter: longer than {MAX_FILTER_LENGTH} characters",
        )

    def test_the_depth_bound_is_the_documented_one(self) -> None:
        nested = "(" * MAX_FILTER_DEPTH + "givenName='Cor'" + ")" * MAX_FILTER_DEPTH
        assert select(nested) == ["u3"]


class TestDeltas:
    def test_the_lower_bound_of_date_last_modified_is_the_since_of_a_delta(self) -> None:
        parsed = parse_filter("dateLastModified>'2025-01-01T00:00:00Z' AND role='student'", FIELDS)
        assert lower_bound(parsed, "dateLastModified") == datetime(2025, 1, 1, tzinfo=UTC)

    def test_an_or_with_an_unbounded_branch_has_no_lower_bound(self) -> None:
        parsed = parse_filter("dateLastModified>'2025-01-01' OR role='student'", FIELDS)
        assert lower_bound(parsed, "dateLastModified") is None


class TestPagingSortingAndFields:
    def test_defaults_are_limit_100_and_offset_0(self) -> None:
        query = parse_collection({}, FIELDS)
        assert (query.limit, query.offset, query.sort, query.fields) == (100, 0, None, None)

    def test_a_limit_above_the_maximum_is_capped(self) -> None:
        assert parse_collection({"limit": "100000"}, FIELDS).limit == MAX_LIMIT

    @pytest.mark.parametrize(
        ("params", "message"),
        [
            ({"limit": "0"}, "limit: must be at least 1"),
            ({"limit": "ten"}, "limit: must be a whole number, got 'ten'"),
            ({"offset": "-1"}, "offset: must be at least 0"),
            ({"offset": "2147483648"}, "offset: must be at most 2147483647"),
            ({"sort": "shoeSize"}, "sort: unknown field 'shoeSize'"),
            ({"orderBy": "up"}, "orderBy: must be asc or desc"),
        ],
    )
    def test_bad_paging_or_sorting_is_invaliddata(
        self, params: dict[str, str], message: str
    ) -> None:
        error = refused(params)
        assert (error.status, error.code_minor, error.description) == (
            400,
            CodeMinor.INVALID_DATA,
            message,
        )

    def test_an_unknown_selected_field_is_invalid_selection_field(self) -> None:
        error = refused({"fields": "givenName,shoeSize"})
        assert (error.code_minor, error.description) == (
            CodeMinor.INVALID_SELECTION_FIELD,
            "fields: unknown field 'shoeSize'",
        )

    def test_a_projection_always_keeps_sourced_id_status_and_date_last_modified(self) -> None:
        query = parse_collection({"fields": "givenName"}, FIELDS)
        assert query.select(USERS[0], ("roles",))["roles"] == USERS[0]["roles"]
        assert query.select(USERS[0]) == {
            "sourcedId": "u1",
            "status": "active",
            "dateLastModified": "2025-01-01T00:00:00.000Z",
            "givenName": "Anna",
        }

    def test_sort_descending_then_page(self) -> None:
        query = parse_collection(
            {"sort": "givenName", "orderBy": "desc", "limit": "2", "offset": "1"}, FIELDS
        )
        total, page = apply(query, USERS, USER_ALIASES, lambda r: r)
        assert (total, ids(page)) == (4, ["u3", "u2"])

    @given(limit=st.integers(1, 6), offset=st.integers(0, 6))
    def test_pages_are_consecutive_slices_of_the_whole(self, limit: int, offset: int) -> None:
        query = parse_collection({"limit": str(limit), "offset": str(offset)}, FIELDS)
        total, page = apply(query, USERS, USER_ALIASES, lambda r: r)
        assert total == len(USERS)
        assert ids(page) == ids(USERS)[offset : offset + limit]
