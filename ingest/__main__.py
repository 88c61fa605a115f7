"""``python -m ingest [PATH ...] [--rebuild] [--json]``: add or refresh documents in the store.

Unchanged files are skipped; changed ones replaced; files gone from an ingested folder removed.
Exit status 0 when every file went in, 1 when some could not be used, 2 on a fatal error.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import CasefileError
from .settings import Settings

SYMBOL = {"added": "+", "updated": "~", "unchanged": "=", "removed": "-", "excluded": "x", "failed": "!"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ingest", description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="*", type=Path,
                    help="files or folders to ingest (default: the corpus folder)")
    ap.add_argument("--rebuild", action="store_true", help="delete the store and ingest from scratch")
    ap.add_argument("--check", action="store_true",
                    help="compare the whole store with the manifest and repair what disagrees")
    ap.add_argument("--home", type=Path, help="data directory (default: $CASEFILE_HOME or ./.casefile)")
    ap.add_argument("--max-file-mb", type=float, help="refuse files larger than this")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    try:
        settings = Settings.from_env(home=args.home, max_file_mb=args.max_file_mb)
        from .pipeline import run

        report = run(args.paths or None, rebuild=args.rebuild, check=args.check, settings=settings,
                     progress=not args.quiet and not args.json)
    except CasefileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_dict(), indent=1))
    else:
        for r in report.results:
            line = f" {SYMBOL.get(r.status, '?')} {r.source}  [{r.status}"
            line += f", {r.chunks} chunks]" if r.chunks else "]"
            if r.message:
                line += f"  {r.message}"
            print(line, file=sys.stderr if r.status == "failed" else sys.stdout)
        print(f"Store {settings.home}: {report.summary()}")
        if report.failed:
            print(f"{len(report.failed)} file(s) could not be ingested; the others are in the store.",
                  file=sys.stderr)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
