"""The Celery app the workers run: ``celery -A workers.app worker`` (or ``hybrid worker``)."""

from __future__ import annotations

from hybrid.indexing.queue import make_celery
from hybrid.settings import get_settings

app = make_celery(get_settings(), include=["workers.tasks"])
