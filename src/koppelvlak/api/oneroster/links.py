"""The RFC 8288 ``Link`` header of a OneRoster collection page (first, last, next, prev).

Every URL is built from the configured public URL (``KOPPELVLAK_PUBLIC_URL``), never from the
request's ``Host`` header, and carries only the collection parameters OneRoster defines: an
unknown query parameter is not echoed back to the client (it could be anything, of any size).
``prev`` never points past the last page, even when the request's ``offset`` did.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

KEPT = ("filter", "sort", "orderBy", "fields")  # besides limit and offset, which each link sets


def link_header(
    public_url: str, path: str, params: Mapping[str, str], *, limit: int, offset: int, total: int
) -> str:
    """The header for the page at ``offset`` of ``total`` records, ``limit`` per page."""
    base = public_url.rstrip("/") + path
    kept = {name: params[name] for name in KEPT if name in params}

    def url(at: int) -> str:
        return base + "?" + urlencode({**kept, "limit": limit, "offset": at})

    last = ((total - 1) // limit) * limit if total else 0
    links = [f'<{url(0)}>; rel="first"', f'<{url(last)}>; rel="last"']
    if offset + limit < total:
        links.append(f'<{url(offset + limit)}>; rel="next"')
    if offset > 0:
        links.append(f'<{url(max(0, min(offset - limit, last)))}>; rel="prev"')
    return ", ".join(links)
