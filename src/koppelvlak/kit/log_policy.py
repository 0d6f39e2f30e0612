"""The server's log configuration: no personal data in any line.

Three sources leaked personal data into logs: uvicorn's access line (full URLs with pseudonyms
and filter values), SQL errors (bound parameters), and exception messages (a driver or Python
message quotes the value it choked on: a student id, a score, a piece of XML). So:

- uvicorn's access log is off; ``koppelvlak.access`` writes one JSON line per request with the
  route template and parameter *names* only (``api/middleware.py``);
- engines hide bound parameters (``db.make_engine``);
- a logged exception keeps its class and its frames (file, line, function, source line) but not
  its message, here, for every logger the server has.
"""

from __future__ import annotations

import logging
import traceback
from types import TracebackType
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


class WithoutExceptionMessages(logging.Formatter):
    """Render tracebacks as frames and exception classes, never exception messages."""

    def formatException(self, ei: _ExcInfo) -> str:  # noqa: N802  (logging's API name)
        _kind, error, _tb = ei
        if error is None:
            return ""
        blocks: list[str] = []
        seen: set[int] = set()
        current: BaseException | None = error
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            lines = ["Traceback (most recent call last; exception messages are not logged):"]
            for frame in traceback.extract_tb(current.__traceback__):
                lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
                if frame.line:
                    lines.append(f"    {frame.line}")
            kind = type(current)
            lines.append(f"{kind.__module__}.{kind.__qualname__}")
            blocks.append("\n".join(lines))
            current = current.__cause__ or current.__context__
        return "\n\nwhile handling or caused by:\n\n".join(reversed(blocks))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802  (logging's API name)
        return stack_info


def server_log_config(level: str) -> dict[str, Any]:
    """``logging.config.dictConfig`` for ``koppelvlak serve`` (uvicorn's ``log_config``)."""
    upper = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "private": {"()": f"{__name__}.WithoutExceptionMessages", "fmt": FORMAT},
            "bare": {"format": "%(message)s"},
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "private",
                "stream": "ext://sys.stderr",
            },
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "bare",
                "stream": "ext://sys.stderr",
            },
        },
        "root": {"handlers": ["stderr"], "level": upper},
        "loggers": {
            "uvicorn": {"handlers": [], "level": upper, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": upper, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
            "koppelvlak.access": {"handlers": ["access"], "level": upper, "propagate": False},
        },
    }
