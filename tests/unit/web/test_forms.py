"""Form posts are read only up to their limit and only as url-encoded fields."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from starlette.requests import Request

from koppelvlak.web.forms import MAX_FORM_BYTES, FormRefused, FormTooLarge, read_form


def _request(body: bytes, kind: str = "application/x-www-form-urlencoded", length: bool = True):  # type: ignore[no-untyped-def]
    headers = [(b"content-type", kind.encode())]
    if length:
        headers.append((b"content-length", str(len(body)).encode()))
    chunks = [body[i : i + 1000] for i in range(0, len(body), 1000)] or [b""]

    async def receive() -> dict[str, object]:
        chunk = chunks.pop(0) if chunks else b""
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    return Request({"type": "http", "method": "POST", "headers": headers}, receive)


def _read(request: Request):  # type: ignore[no-untyped-def]
    # On its own thread: once a browser test has run on this worker, Playwright's sync API
    # keeps its event loop marked as running on the test thread, and asyncio.run refuses there.
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, read_form(request)).result()


class TestReadForm:
    def test_fields_repeat_and_blanks_are_kept(self) -> None:
        form = _read(_request(b"group=a&group=b&reason=&csrf=t"))
        assert (form.all("group"), form.get("reason"), form.get("csrf")) == (["a", "b"], "", "t")

    @pytest.mark.parametrize("length", [True, False])
    def test_a_body_over_the_limit_is_refused_declared_or_streamed(self, length: bool) -> None:
        with pytest.raises(FormTooLarge, match="the form is larger than 16384 bytes"):
            _read(_request(b"a=" + b"x" * MAX_FORM_BYTES, length=length))

    def test_a_multipart_body_is_refused(self) -> None:
        with pytest.raises(FormRefused, match="application/x-www-form-urlencoded"):
            _read(_request(b"--x", kind="multipart/form-data; boundary=x"))
