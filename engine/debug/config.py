"""A debug session's configuration: every option the controller takes."""

from __future__ import annotations

from dataclasses import dataclass

from ..machine import ConfigError

BACKENDS = ("native", "trace-intercept", "trace-vector")
SCHEDULER_LOCKING = ("off", "step", "on")
ATOMIC_SEQUENCES = ("each", "whole")
IDLE = ("skip", "realtime")


@dataclass(frozen=True)
class SessionConfig:
    profile: str = "powernv"
    vcpus: int = 1
    memory: int = 1 << 30
    backend: str = "native"
    scheduler_locking: str = "step"
    noirq: bool = True  # step flag: hold off asynchronous interrupts during a step
    notimer: bool = True  # step flag: virtual time stands still during a step
    atomic_sequences: str | None = None  # None: "each" for native, "whole" for the others
    quantum: int = 10
    history_interval: int = 100_000  # instruction slots between checkpoints
    history_budget: int = 256 << 20  # bytes history may hold (checkpoint pages, the log)
    history: bool = True  # record for reverse execution (ppcdbg trace turns it off)
    # When every vCPU sleeps until a timer: "skip" jumps virtual time there at once (batch runs,
    # tests, benchmarks); "realtime" also waits that long on the host clock, woken early by
    # console input or a halt, so an idle guest at a prompt costs no host CPU and its clocks
    # keep the wall's pace (an interactive boot). Either way the virtual run is the same.
    idle: str = "skip"

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}")
        if self.scheduler_locking not in SCHEDULER_LOCKING:
            raise ConfigError(f"scheduler_locking must be one of {', '.join(SCHEDULER_LOCKING)}")
        if self.atomic_sequences not in (None, *ATOMIC_SEQUENCES):
            raise ConfigError(f"atomic_sequences must be one of {', '.join(ATOMIC_SEQUENCES)}")
        if self.idle not in IDLE:
            raise ConfigError(f"idle must be one of {', '.join(IDLE)}")
        if self.history_interval < 1:
            raise ConfigError("history_interval must be at least 1")
        if self.history_budget < 1 << 20:
            raise ConfigError("history_budget must be at least 1 MiB")
