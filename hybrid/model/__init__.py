"""The in-house demo CLIP: a tiny CLIP trained on the generated catalogue, shipped with the code.

It lets the whole project run offline: ``model="demo"`` (:data:`hybrid.settings.DEMO_MODEL`)
loads :data:`DEMO_MODEL_DIR` through sentence-transformers exactly like ``clip-ViT-B-32``.

* :mod:`hybrid.model.tokenizer` CLIP-style byte-level BPE trained on the shop's text.
* :mod:`hybrid.model.layout` the architecture and the ``clip-ViT-B-32`` directory layout.
* :mod:`hybrid.model.captions`, :mod:`hybrid.model.data` the training pairs.
* :mod:`hybrid.model.losses`, :mod:`hybrid.model.train` contrastive training.
* :mod:`hybrid.model.evaluate` held-out text->image and image->image recall.
* :mod:`hybrid.model.cli` the ``hybrid model`` commands.

Importing this package is cheap: torch and transformers load only when a function needs them.
"""

from pathlib import Path

#: The shipped model directory (sentence-transformers layout).
DEMO_MODEL_DIR = Path(__file__).resolve().parent / "demo_clip"

__all__ = ["DEMO_MODEL_DIR"]
