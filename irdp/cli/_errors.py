"""Exit codes of the ``irdp`` command line, and errors turned into messages (no traceback).

A user error (a bad configuration or cohort file, an invalid extract, a missing file, a YAML
syntax error) ends with a clear message and a documented exit code, never a Python traceback.
An internal error (a bug) ends with exit code 5 and a short message; ``irdp --traceback ...``
shows the traceback to report it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from irdp.exceptions import (
    ComputationError,
    DisclosureError,
    ExperimentConfigError,
    ExtractError,
)

if TYPE_CHECKING:
    from irdp.pipeline import RunResult

__all__ = ["EXIT_CODES", "EXIT_OK", "EXIT_FAILED_STEPS", "EXIT_USAGE", "EXIT_EXTRACT",
           "EXIT_WITHHELD", "EXIT_STOPPED", "EXIT_INTERRUPTED", "IrdpGroup", "run_outcome"]

EXIT_OK = 0
EXIT_FAILED_STEPS = 1
EXIT_USAGE = 2
EXIT_EXTRACT = 3
EXIT_WITHHELD = 4
EXIT_STOPPED = 5
EXIT_INTERRUPTED = 130

#: Every exit code of ``irdp`` and its meaning (``irdp --help``, docs/reports.md).
EXIT_CODES: dict[int, str] = {
    EXIT_OK: "success",
    EXIT_FAILED_STEPS: "the report was written but some steps failed (listed after its path)",
    EXIT_USAGE: "usage, configuration or input error (bad option, experiment or cohort "
                "file, missing file, a value irdp refuses)",
    EXIT_EXTRACT: "invalid extract (it breaks the contract of data_schemas/)",
    EXIT_WITHHELD: "outputs withheld: the identifier scan or the disclosure audit moved "
                   "files to withheld/",
    EXIT_STOPPED: "run stopped and marked incomplete (failure.json), a result that cannot be "
                  "computed, or an internal error",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C)",
}


def exit_codes_help() -> str:
    """The exit codes as a help paragraph (click keeps the lines with ``\\b``)."""
    lines = "\n".join(f"  {code:>3}  {text}" for code, text in EXIT_CODES.items())
    return f"\b\nExit codes:\n{lines}"


def describe(err: BaseException) -> tuple[int, str]:
    """Exit code and message for an exception that reached the command line."""
    from irdp.pipeline import RunStoppedError  # the pipeline is heavy: imported when needed

    if isinstance(err, RunStoppedError):
        # a stopped run is exit code 5 unless its cause is the configuration or the extract
        code, text = describe(err.cause)
        if not isinstance(err.cause, ExperimentConfigError | ExtractError):
            code, text = EXIT_STOPPED, f"{type(err.cause).__name__}: {err.cause}"
        return (code, f"the run stopped in step '{err.step}': {text}\n"
                f"INCOMPLETE run kept in {err.run_dir} (see failure.json).")
    if isinstance(err, ExperimentConfigError):
        return EXIT_USAGE, str(err)
    if isinstance(err, ExtractError):
        return EXIT_EXTRACT, f"invalid extract: {err}"
    if isinstance(err, DisclosureError):
        return EXIT_WITHHELD, f"outputs withheld by disclosure control: {err}"
    if isinstance(err, OSError):
        where = f" {err.filename}" if err.filename else ""
        return EXIT_USAGE, f"cannot access{where}: {err.strerror or err}"
    if isinstance(err, ValueError):  # irdp's input checks: a bad value given by the user
        return EXIT_USAGE, str(err)
    if isinstance(err, ComputationError):
        return EXIT_STOPPED, f"cannot be computed on these data: {type(err).__name__}: {err}"
    return EXIT_STOPPED, (f"internal error ({type(err).__name__}: {err}). This is a bug in "
                          "irdp: run the command again as 'irdp --traceback ...' and report "
                          "the traceback.")


class IrdpGroup(click.Group):
    """The ``irdp`` group: errors of its commands become messages and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit,
                click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except Exception as err:
            code, message = describe(err)
            if code == EXIT_STOPPED and ctx.meta.get("irdp.traceback"):
                raise
            click.echo(f"Error: {message}", err=True)
            ctx.exit(code)


def run_outcome(result: RunResult) -> int:
    """Print the report path (stdout), then the failed steps and warnings (stderr).

    Returns
    -------
    int
        :data:`EXIT_WITHHELD` when files were withheld, :data:`EXIT_FAILED_STEPS` when a
        step failed, else :data:`EXIT_OK`.
    """
    for step, texts in result.warnings.items():
        for text in texts[:5]:
            click.echo(f"warning: {step}: {text}", err=True)
        if len(texts) > 5:
            click.echo(f"warning: {step}: ... and {len(texts) - 5} more kinds of warning "
                       "(provenance.json)", err=True)
    click.echo(str(result.report_path))
    if result.failures:
        click.echo(f"{len(result.failures)} step(s) failed or were skipped (stated in their "
                   "report sections and in provenance.json):", err=True)
        for f in result.failures:
            click.echo(f"  - {f.label}: {_short(f.reason)}", err=True)
    if result.withheld:
        click.echo(f"WITHHELD: {len(result.withheld)} file(s) held an identifier of the "
                   "extract or a count that the disclosure audit could recover, and were "
                   f"moved to {result.run_dir / 'withheld'} (reasons.json): "
                   f"{', '.join(result.withheld[:5])}. Do not publish them.", err=True)
        return EXIT_WITHHELD
    return EXIT_FAILED_STEPS if result.failures else EXIT_OK


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
