"""A CLIP-style byte-level BPE tokenizer trained on the demo shop's own text.

The files written here are exactly what ``CLIPTokenizer`` reads (``vocab.json`` + ``merges.txt``):
the same normaliser (NFC, collapsed whitespace, lowercase), the same pre-tokeniser (CLIP's word
regex, then byte-level), ``</w>`` marking the end of a word, and CLIP's vocabulary layout: the
256 byte symbols, the same with ``</w>``, one token per merge in merge order, then
``<|startoftext|>`` and ``<|endoftext|>`` last.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

BOS_TOKEN = "<|startoftext|>"  # noqa: S105 - a token, not a password
EOS_TOKEN = "<|endoftext|>"  # noqa: S105
END_OF_WORD = "</w>"

# CLIP's word splitter (transformers' CLIPTokenizer uses the same pattern).
_CLIP_WORD_PATTERN = (
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]"""
    r"""|[^\s\p{L}\p{N}]+"""
)


@dataclass(frozen=True)
class BpeVocabulary:
    """A trained vocabulary in CLIP's layout.

    Attributes:
        vocab: token -> id, ids ``0..len(vocab)-1``.
        merges: the merge rules in priority order, each a pair of tokens.
    """

    vocab: dict[str, int]
    merges: list[tuple[str, str]]

    @property
    def bos_id(self) -> int:
        """The id of ``<|startoftext|>``."""
        return self.vocab[BOS_TOKEN]

    @property
    def eos_id(self) -> int:
        """The id of ``<|endoftext|>`` (also the padding id, as in CLIP)."""
        return self.vocab[EOS_TOKEN]


def byte_symbols() -> list[str]:
    """The 256 printable stand-ins for bytes used by byte-level BPE, in GPT-2/CLIP order."""
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    codes = list(printable)
    extra = 0
    for byte in range(256):
        if byte not in printable:
            codes.append(256 + extra)
            extra += 1
    return [chr(code) for code in codes]


def train_bpe(texts: Iterable[str], *, vocab_size: int = 2048) -> BpeVocabulary:
    """Learn BPE merges on ``texts`` and lay the vocabulary out as CLIP does.

    Args:
        texts: the training text (titles, descriptions, captions).
        vocab_size: the target size including the 512 base symbols and 2 special tokens; the
            result is smaller when the text has fewer useful merges.

    Returns:
        The vocabulary and merges.
    """
    from tokenizers import Regex, Tokenizer, normalizers, pre_tokenizers, trainers
    from tokenizers.models import BPE

    tokenizer = Tokenizer(BPE(end_of_word_suffix=END_OF_WORD, continuing_subword_prefix=""))
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(_CLIP_WORD_PATTERN), behavior="removed", invert=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False),
        ]
    )
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        end_of_word_suffix=END_OF_WORD,
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer)
    base = byte_symbols()
    budget = max(0, vocab_size - 2 * len(base) - 2)
    merges = _trained_merges(tokenizer.to_str())[:budget]
    # dict keeps the first id of a token, so ids stay dense even if two merges meet.
    tokens = dict.fromkeys([*base, *(symbol + END_OF_WORD for symbol in base)])
    tokens.update(dict.fromkeys(left + right for left, right in merges))
    tokens.update(dict.fromkeys([BOS_TOKEN, EOS_TOKEN]))
    return BpeVocabulary(vocab={token: i for i, token in enumerate(tokens)}, merges=merges)


def _trained_merges(serialised: str) -> list[tuple[str, str]]:
    """The merges of a serialised ``tokenizers`` BPE model (pairs, or ``"a b"`` in old versions)."""
    merges: list[tuple[str, str]] = []
    for merge in json.loads(serialised)["model"]["merges"]:
        left, right = merge.split(" ", 1) if isinstance(merge, str) else merge
        merges.append((left, right))
    return merges


def write_bpe_files(vocabulary: BpeVocabulary, directory: Path) -> None:
    """Write ``vocab.json`` and ``merges.txt`` into ``directory`` (which must exist)."""
    (directory / "vocab.json").write_text(
        json.dumps(vocabulary.vocab, ensure_ascii=False), encoding="utf-8"
    )
    lines = ["#version: 0.2", *(f"{left} {right}" for left, right in vocabulary.merges)]
    (directory / "merges.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
