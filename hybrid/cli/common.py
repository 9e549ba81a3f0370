"""What every ``hybrid`` command shares: the console, ``--json``, errors and exit codes.

Exit codes, the same for every command:

* 0: the command did its work (an ingest whose records were all accounted for, rejects
  included, is a success: the report lists them);
* 1: the command ran and could not do its work: a domain error (service unavailable, a refused
  or invalid input, a configuration problem) or failed batches; the message says which;
* 2: usage: an unknown option or a malformed argument (typer/click's own errors).
"""

from __future__ import annotations

from typing import Annotated, Final

import typer
from rich.console import Console

from hybrid.errors import HybridSearchError

#: The exit codes above, by name.
EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2

EPILOG: Final = "Exit codes: 0 done; 1 failed (the message says why); 2 usage error."

console = Console()
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def fail(exc: HybridSearchError) -> typer.Exit:
    """Print a domain error on stderr, readably, and return the exit to raise."""
    Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    return typer.Exit(code=EXIT_FAILED)
