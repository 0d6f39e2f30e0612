"""Reader of a OneRoster 1.2 CSV package (a folder or a zip), checked before anything is mapped.

The package is checked in two passes. First its shape: the manifest's modes, the file names and
the header of every file (exactly the 1.2 columns in the 1.2 order, optionally followed by
``metadata.*`` columns); every defect found there is reported at once, so a school can fix its
export in one go. Then the rows, failing at the first bad value with its file and line. Zips are
read defensively: no member outside the package folder, limits on members, sizes and compression
ratios (zip bombs), CSV fields of at most 1 MB. Text is data: a formula stays a string.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import IO

from koppelvlak.roster.importers.errors import ImportFailed, at
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
from koppelvlak.roster.importers.snapshot import Snapshot, Warnings
from koppelvlak.roster.importers.values import parse_date

MAX_FIELD = 1024 * 1024
MAX_MEMBERS = 100
MAX_MEMBER_BYTES = 1024**3
MAX_RATIO = 200
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")


class _Limited(io.RawIOBase):
    """A zip member stream that stops at a byte limit, whatever the member header claims."""

    def __init__(self, stream: IO[bytes], limit: int, name: str) -> None:
        self.stream, self.left, self.name = stream, limit, name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]  # RawIOBase's buffer type
        data = self.stream.read(min(len(buffer), self.left + 1))
        if len(data) > self.left:
            raise ImportFailed(
                f"the zip member unpacks to more than {MAX_MEMBER_BYTES} bytes; expected a "
                "smaller file (a zip bomb?)",
                location=self.name,
            )
        self.left -= len(data)
        buffer[: len(data)] = data
        return len(data)


class Package:
    """The files of a package by name, from a folder or a checked zip."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        self.files: dict[str, object] = {}
        if path.is_dir():
            self.files = {child.name: child for child in path.iterdir() if child.is_file()}
        elif path.is_file():
            self._open_zip(path)
        else:
            raise ImportFailed("no such folder or zip file", location=path.name)

    def _open_zip(self, path: Path) -> None:
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as error:
            raise ImportFailed(
                f"not a readable zip file ({error}); expected a folder or a zip of CSV files",
                location=path.name,
            ) from None
        members = self.zip.infolist()
        if len(members) > MAX_MEMBERS:
            raise ImportFailed(
                f"the zip holds {len(members)} members; expected at most {MAX_MEMBERS}",
                location=path.name,
            )
        for info in members:
            name = info.filename
            parts = PurePosixPath(name.replace("\\", "/")).parts
            if name.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", name):
                raise ImportFailed(
                    f"zip member {name!r} has an unsafe path; expected plain file "
                    "names inside the package",
                    location=path.name,
                )
            if info.is_dir():
                continue
            if info.file_size > MAX_MEMBER_BYTES or (
                info.file_size > MAX_FIELD
                and info.file_size > MAX_RATIO * max(info.compress_size, 1)
            ):
                raise ImportFailed(
                    f"zip member {name!r} unpacks to {info.file_size} bytes from "
                    f"{info.compress_size}; expected an ordinary CSV file (a zip "
                    "bomb?)",
                    location=path.name,
                )
            if len(parts) == 1:
                self.files[name] = info

    @contextmanager
    def open(self, name: str) -> Iterator[IO[str]]:
        entry = self.files[name]
        if isinstance(entry, Path):
            raw: IO[bytes] = entry.open("rb")
        else:
            assert self.zip is not None
            assert isinstance(entry, zipfile.ZipInfo)
            raw = io.BufferedReader(_Limited(self.zip.open(entry), MAX_MEMBER_BYTES, name))
        with raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
            yield text


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


def parse_oneroster(
    path: Path, *, today: date, progress: Callable[[int], None] | None = None
) -> Snapshot:
    """Read a OneRoster 1.2 CSV package into a snapshot, or raise ImportFailed."""
    from koppelvlak.roster.importers.oneroster_map import build_snapshot

    previous = csv.field_size_limit(MAX_FIELD)
    try:
        package = Package(path)
        reader = Reader(package, today, progress=progress)
        reader.check_shape()
        return build_snapshot(reader, source=path.name)
    finally:
        csv.field_size_limit(previous)
