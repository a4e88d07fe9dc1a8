"""The console logger of every run: one line per event, errors without their stack trace.

Dagster's own event log keeps each failure in full (the UI shows it); what a data engineer
reads on the console is the step and the error's message. ``full_errors`` brings the stack
traces back (``cine run --debug``).
"""

from __future__ import annotations

import logging
import sys

import dagster as dg

_FORMAT = "%(asctime)s - %(levelname)s - %(message)s"


class _OnTerminal(logging.Formatter):
    """On a terminal, each line first clears ``cine run``'s progress line (cli/progress.py)."""

    def __init__(self, fmt: str, *, terminal: bool):
        super().__init__(fmt)
        self.prefix = "\r\x1b[K" if terminal else ""

    def format(self, record: logging.LogRecord) -> str:
        return self.prefix + self.text(record)

    def text(self, record: logging.LogRecord) -> str:
        return super().format(record)


class _OneLineErrors(_OnTerminal):
    def text(self, record: logging.LogRecord) -> str:
        text = super().text(record)
        if "Stack Trace:" not in text:
            return text
        head = text.split("Stack Trace:")[0].rstrip()
        # Dagster wraps user errors ("Error occurred while executing op ..."); the last
        # non-empty line is the error itself, with the file or value it names.
        lines = [line.strip() for line in head.splitlines() if line.strip()]
        return f"{lines[0]} {lines[-1]}" if len(lines) > 1 else lines[0]


@dg.logger(
    {
        "log_level": dg.Field(str, default_value="INFO", is_required=False),
        "full_errors": dg.Field(bool, default_value=False, is_required=False),
    },
    description="Console output: one line per event; stack traces only with full_errors.",
)
def cine_console(init_context: dg.InitLoggerContext) -> logging.Logger:
    config = init_context.logger_config
    logger = logging.getLogger("cine")
    logger.handlers.clear()
    logger.propagate = False
    logger.setLevel(config["log_level"].upper())
    handler = logging.StreamHandler(sys.stderr)
    formatter = _OnTerminal if config["full_errors"] else _OneLineErrors
    handler.setFormatter(formatter(_FORMAT, terminal=sys.stderr.isatty()))
    logger.addHandler(handler)
    return logger
