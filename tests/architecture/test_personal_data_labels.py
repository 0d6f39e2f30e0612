"""Every stored column names its personal-data category, and personal data carries its board."""

from __future__ import annotations

import koppelvlak.all_models  # noqa: F401
from koppelvlak.db import Base

CATEGORIES = {
    "none",
    "identifier",
    "name",
    "contact",
    "birth_date",
    "demographic",
    "education",
    "credential",
    "special",
    "payload",
    "release",
}


class TestPersonalDataLabels:
    def test_every_column_has_a_known_category(self) -> None:
        unlabelled = [
            f"{table.name}.{column.name}"
            for table in Base.metadata.sorted_tables
            for column in table.columns
            if column.info.get("pd") not in CATEGORIES
        ]
        assert unlabelled == []

    def test_every_table_with_personal_data_carries_the_board_id(self) -> None:
        missing = [
            table.name
            for table in Base.metadata.sorted_tables
            if any(c.info.get("pd") not in {"none", None} for c in table.columns)
            and "board_id" not in table.columns
        ]
        assert missing == []
