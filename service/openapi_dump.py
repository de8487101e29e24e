"""``python -m service.openapi_dump`` (``make openapi``): write openapi/openapi.json."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def render() -> str:
    from .main import create_app
    from .settings import Settings

    schema: dict[str, Any] = create_app(Settings(database=":memory:")).openapi()
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in args:
        if not OUT.exists() or OUT.read_text() != text:
            sys.stderr.write(f"{OUT} is out of date: run make openapi\n")
            return 1
        return 0
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
