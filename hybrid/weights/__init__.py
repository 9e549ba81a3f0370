"""Model weights shipped as package data (no code runs here).

:data:`DEMO_MODEL_DIR` is the in-house demo CLIP in the sentence-transformers layout of
``clip-ViT-B-32``; ``HYBRID_MODEL=demo`` loads it. It is trained by :mod:`hybrid.demo.model`,
which production code never imports.
"""

from pathlib import Path

#: The shipped demo model directory (sentence-transformers layout).
DEMO_MODEL_DIR = Path(__file__).resolve().parent / "demo_clip"

__all__ = ["DEMO_MODEL_DIR"]
