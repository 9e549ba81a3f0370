"""The in-house demo CLIP: a tiny CLIP trained on the generated catalogue, shipped with the code.

It lets the whole project run offline: ``model="demo"`` (:data:`hybrid.settings.DEMO_MODEL`)
loads :data:`hybrid.weights.DEMO_MODEL_DIR` through sentence-transformers like ``clip-ViT-B-32``.

* :mod:`hybrid.demo.model.tokenizer` CLIP-style byte-level BPE trained on the shop's text.
* :mod:`hybrid.demo.model.layout` the architecture and the ``clip-ViT-B-32`` directory layout.
* :mod:`hybrid.demo.model.captions`, :mod:`hybrid.demo.model.data` the training pairs.
* :mod:`hybrid.demo.model.losses`, :mod:`hybrid.demo.model.train` contrastive training.
* :mod:`hybrid.demo.model.evaluate` held-out text->image, image->image and shopper-photo figures.
* :mod:`hybrid.cli.model` the ``hybrid model`` commands.

Importing this package is cheap: torch and transformers load only when a function needs them.
"""

from typing import Final

from hybrid.weights import DEMO_MODEL_DIR

#: The catalogue seed the shipped demo model is trained on; evaluations use other seeds.
TRAIN_SEED: Final = 1001
#: Held-out catalogue seed of :func:`hybrid.demo.model.evaluate.evaluate_demo_model`.
EVAL_SEED: Final = 2024

#: Passes over the training products in the shipped recipe (its shopper views need more than
#: the 20 of the recipe before them).
TRAIN_EPOCHS: Final = 40

__all__ = ["DEMO_MODEL_DIR", "EVAL_SEED", "TRAIN_EPOCHS", "TRAIN_SEED"]
