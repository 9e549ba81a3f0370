"""The dev set stays unseen: its words are in no hand-written table and no training caption.

The open-vocabulary dev set (``hybrid/evaluation/devsets/``) measures language the project did
not write down. These tests fail when one of its words (the ``words`` of each entry: colour and
category words, misspelt tokens) turns up in a table the project writes by hand or in the text the
demo model was trained on; third-party datasets loaded unchanged may contain them (coverage).
They also check that production code never reads the dev set.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest

from hybrid.demo.model import TRAIN_SEED
from hybrid.demo.model.data import caption_sets, generate_products, tokenizer_corpus
from hybrid.demo.model.train import TrainOptions
from hybrid.evaluation.devset import DEVSETS, load_devset

ROOT = Path(__file__).resolve().parents[3]
HYBRID = ROOT / "hybrid"
#: Modules holding the shop's hand-written words, and any module named like a lexicon.
TABLE_MODULES = ("vocab.py", "query/vocabulary.py", "query/understanding.py")
TABLE_NAME_PARTS = ("lexicon", "vocab", "synonym", "colour_name")
#: Not hand-written tables: the dev set itself, model files, and third-party data loaded
#: unchanged: ``data/colour_names.tsv`` holds the XKCD colour-survey and CSS4 names as matplotlib
#: ships them, written only by ``scripts/gen_colour_lexicon.py`` (families computed by the
#: project's CIELAB code; ``tests/unit/query/test_lexicon.py`` recomputes every one), and
#: ``data/category_words.tsv`` holds WordNet 3.0's nouns, written only by
#: ``scripts/gen_category_lexicon.py`` (``tests/unit/scripts/test_gen_category_lexicon.py``
#: regenerates it from Debian's WordNet and compares), and ``data/colour_names_extra.tsv``:
#: the color-name-list package's names as it ships them, filtered by WordNet only
#: (``tests/unit/query/test_colour_names_extra.py`` recomputes every row's admission and family).
NOT_TABLES = (
    "evaluation/devsets",
    "weights",
    "data/colour_names.tsv",
    "data/category_words.tsv",
    "data/colour_names_extra.tsv",
)
SEEN_PREFIX = "seen_"
TRAINING_PRODUCTS = 4000  # the shipped demo model's recipe (hybrid/weights/demo_clip/README.md)


def dev_words(name: str) -> list[str]:
    """The open words; ``seen_*`` entries hold words the tables had before the set was written."""
    entries = [e for e in load_devset(name) if not e.type.startswith(SEEN_PREFIX)]
    return sorted({word.lower() for entry in entries for word in entry.words})


def _string_constants(path: Path) -> Iterable[str]:
    """Every string literal of a module except docstrings (tables, not prose)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
        if is_text and id(node) not in docstrings:
            yield node.value


def table_files() -> list[Path]:
    modules = {HYBRID / name for name in TABLE_MODULES}
    modules |= {
        path for path in HYBRID.rglob("*.py") if any(part in path.stem for part in TABLE_NAME_PARTS)
    }
    data = {
        path
        for path in HYBRID.rglob("*")
        if path.is_file()
        and path.suffix in {".json", ".txt", ".csv", ".tsv", ".yaml", ".yml", ".jsonl"}
        and not any(skip in path.relative_to(HYBRID).as_posix() for skip in NOT_TABLES)
    }
    return sorted(path for path in modules | data if path.is_file())


def _text_of(path: Path) -> str:
    if path.suffix == ".py":
        return "\n".join(_string_constants(path)).lower()
    return path.read_text(encoding="utf-8").lower()


def _found(word: str, text: str) -> bool:
    forms = {word, word.replace("-", " "), word.replace(" ", "-"), word.replace("-", "")}
    return any(re.search(rf"(?<![a-z]){re.escape(form)}(?![a-z])", text) for form in forms)


def leaks(words: Iterable[str], texts: dict[str, str]) -> dict[str, list[str]]:
    """Word -> the sources it appears in (only words that appear somewhere)."""
    found: dict[str, list[str]] = {}
    for word in words:
        where = [name for name, text in texts.items() if _found(word, text)]
        if where:
            found[word] = where
    return found


@cache
def training_text() -> str:
    options = TrainOptions()
    products = generate_products(
        TRAINING_PRODUCTS,
        TRAIN_SEED,
        colourways=options.colourways,
        jitter=options.colourway_jitter,
    )
    captions = caption_sets(products, seed=TRAIN_SEED)
    return "\n".join(tokenizer_corpus(products, captions)).lower()


def test_the_leak_check_finds_a_word_in_a_table() -> None:
    texts = {"t": "navy-blue\ncrimson"}
    assert leaks(["navy blue", "crimson", "oxblood"], texts) == {
        "navy blue": ["t"],
        "crimson": ["t"],
    }
    assert leaks(["tee"], {"t": "steel"}) == {}


@pytest.mark.parametrize("name", DEVSETS)
def test_no_dev_set_word_is_in_a_hand_written_table(name: str) -> None:
    texts = {str(path.relative_to(ROOT)): _text_of(path) for path in table_files()}
    assert "hybrid/vocab.py" in texts
    assert leaks(dev_words(name), texts) == {}


@pytest.mark.slow
@pytest.mark.parametrize("name", DEVSETS)
def test_no_dev_set_word_is_in_the_demo_models_training_text(name: str) -> None:
    assert leaks(dev_words(name), {"training captions": training_text()}) == {}


def test_production_code_never_reads_the_dev_set() -> None:
    readers = [
        str(path.relative_to(ROOT))
        for path in HYBRID.rglob("*.py")
        if not {"evaluation", "cli"} & set(path.relative_to(HYBRID).parts)
        and re.search(r"devsets|open_vocab", path.read_text(encoding="utf-8"))
    ]
    assert readers == []
