"""``python -m hybrid.cli``: the same command as ``hybrid``."""

from hybrid.cli import app

app()
