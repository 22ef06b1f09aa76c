"""The `sendlib` command, kept apart from the library as papermill keeps its CLI apart from
execution. Each sub-command is a module of this package with `add_arguments(parser)` and
`run(args) -> int` (a module serving two commands names them `add_<command>_arguments` and
`run_<command>`); library modules hold no argparse. This file only dispatches, configures
logging, and turns user mistakes (:class:`SendlibInputError`) into one line on stderr and exit
status 2.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from sendlib import __version__, log
from sendlib.errors import SendlibInputError

# command name -> module of this package (imported only when the command runs: keeps --help fast)
COMMANDS = {
    "demo-data": "sendlib.cli.demo_data",
    "clean": "sendlib.cli.clean",
    "equality": "sendlib.cli.equality",
    "fetch-dfe": "sendlib.cli.fetch_dfe",
    "forecast": "sendlib.cli.forecast",
    "backtest": "sendlib.cli.forecast",
    "run-cycle": "sendlib.cli.run_cycle",
    "benchmark": "sendlib.cli.benchmark",
}


def _help(module, command: str) -> str:
    text = module.HELP
    return text[command] if isinstance(text, dict) else text


class _OneLineErrors(argparse.ArgumentParser):
    """A usage mistake is one line on stderr (the usage is in `--help`), exit status 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; only the module of `command` is imported for its arguments."""
    parser = _OneLineErrors(prog="sendlib", description="sendlib: SEND intelligence pipeline")
    parser.add_argument("--version", action="version", version=f"sendlib {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_OneLineErrors)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=_help(module, name), description=_help(module, name))
        p.add_argument("--quiet", action="store_true", help="only warnings and errors on stderr")
        if name == command:
            adder = getattr(module, f"add_{name.replace('-', '_')}_arguments", None) or module.add_arguments
            adder(p)
    return parser


def _take_trailing(parser: argparse.ArgumentParser, args: argparse.Namespace, extra: list[str], module) -> None:
    """Positionals given after an option (``ZIP... --la CODE OUT``) join the list that the command's
    module names in `INTERMIXED`; anything else left over is an error, as argparse would say."""
    target = getattr(module, "INTERMIXED", None)
    if not extra:
        return
    if not isinstance(target, str) or any(a.startswith("-") for a in extra):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    setattr(args, target, [*getattr(args, target), *extra])


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else None)
    args, extra = parser.parse_known_args(argv)
    module_name = COMMANDS.get(getattr(args, "command", None) or "")
    _take_trailing(parser, args, extra, importlib.import_module(module_name) if module_name else None)
    if not getattr(args, "command", None):
        print(f"sendlib: error: give a command, one of {', '.join(COMMANDS)} (see sendlib --help)", file=sys.stderr)
        return 2
    log.configure(quiet=args.quiet)
    module = importlib.import_module(COMMANDS[args.command])
    runner = getattr(module, f"run_{args.command.replace('-', '_')}", None) or module.run
    try:
        return int(runner(args) or 0)
    except SendlibInputError as exc:
        print(f"sendlib {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file or folder the command was given cannot be read or written
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"sendlib {args.command}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
