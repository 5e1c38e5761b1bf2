"""What a named logger emitted during a block, whatever its propagation (transformers' loggers do
not propagate to the root logger that pytest's caplog listens on)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


class _Messages(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def messages_logged_by(name: str) -> Iterator[list[str]]:
    """The messages logger `name` emits inside the block, as a list that fills as they come."""
    logger, handler = logging.getLogger(name), _Messages()
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)
