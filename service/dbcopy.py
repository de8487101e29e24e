"""``ppcdbg copy-database SOURCE TARGET``: move a server's images, sessions and snapshots to
another database (a SQLite file to PostgreSQL, or back), with the server stopped."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .store import Store, StoreError, copy_database, database_url


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("copy-database", help="copy every image, session and snapshot into "
                                             "another (empty) database")  # fmt: skip
    p.add_argument("source", help="a SQLite file or a database URL, as ppcdbg serve --database")
    p.add_argument("target", help="the same; it must hold no rows (its tables are created)")


def run(args: argparse.Namespace) -> int:
    stores: list[Store] = []
    try:
        url = database_url(args.source)
        # Opening a SQLite path creates the file: a mistyped source would copy nothing.
        if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
            raise ValueError(f"database {args.source}: no such file")
        source = Store(args.source)
        stores.append(source)
        target = Store(args.target)
        stores.append(target)
        copied = copy_database(source, target)
    except ValueError as e:
        print(f"ppcdbg copy-database: {e}", file=sys.stderr)
        return 2
    except StoreError as e:
        print(f"ppcdbg copy-database: {e}", file=sys.stderr)
        return 1
    finally:
        for store in stores:
            store.close()
    counts = ", ".join(f"{n} {table}" for table, n in copied.items())
    print(f"copied {counts} from {source.name} to {target.name}")
    return 0
