"""The ``hybrid`` command line: this module only assembles the commands.

Each command lives in its own module of this package (``stack``, ``ingest``, ``worker``,
``search``, ``serve``, ``index``, ``catalog``, ``model``, ``eval``, ``demo``, ``apikey``,
``kibana``, ``searchlog``) and is mounted
below with a static import, so a typo fails at import, never drops a command silently. Nothing
heavy (torch, the model, the Elasticsearch client) is imported until a command that needs it
runs. Errors and exit codes are the same for every command: see :mod:`hybrid.cli.common`.
"""

from __future__ import annotations

import typer

from hybrid.cli.apikey import apikey_app
from hybrid.cli.catalog import catalog_app
from hybrid.cli.common import EPILOG
from hybrid.cli.demo import demo
from hybrid.cli.eval import eval_app
from hybrid.cli.index import index_app
from hybrid.cli.ingest import ingest_app
from hybrid.cli.kibana import kibana_app
from hybrid.cli.model import model_app
from hybrid.cli.search import search
from hybrid.cli.searchlog import searchlog_app
from hybrid.cli.serve import serve
from hybrid.cli.stack import stack_app
from hybrid.cli.worker import worker

app = typer.Typer(
    help="Hybrid product search on Elasticsearch.",
    epilog=EPILOG,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(stack_app, name="stack")
app.command("demo")(demo)
app.add_typer(ingest_app, name="ingest")
app.command("search")(search)
app.command("serve")(serve)
app.command("worker")(worker)
app.add_typer(catalog_app, name="catalog")
app.add_typer(model_app, name="model")
app.add_typer(index_app, name="index")
app.add_typer(eval_app, name="eval")
app.add_typer(apikey_app, name="apikey")
app.add_typer(kibana_app, name="kibana")
app.add_typer(searchlog_app, name="searchlog")

__all__ = ["app"]
