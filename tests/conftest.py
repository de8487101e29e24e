"""Shared fixtures: tool requirements (QEMU, binutils) and small machines."""

from __future__ import annotations

import os
import shutil

import pytest

REQUIRE_TOOLS = os.environ.get("PPCDBG_REQUIRE_TOOLS") == "1"


def require_tool(name: str) -> str:
    """The path of an external tool; skip without it, fail when CI demands tools."""
    path = shutil.which(name)
    if path is None:
        msg = f"{name} is not installed"
        if REQUIRE_TOOLS:
            pytest.fail(msg + " (PPCDBG_REQUIRE_TOOLS=1)")
        pytest.skip(msg)
    return path
