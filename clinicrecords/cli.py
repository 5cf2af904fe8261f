"""``clinicrecords`` / ``python -m clinicrecords``: the command line (DESIGN.md section 4).

The GUI is the product; this serves automation, administration and tests, calling the same
services. Exit status 0 on success; otherwise a one-line message on stderr and the error's
exit code (never a traceback: that goes to the developer log, without patient data).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import NoReturn

from clinicrecords.commands import CommandContext, add_common
from clinicrecords.common import devlog
from clinicrecords.common.errors import ClinicError, explain

AREAS = ("admin", "patients", "charts", "documents", "scan", "release", "sync", "retention")
UNEXPECTED_EXIT = 70


class _Parser(argparse.ArgumentParser):
    """argparse, with file names scrubbed from its complaints ("unrecognized arguments:
    Smith_John.pdf"): they go to stderr, and from there into cron mail."""

    def error(self, message: str) -> NoReturn:
        super().error(devlog.scrub_paths(message))


def build_parser() -> argparse.ArgumentParser:
    parser = add_common(
        _Parser(
            prog="clinicrecords",
            description="ClinicRecords: offline, encrypted records desk for small clinics.",
        )
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for area in AREAS:
        try:
            module = importlib.import_module(f"clinicrecords.commands.{area}")
        except ModuleNotFoundError as exc:
            if exc.name != f"clinicrecords.commands.{area}":
                raise
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    devlog.setup()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        if args.command is None:  # bare `clinicrecords` starts the desktop program
            from clinicrecords.commands.admin import run_gui

            args.handler = run_gui
        else:
            parser.parse_args([*(argv or sys.argv[1:]), "--help"])
            return 2
    ctx = CommandContext(args)
    try:
        code = args.handler(args, ctx)
        return int(code or 0)
    except ClinicError as exc:
        # Sentences refer to files by role or number; scrubbing here catches any that slips.
        sys.stderr.write(f"clinicrecords: {devlog.scrub_paths(exc.message)}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("clinicrecords: interrupted; nothing half-written was kept.\n")
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place unexpected errors are reported
        devlog.log_unexpected(exc, f"command {args.command}")
        known = explain(exc)  # a damaged page or a full disk met deep inside a service
        if known is not None:
            sys.stderr.write(f"clinicrecords: {known.message}\n")
            return known.exit_code
        sys.stderr.write(
            f"clinicrecords: an unexpected error stopped the command; details are in "
            f"{devlog.log_dir() / 'clinicrecords.log'}\n"
        )
        return UNEXPECTED_EXIT
    finally:
        ctx.close()


if __name__ == "__main__":
    sys.exit(main())
