"""RTAS tokens: the one table the device tree and the RTAS implementation share.

A pSeries OS finds RTAS services by name: each is a property of ``/rtas`` whose value is the
token it passes in ``rtas_args.token``. Tokens are the platform's free choice; these are the
numbers QEMU's pseries machine uses (0x2000 + index), so traces and test suites written for QEMU
see the same values (docs/pseries.md, "RTAS").
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

TOKEN_BASE = 0x2000

# Every service ppcdbg knows by name, with its token.
RTAS_TOKENS: Mapping[str, int] = MappingProxyType(
    {
        "display-character": TOKEN_BASE + 0x00,
        "get-time-of-day": TOKEN_BASE + 0x01,
        "set-time-of-day": TOKEN_BASE + 0x02,
        "power-off": TOKEN_BASE + 0x03,
        "system-reboot": TOKEN_BASE + 0x04,
        "query-cpu-stopped-state": TOKEN_BASE + 0x05,
        "start-cpu": TOKEN_BASE + 0x06,
        "stop-self": TOKEN_BASE + 0x07,
        "ibm,get-system-parameter": TOKEN_BASE + 0x08,
        "ibm,set-system-parameter": TOKEN_BASE + 0x09,
        "ibm,set-xive": TOKEN_BASE + 0x0A,
        "ibm,get-xive": TOKEN_BASE + 0x0B,
        "ibm,int-off": TOKEN_BASE + 0x0C,
        "ibm,int-on": TOKEN_BASE + 0x0D,
        "check-exception": TOKEN_BASE + 0x0E,
        "event-scan": TOKEN_BASE + 0x0F,
        "nvram-fetch": TOKEN_BASE + 0x12,
        "nvram-store": TOKEN_BASE + 0x13,
        "set-indicator": TOKEN_BASE + 0x1A,
        "get-sensor-state": TOKEN_BASE + 0x1D,
        "ibm,os-term": TOKEN_BASE + 0x1F,
    }
)

# The services a direct-boot tree advertises by default: the set a stock Linux kernel was seen
# to boot with to userspace and power-off (1 and 2 vCPUs). Advertising more changes what the
# kernel does (nvram-fetch makes it probe an nvram partition, get-sensor-state and
# set-indicator feed the RAS code), so the others are opt-in.
BOOT_TOKENS: tuple[str, ...] = (
    "display-character",
    "get-time-of-day",
    "set-time-of-day",
    "power-off",
    "system-reboot",
    "query-cpu-stopped-state",
    "start-cpu",
    "stop-self",
    "ibm,get-system-parameter",
    "ibm,set-xive",
    "ibm,get-xive",
    "ibm,int-off",
    "ibm,int-on",
    "event-scan",
    "ibm,os-term",
)

# Token -> name, for an RTAS implementation decoding rtas_args.token.
TOKEN_NAMES: Mapping[int, str] = MappingProxyType({v: k for k, v in RTAS_TOKENS.items()})

# rets[0] values (PAPR): success, hardware error, parameter error / not supported.
RTAS_SUCCESS = 0
RTAS_HARDWARE_ERROR = -1
RTAS_PARAMETER_ERROR = -3
