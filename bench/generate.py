"""Export a board from the database as LAS files: UWLR 2.2 XML per school, OneRoster 1.2 CSV.

Used by the import benchmarks (large inputs from ``koppelvlak demo --students 50000``) and by the
round-trip tests (demo board → files → empty database → the same roster). The UWLR output is
valid against the official 2.2 XSD (with the school-year overlay of ``shared/uwlr/NOTES.md``
§15.4 for years after 2024-2025). Dutch fields OneRoster has no column for travel in
``metadata.nl.*`` columns, which the 1.2 CSV binding allows after the standard columns.

This module is the command line; the exporters are ``export_uwlr`` and ``export_oneroster``.

    python -m bench.generate --database-url sqlite:///koppelvlak.db --board DEMO --out /tmp/export
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlalchemy import select

from bench.export_oneroster import export_oneroster
from bench.export_uwlr import export_uwlr
from koppelvlak.roster.models import Board


def main() -> None:
    from koppelvlak.db import make_engine, session_factory

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--board", default="DEMO", help="board code")
    parser.add_argument("--out", type=Path, required=True)
    arguments = parser.parse_args()
    engine = make_engine(arguments.database_url)
    with session_factory(engine)() as session:
        board_id = session.scalar(select(Board.id).where(Board.code == arguments.board))
        if board_id is None:
            raise SystemExit(f"no board {arguments.board}")
        for path in export_uwlr(session, board_id, arguments.out / "uwlr"):
            print(path)
        print(export_oneroster(session, board_id, arguments.out / "oneroster"))


if __name__ == "__main__":
    main()
