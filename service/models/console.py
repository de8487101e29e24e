"""The guest console's input: what a user types at the session's terminal."""

from __future__ import annotations

from pydantic import Field

from .common import Input

MAX_INPUT = 4096  # characters per request or message: a paste, not a file transfer


class ConsoleInput(Input):
    """Text typed at the guest's console (sent as UTF-8, as a terminal does)."""

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {"examples": [{"data": "echo hi\r"}]},
    }
    data: str = Field(min_length=1, max_length=MAX_INPUT)


class ConsoleQueued(Input):
    """How many bytes wait for the guest to read them (it reads with H_GET_TERM_CHAR)."""

    queued: int
