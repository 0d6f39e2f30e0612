"""The Link header of a collection page: from the public URL, only OneRoster's parameters."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from koppelvlak.api.oneroster.links import link_header

PUBLIC = "https://gateway.example.nl"
PATH = "/ims/oneroster/rostering/v1p2/users"


def rels(header: str) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]*)>; rel="([a-z]+)"', header)}


class TestTheLinks:
    def test_first_last_next_and_prev_of_a_middle_page(self) -> None:
        links = rels(link_header(PUBLIC, PATH, {}, limit=10, offset=20, total=95))
        assert links == {
            "first": f"{PUBLIC}{PATH}?limit=10&offset=0",
            "last": f"{PUBLIC}{PATH}?limit=10&offset=90",
            "next": f"{PUBLIC}{PATH}?limit=10&offset=30",
            "prev": f"{PUBLIC}{PATH}?limit=10&offset=10",
        }

    def test_the_collection_parameters_are_kept_and_unknown_ones_dropped(self) -> None:
        params = {
            "filter": "role='student'",
            "sort": "familyName",
            "orderBy": "desc",
            "fields": "givenName",
            "limit": "5",
            "x" * 50: "y" * 5000,
            "callback": "evil",
        }
        first = rels(link_header(PUBLIC, PATH, params, limit=5, offset=0, total=3))["first"]
        assert first == (
            f"{PUBLIC}{PATH}?filter=role%3D%27student%27&sort=familyName&orderBy=desc"
            "&fields=givenName&limit=5&offset=0"
        )

    def test_prev_of_a_page_past_the_end_is_the_last_page(self) -> None:
        links = rels(link_header(PUBLIC, PATH, {}, limit=10, offset=500, total=95))
        assert links["prev"] == links["last"] == f"{PUBLIC}{PATH}?limit=10&offset=90"
        assert "next" not in links

    def test_an_empty_collection_has_first_and_last_at_zero(self) -> None:
        links = rels(link_header(PUBLIC, PATH, {}, limit=10, offset=0, total=0))
        assert links == {
            "first": f"{PUBLIC}{PATH}?limit=10&offset=0",
            "last": f"{PUBLIC}{PATH}?limit=10&offset=0",
        }

    @given(limit=st.integers(1, 50), offset=st.integers(0, 500), total=st.integers(0, 300))
    def test_no_link_points_past_the_last_page(self, limit: int, offset: int, total: int) -> None:
        links = rels(link_header(PUBLIC, PATH, {}, limit=limit, offset=offset, total=total))
        last = int(links["last"].rsplit("=", 1)[1])
        assert int(links.get("prev", links["last"]).rsplit("=", 1)[1]) <= last
        for rel, url in links.items():
            assert int(url.rsplit("=", 1)[1]) < max(total, 1), rel  # a page with records
