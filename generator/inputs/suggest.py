"""Did-you-mean: the one name a mistyped name most likely meant.

Used for unknown fields (against the fields allowed where the typo stands), values outside an
enum and names that refer to nothing. A name that differs only in case is the answer
(``podCidr`` -> ``podCIDR``); otherwise the closest by edit distance, counting a swap of two
neighbouring letters as one edit, when it is close enough to be a typo rather than another word.
"""

from __future__ import annotations

from collections.abc import Iterable


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice ``word`` most likely meant, or None when none is close.

    Ties go to the first choice given, so callers pass choices in a meaningful order.
    """
    from rapidfuzz.distance import OSA

    options = list(dict.fromkeys(choices))
    folded = word.casefold()
    for choice in options:
        if choice.casefold() == folded:
            return choice
    best: str | None = None
    best_distance = _allowed(folded) + 1
    for choice in options:
        distance = OSA.distance(folded, choice.casefold(), score_cutoff=best_distance - 1)
        if distance < best_distance:
            best, best_distance = choice, distance
    return best


def _allowed(word: str) -> int:
    """Edits a typo of ``word`` may have: one in a short name, about one in three letters in a
    longer one (``provdier`` is one edit from ``provider``, ``ike`` three from ``esp``)."""
    return max(1, len(word) // 3)
