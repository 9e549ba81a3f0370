"""Relevance evaluation: every retrieval mode measured on the judged demo catalogue.

* :mod:`~hybrid.evaluation.metrics` - nDCG, recall, MRR, ANN overlap, colour honour (pure).
* :mod:`~hybrid.evaluation.modes` - the named modes: a judged query -> a ``SearchRequest``.
* :mod:`~hybrid.evaluation.scoring` - one response scored against its judgments; averages.
* :mod:`~hybrid.evaluation.ann` - kNN legs against exact brute-force cosine.
* :mod:`~hybrid.evaluation.runner` - index, search, measure: :func:`run_evaluation`.
* :mod:`~hybrid.evaluation.report` - rich tables and JSON; :mod:`~hybrid.cli.eval` -
  ``hybrid eval``.

Nothing heavy is imported here: the runner (Elasticsearch, the model) loads on use.
"""

from hybrid.evaluation.modes import DEFAULT_MODES, MODES, Mode, parse_mode, parse_modes

__all__ = ["DEFAULT_MODES", "MODES", "Mode", "parse_mode", "parse_modes"]
