"""The `sendlib` command. Each sub-command lives in the module of its stage, which provides
`add_arguments(parser)` and `run(args) -> int`; this file only dispatches and turns user
mistakes (:class:`SendlibInputError`) into one line on stderr and exit status 2.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from sendlib import __version__
from sendlib.errors import SendlibInputError

# command name -> (module, one-line help)
COMMANDS = {
    "demo-data": ("sendlib.synthetic", "write a synthetic local authority's SEN2, census and lookup files"),
    "clean": ("sendlib.cleaning", "clean one census year's raw extracts into validated, pseudonymised tables"),
    "equality": ("sendlib.equality", "equality-assessment tables with disclosure control and disproportionality"),
    "fetch-dfe": ("sendlib.sources.fetch", "download a DfE EHCP release into the local cache"),
    "forecast": ("sendlib.forecast.cli", "forecast EHCP caseloads from the DfE series"),
    "backtest": ("sendlib.forecast.cli", "rolling-origin backtest of the forecast methods over all LAs"),
    "run-cycle": ("sendlib.reports.runner", "clean, run every notebook and render the reports of a review cycle"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; only the module of `command` is imported (keeps `--help` fast)."""
    parser = argparse.ArgumentParser(prog="sendlib", description="sendlib: SEND intelligence pipeline")
    parser.add_argument("--version", action="version", version=f"sendlib {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_module=module)
        if name == command:
            mod = importlib.import_module(module)
            adder = getattr(mod, f"add_{name.replace('-', '_')}_arguments", None) or mod.add_arguments
            adder(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else None)
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 1
    mod = importlib.import_module(args._module)
    runner = getattr(mod, f"run_{args.command.replace('-', '_')}", None) or mod.run
    try:
        return int(runner(args) or 0)
    except SendlibInputError as exc:
        print(f"sendlib {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
