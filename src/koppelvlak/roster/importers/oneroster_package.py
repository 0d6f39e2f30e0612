"""Open a OneRoster package, a folder or a zip, without trusting the zip.

Zip members are checked before a byte is unpacked: no path outside the package folder, at most
``MAX_MEMBERS`` members, no member larger than ``MAX_MEMBER_BYTES`` or compressed more than
``MAX_RATIO`` times (zip bombs), and each stream stops at its limit whatever its header claims.
``oneroster_csv`` reads the CSV inside.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO

from koppelvlak.roster.importers.errors import ImportFailed

MAX_FIELD = 1024 * 1024
MAX_MEMBERS = 100
MAX_MEMBER_BYTES = 1024**3
MAX_RATIO = 200


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
