"""Reader of a OneRoster 1.2 CSV package (a folder or a zip), checked before anything is mapped.

The package is checked in two passes. First its shape: the manifest's modes, the file names and
the header of every file (exactly the 1.2 columns in the 1.2 order, optionally followed by
``metadata.*`` columns); every defect found there is reported at once, so a school can fix its
export in one go. Then the rows, failing at the first bad value with its file and line. Zips are
read defensively: no member outside the package folder, limits on members, sizes and compression
ratios (zip bombs), CSV fields of at most 1 MB. Text is data: a formula stays a string.
``oneroster_map.parse_oneroster`` is the entry point; this module knows nothing of the mapping.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO

from koppelvlak.roster.importers.errors import ImportFailed, at
from koppelvlak.roster.importers.oneroster_package import MAX_FIELD, Package
from koppelvlak.roster.importers.oneroster_spec import (
    BOOLEAN,
    CODES,
    COLUMNS,
    DATES,
    IMPORTED,
    MANIFEST_FILES,
    MODES,
    RACE,
    STATUS,
)
from koppelvlak.roster.importers.snapshot import Warnings
from koppelvlak.roster.importers.values import parse_date

# C0 and C1 control characters and DEL, except tab, CR and LF (which quoted CSV fields may hold).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")


@dataclass
class Reader:
    """Checks a package's shape, then hands out validated rows file by file."""

    package: Package
    today: date
    warnings: Warnings = field(default_factory=Warnings)
    modes: dict[str, str] = field(default_factory=dict)
    headers: dict[str, list[str]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # logical name → file name
    progress: Callable[[int], None] | None = None
    done: int = 0

    def check_shape(self) -> None:
        problems: list[str] = []
        self._manifest(problems)
        by_lower = {name.lower(): name for name in self.package.files}
        for logical in sorted(COLUMNS):
            wanted = f"{logical}.csv"
            actual = by_lower.get(wanted.lower())
            if actual is None:
                continue
            if actual != wanted:
                problems.append(f"{actual}: the file name is {actual!r}; expected {wanted!r}")
            self.names[logical] = actual
            self._header(logical, actual, problems)
        for logical, mode in self.modes.items():
            if mode in ("bulk", "delta") and logical in IMPORTED and logical not in self.names:
                problems.append(
                    f"manifest.csv: file.{logical} is {mode!r} but the package has "
                    f"no {logical}.csv; expected the file"
                )
        if (
            "users" in self.names
            and self.modes.get("users") != "absent"
            and "roles" not in self.names
        ):
            problems.append(
                "roles.csv is missing; expected it, since OneRoster 1.2 places users "
                "in schools through roles"
            )
        if problems:
            problems += self._row_problems()
            raise ImportFailed(problems[0], problems=tuple(problems))

    def _row_problems(self) -> list[str]:
        """With a broken shape, still name the first bad row of each file (one report)."""
        found = []
        for logical in IMPORTED:
            if not self.has(logical):
                continue
            try:
                rows = [row for _, row in self.rows(logical)]
            except ImportFailed as error:
                found.append(str(error))
                continue
            if logical == "orgs":
                orgs = {row.get("sourcedId") for row in rows}
                found += [
                    f"{self.names['orgs']}: parentSourcedId {row['parentSourcedId']!r} is "
                    "not an org in the file; expected a listed sourcedId"
                    for row in rows
                    if row.get("parentSourcedId", "") not in orgs | {""}
                ]
        return found

    def _manifest(self, problems: list[str]) -> None:
        if "manifest.csv" not in self.package.files:
            raise ImportFailed(
                "the package has no manifest.csv; expected a OneRoster 1.2 manifest",
                location=self.package.path.name,
            )
        with self.package.open("manifest.csv") as text:
            rows = list(self._csv(text, "manifest.csv"))
        if not rows or rows[0] != ["propertyName", "value"]:
            problems.append("manifest.csv, line 1: the header is not propertyName,value")
            return
        values = {}
        for line, row in enumerate(rows[1:], start=2):
            if len(row) != 2:
                problems.append(f"manifest.csv, line {line}: {len(row)} fields; expected 2")
                continue
            values[row[0]] = (row[1], line)
        version = values.get("oneroster.version", ("", 0))[0]
        if version != "1.2":
            problems.append(f"manifest.csv: oneroster.version is {version!r}; expected '1.2'")
        for key, (value, line) in values.items():
            if not key.startswith("file."):
                continue
            logical = key[5:]
            if logical not in MANIFEST_FILES:
                self.warnings.add(
                    f"unknown manifest entry {key} ignored", f"manifest.csv, line {line}"
                )
            elif value not in MODES:
                problems.append(
                    f"manifest.csv, line {line}: {key} is {value!r}; expected bulk, delta or absent"
                )
            else:
                self.modes[logical] = value
                if value != "absent" and logical not in IMPORTED:
                    self.warnings.add(
                        f"{logical}.csv is not imported (Koppelvlak imports rosters only)",
                        "manifest.csv",
                    )

    def _header(self, logical: str, name: str, problems: list[str]) -> None:
        with self.package.open(name) as text:
            header = next(self._csv(text, name), [])
        expected = list(COLUMNS[logical])
        standard = [column for column in header if not column.startswith("metadata.")]
        where = f"{name}, line 1"
        found: list[str] = []
        suggested: set[str] = set()
        for index, column in enumerate(header, start=1):
            if not column:
                found.append(
                    f"{where}: column {index} has no name; expected a 1.2 column or metadata.*"
                )
            elif column not in expected and not column.startswith("metadata."):
                close = difflib.get_close_matches(
                    column, [c for c in expected if c not in header], n=1, cutoff=0.8
                )
                suggested.update(close)
                hint = f"; expected {close[0]!r}" if close else "; expected only 1.2 columns"
                found.append(f"{where}: unknown column {column!r} (column {index}){hint}")
        found += [
            f"{where}: column {column!r} is missing; expected it (OneRoster 1.2)"
            for column in expected
            if column not in header and column not in suggested
        ]
        first_metadata = next((i for i, c in enumerate(header) if c.startswith("metadata.")), None)
        if not found and (
            standard != expected or (first_metadata is not None and first_metadata < len(expected))
        ):
            found.append(
                f"{where}: the columns are not in the 1.2 order; expected "
                + ",".join(expected)
                + " (then metadata.* columns)"
            )
        if found and logical not in IMPORTED:
            # Not imported: one line is enough to name the defect.
            ratio = {
                other: difflib.SequenceMatcher(None, header, list(cols)).ratio()
                for other, cols in COLUMNS.items()
            }
            like = max(ratio, key=lambda other: ratio[other])
            found = [
                f"{where}: the columns are not those of {logical}.csv ({len(found)} "
                f"differences)" + (f"; they are those of {like}.csv" if like != logical else "")
            ]
        problems.extend(found)
        self.headers[logical] = header

    def _csv(self, text: IO[str], name: str) -> Iterator[list[str]]:
        reader = csv.reader(text, strict=True)
        try:
            yield from reader
        except csv.Error as error:
            detail = str(error)
            if "field larger than field limit" in detail:
                detail = f"a field is larger than {MAX_FIELD} characters (1 MB); expected less"
            else:
                detail = f"broken CSV ({detail}); expected RFC 4180 CSV"
            raise ImportFailed(detail, location=at(name, reader.line_num)) from None
        except UnicodeDecodeError as error:
            raise ImportFailed(
                f"the file is not UTF-8 (byte 0x{error.object[error.start]:02x}); expected UTF-8",
                location=at(name, reader.line_num + 1),
            ) from None

    def has(self, logical: str) -> bool:
        return logical in self.names and self.modes.get(logical, "absent") != "absent"

    def rows(self, logical: str) -> Iterator[tuple[str, dict[str, str]]]:
        """(location, row) for every data row of a file, with its values checked."""
        if not self.has(logical):
            return
        name = self.names[logical]
        header = self.headers[logical]
        delta = self.modes[logical] == "delta"
        seen: set[str] = set()
        checks = [
            column
            for column in header
            if (logical, column) in CODES
            or column in DATES
            or (logical == "demographics" and column in RACE)
        ]
        with self.package.open(name) as text:
            rows = self._csv(text, name)
            next(rows, None)
            for line, values in enumerate(rows, start=2):
                where = f"{name}, line {line}"
                if len(values) != len(header):
                    raise ImportFailed(
                        f"{len(values)} fields; expected {len(header)}", location=where
                    )
                row = dict(zip(header, values, strict=True))
                if _CONTROL.search("".join(values)):
                    _refuse_control(row, where)
                self._check(logical, row, where, delta=delta, seen=seen, checks=checks)
                self.done += 1
                if self.progress is not None and self.done % 10_000 == 0:
                    self.progress(self.done)
                yield where, row

    def _check(
        self,
        logical: str,
        row: dict[str, str],
        where: str,
        *,
        delta: bool,
        seen: set[str],
        checks: list[str],
    ) -> None:
        key = row.get("sourcedId", "")
        if not key:
            raise ImportFailed("sourcedId is empty; expected an identifier", location=where)
        if key in seen:
            raise ImportFailed(
                f"sourcedId {key!r} appears twice; expected unique sourcedIds", location=where
            )
        seen.add(key)
        status, stamp = row.get("status", ""), row.get("dateLastModified", "")
        if status and status not in STATUS:
            raise ImportFailed(
                f"unknown status {status!r}; expected active or tobedeleted", location=where
            )
        if status == "tobedeleted" and not delta:
            raise ImportFailed(
                "status 'tobedeleted' in a bulk file; expected it only in a delta file",
                location=where,
            )
        if delta and not (status and stamp):
            raise ImportFailed(
                "a delta row needs status and dateLastModified; expected both", location=where
            )
        if stamp and not _TIMESTAMP.match(stamp):
            raise ImportFailed(
                f"dateLastModified {stamp!r} is not an ISO 8601 date-time; "
                "expected e.g. 2025-05-01T18:25:43.511Z",
                location=where,
            )
        for column in checks:
            value = row[column]
            if not value:
                continue
            allowed = CODES.get((logical, column))
            if allowed is not None and value not in allowed and not value.startswith("ext:"):
                listed = ", ".join(sorted(allowed))
                raise ImportFailed(
                    f"{column} {value!r} is not a 1.2 code; expected one of {listed}",
                    location=where,
                )
            if column in DATES:
                parse_date(
                    value,
                    where=where,
                    what=column,
                    not_after=self.today if column == "birthDate" else None,
                )
            elif logical == "demographics" and column in RACE and value not in BOOLEAN:
                raise ImportFailed(
                    f"{column} {value!r} is not a boolean; expected true or false", location=where
                )


def _refuse_control(row: dict[str, str], where: str) -> None:
    """Name the first field holding a control character (a NUL byte would be stored as is)."""
    for column, value in row.items():
        found = _CONTROL.search(value)
        if found is not None:
            raise ImportFailed(
                f"the field holds the control character U+{ord(found.group()):04X}; expected "
                "text without control characters (tab, CR and LF aside)",
                location=f"{where}, {column}",
            )
