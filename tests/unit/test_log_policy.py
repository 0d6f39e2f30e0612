"""A logged exception keeps its class and frames, never its message (ADR 0066)."""

from __future__ import annotations

import logging
import sys

from koppelvlak.kit.log_policy import WithoutExceptionMessages, server_log_config


def _format(error: BaseException) -> str:
    try:
        raise error
    except BaseException:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    return WithoutExceptionMessages("%(message)s").format(record)


class TestExceptionsWithoutMessages:
    def test_the_class_and_the_frame_are_logged_but_not_the_value(self) -> None:
        line = _format(ValueError("invalid literal for int() with base 10: 'V1001'"))
        assert "builtins.ValueError" in line
        assert "test_log_policy.py" in line
        assert "V1001" not in line

    def test_a_chained_cause_is_named_without_its_message_either(self) -> None:
        # Messages built at run time, as real ones are: source lines are logged, values are not.
        student, name = "student " + str(4711), " ".join(["Jan", "de", "Vries"])
        try:
            try:
                raise KeyError(student)
            except KeyError as inner:
                raise RuntimeError(name) from inner
        except RuntimeError as outer:
            line = _format(outer)
        assert "builtins.KeyError" in line
        assert "builtins.RuntimeError" in line
        assert "4711" not in line
        assert "Vries" not in line


class TestServerLogConfig:
    def test_uvicorns_access_line_is_silenced_and_ours_kept(self) -> None:
        config = server_log_config("info")
        assert config["loggers"]["uvicorn.access"]["level"] == "CRITICAL"
        assert config["loggers"]["koppelvlak.access"]["level"] == "INFO"
