"""The one error an importer raises: where the input is wrong, what is wrong, what was expected.

A refused import changes nothing in the roster; the CLI shows ``str(error)`` as one line and the
import history stores ``detail`` and ``location``. Some inputs have several defects at once (a
OneRoster package with three wrong headers); ``problems`` then lists them all, so a school admin
can fix them in one go rather than one per attempt.
"""

from __future__ import annotations

from koppelvlak.errors import KoppelvlakError


class ImportFailed(KoppelvlakError):
    """The input cannot be imported; nothing was written except the import history."""

    status = 422
    title = "Import refused"

    def __init__(
        self,
        detail: str,
        *,
        location: str | None = None,
        problems: tuple[str, ...] = (),
    ) -> None:
        super().__init__(detail, location=location)
        self.problems = problems or ((f"{location}: {detail}" if location else detail),)

    def __str__(self) -> str:
        if len(self.problems) > 1:
            shown = "; ".join(self.problems[:8])
            more = len(self.problems) - 8
            return shown + (f"; and {more} more" if more > 0 else "")
        return super().__str__()


def at(file: str, line: object = None, path: str | None = None) -> str:
    """A location as people read it: ``pupils.xml, line 42, leerling[key=000121]/geboortedatum``."""
    parts = [file]
    if isinstance(line, int):
        parts.append(f"line {line}")
    if path:
        parts.append(path)
    return ", ".join(parts)
