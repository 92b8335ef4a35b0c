"""Command-line interface of newsbot: each subcommand is one call into news/ or jobs/."""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="newsbot", description=__doc__)
    parser.add_subparsers(dest="command", required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return the exit status."""
    build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    return 0
