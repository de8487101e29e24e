"""Stepping backends. Each declares capabilities; the controller never asks for a name."""

from __future__ import annotations

from ...machine import ConfigError
from .base import Backend, BackendServices, StepError
from .native import NativeBackend
from .trace_intercept import TraceInterceptBackend
from .trace_vector import TraceVectorBackend

REGISTRY: dict[str, type[Backend]] = {
    NativeBackend.name: NativeBackend,
    TraceInterceptBackend.name: TraceInterceptBackend,
    TraceVectorBackend.name: TraceVectorBackend,
}


def make_backend(name: str) -> Backend:
    try:
        return REGISTRY[name]()
    except KeyError:
        raise ConfigError(f"unknown backend {name!r}") from None


__all__ = ["Backend", "BackendServices", "StepError", "REGISTRY", "make_backend"]
