"""Demo tooling, apart from what a production deployment runs.

* :mod:`hybrid.demo.catalog` the generated demo catalogue with judged queries.
* :mod:`hybrid.demo.model` training and evaluating the in-house demo CLIP (weights ship in
  :mod:`hybrid.weights`).
* :mod:`hybrid.demo.run` the ``hybrid demo`` command's steps.

Nothing outside ``hybrid.demo``, ``hybrid.evaluation`` and ``hybrid.cli`` imports this package.
"""
