"""The controller's errors: a request the session cannot carry out (a 4xx, not a crash)."""

from __future__ import annotations


class ControllerError(Exception):
    """A request the session cannot carry out; the message says why (a 4xx, not a crash).

    Not a ValueError, so that a stray ValueError (a bug) is never taken for a bad request.
    """


class MemoryAccessError(ControllerError):
    def __init__(self, address: int, message: str) -> None:
        super().__init__(message)
        self.address = address

    def __reduce__(self) -> tuple[object, ...]:
        # Pickled whole (a worker process raises it in the API's): args holds the message only.
        return (MemoryAccessError, (self.address, str(self)))
