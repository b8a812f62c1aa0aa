"""The ``irdp`` command line.

Each sub-command lives in its own module of this package and is registered below with
``main.add_command``; every command has ``--help``. Errors become a message and a documented
exit code (:data:`irdp.cli._errors.EXIT_CODES`), never a Python traceback for a user error.
"""

from __future__ import annotations

import click

from irdp import __version__
from irdp.cli._errors import IrdpGroup, exit_codes_help


@click.group(cls=IrdpGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog=exit_codes_help())
@click.version_option(__version__, prog_name="irdp")
@click.option("--traceback", "show_traceback", is_flag=True,
              help="Show the Python traceback of an internal error (to report a bug).")
@click.pass_context
def main(ctx: click.Context, show_traceback: bool) -> None:
    """irdp: validate occupational-health risk indices (IRDP) on DMST extracts."""
    ctx.meta["irdp.traceback"] = show_traceback


__all__ = ["main"]

from irdp.cli.check import check  # noqa: E402
from irdp.cli.demo import demo  # noqa: E402
from irdp.cli.synth import synth  # noqa: E402

main.add_command(synth)
main.add_command(check)
main.add_command(demo)

from irdp.cli.run import run as _run  # noqa: E402

main.add_command(_run)

from irdp.cli.features import features as _features_command  # noqa: E402

main.add_command(_features_command)

from irdp.cli.score import score as _score_command  # noqa: E402

main.add_command(_score_command)

from irdp.cli.audit import audit as _audit_command  # noqa: E402

main.add_command(_audit_command)

from irdp.cli.pool import pool as _pool_command  # noqa: E402
from irdp.cli.summarise import summarise as _summarise_command  # noqa: E402

main.add_command(_summarise_command)
main.add_command(_pool_command)
