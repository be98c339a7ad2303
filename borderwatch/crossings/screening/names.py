"""Name parts: splitting a person's name into comparable parts, in Arabic script or Latin.

Lives here: `NamePart` and `name_parts()`, which drop articles (al-, el-, Al, ال) and connectors
(bin, ibn, bint), join compounds (Abd al-Rahman, Abdul Rahman, Abdurrahman, عبد الرحمن; Abu Bakr;
...-Din), and mark nisba and tribal parts. Imports only `romanise`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from borderwatch.crossings.screening.romanise import (
    Frame,
    Letters,
    analyse_letters,
    clean_arabic,
    coarse,
    is_arabic,
    romanise,
)

_CONNECTORS = {"bin", "ibn", "bint", "ben", "b.", "بن", "بنت", "ابن", "son", "of"}
_ARTICLES = {
    "al",
    "el",
    "ul",
    "ad",
    "ar",
    "as",
    "at",
    "az",
    "an",
    "ash",
    "adh",
    "ath",
    "ed",
    "er",
    "es",
    "et",
    "ez",
    "en",
    "esh",
    "ال",
}
_ABD_LATIN = re.compile(r"^(?:abd|abdu|abdi)(?:ul|ul|al|el|ar|ur|as|us|an|un|ad|ud|az|uz|ash|ush)?$")
_ABD_JOINED = re.compile(r"^(abd|abdu)(ul|al|el|ur|ar|us|as|un|an|ud|ad|uz|az|ush|ash)(?=[a-z]{3,})")
_DIN = {"din", "deen", "dine", "dinne", "الدين", "addin", "uddin", "eddin", "ad-din", "al-din"}
_NOT_GLUED = {"albert", "alfred", "alexander", "alexandre", "elliott", "elizabeth", "alberto"}
_ABDULLAH = {"abdullah", "abdallah", "abdulla", "abdalla", "abdellah", "abdollah", "عبدالله"}
_SPLIT = re.compile(r"[\s,;/()\[\]\"]+")


@dataclass(frozen=True, slots=True)
class NamePart:
    """One comparable part of a name: what was written, its romanisation and its skeleton key."""

    text: str
    latin: str
    key: str
    nisba: bool = False  # family, tribal or place name (al-Tikriti, al-Jubouri): optional in a match
    frame: Frame | None = None  # vowels between the consonants of `key` (simple parts only)
    coarse: str = ""  # `key` with the classes Latin spellings confuse merged: the index key
    letters: Letters = ()  # the Arabic letters each consonant of `key` may be (`romanise.letters_agree`)

    def __post_init__(self) -> None:
        if not self.coarse:
            object.__setattr__(self, "coarse", coarse(self.key))

    def as_family(self) -> NamePart:
        return NamePart(self.text, self.latin, self.key, True, self.frame, self.coarse, self.letters)


def _strip_article(word: str) -> tuple[str, bool]:
    """The word without a leading article, and whether it had one."""
    if is_arabic(word):
        if word.startswith("ال") and len(word) > 3:
            return word[2:], True
        if word.startswith(("وال", "بال")) and len(word) > 4:
            return word[3:], True
        return word, False
    if word[:2] in ("Al", "El") and len(word) > 3 and word[2].isupper():
        return word[2:], True  # AlTai, ElJubouri
    low = word.lower()
    # glued Latin article (Aljubouri, Elbaghdadi): a consonant must follow, and enough must remain
    if (
        low[:2] in ("al", "el")
        and len(low) >= 7
        and low[2] not in "yw-"
        and low not in _NOT_GLUED
        and (low[2] not in "aeiou" or low.endswith(("i", "y")))
    ):
        return word[2:], True
    for art in (
        "al-",
        "el-",
        "ul-",
        "ad-",
        "ar-",
        "as-",
        "at-",
        "az-",
        "an-",
        "ash-",
        "ad-",
        "adh-",
        "ath-",
        "ed-",
        "er-",
        "es-",
        "et-",
        "ez-",
        "en-",
    ):
        if low.startswith(art) and len(low) > len(art) + 1:
            return word[len(art) :], True
    return word, False


def _raw_words(name: str) -> list[str]:
    name = clean_arabic(name) if is_arabic(name) else name
    # Arabic "عبد" is often glued to the next word without a space: عبدالرحمن.
    name = re.sub(r"(?<![\u0600-\u06ff])عبد(?=ال)", "عبد ", name)
    name = re.sub(r"(?<![\u0600-\u06ff])ابو(?=[\u0600-\u06ff]{3,})", "ابو ", name)
    name = name.replace("‐", "-").replace("–", "-")
    return [w for w in _SPLIT.split(name) if w and w.strip("-'.")]


@lru_cache(maxsize=1 << 16)
def name_parts(name: str) -> tuple[NamePart, ...]:
    """The comparable parts of a full name; given names in the order written, family parts last.

    "FAMILY, Given Father" (the list style) puts the part before the comma last, as a family name.
    """
    if "," in name:
        family, _, rest = name.partition(",")
        if rest.strip():
            tail = tuple(p.as_family() for p in _parts(family))
            return _parts(rest) + tail
    return _parts(name)


def split_roles(parts: tuple[NamePart, ...]) -> tuple[tuple[NamePart, ...], tuple[NamePart, ...]]:
    """(given, father, grandfather... in order) and the family / tribal / place parts."""
    return tuple(p for p in parts if not p.nisba), tuple(p for p in parts if p.nisba)


def _parts(name: str) -> tuple[NamePart, ...]:
    """The comparable parts of a full name, in the order written.

    >>> [p.key for p in name_parts("Abdul-Rahman Mohammed al-Jubouri")]
    ['bd-rhmn', 'mhmd', 'jbr']
    >>> [p.key for p in name_parts("عبد الرحمن محمد الجبوري")]
    ['bd-rhmn', 'mhmd', 'jbr']
    """
    words: list[tuple[str, bool]] = []  # (word without article, had an article)
    for raw in _raw_words(name):
        words.extend(_word_tokens(raw))
    # merge the pending-article markers into the following word
    merged: list[tuple[str, bool]] = []
    pending = False
    for word, is_marker in words:
        if is_marker:
            pending = True
            continue
        merged.append((word, pending))
        pending = False
    parts: list[NamePart] = []
    i = 0
    while i < len(merged):
        word, article = merged[i]
        kind = _word_kind(word)
        nxt = merged[i + 1][0] if i + 1 < len(merged) else None
        if kind == "abdullah":
            parts.append(NamePart(word, "abd-allah", "bd-lh"))
            i += 1
        elif kind == "abd" and nxt:
            parts.append(_compound("bd", word, nxt))
            i += 2
        elif kind == "abd-joined":  # Abdulrahman, Abdurrahman, Abdelkarim
            parts.append(_joined_abd(word))
            i += 1
        elif kind == "abu" and nxt:
            parts.append(_compound("b", word, nxt))
            i += 2
        elif (kind == "din" or (article and word == "دين")) and parts:  # Nur al-Din, Salah ad-Din: one part
            last = parts.pop()
            parts.append(NamePart(f"{last.text} {word}", f"{last.latin}-din", f"{last.key}-dn", last.nisba))
            i += 1
        else:
            part = _simple_part(word, article)
            if part is not None:
                parts.append(part)
            i += 1
    return tuple(parts)


@lru_cache(maxsize=1 << 16)
def _word_tokens(raw: str) -> tuple[tuple[str, bool], ...]:
    """One written word as (word, False) pieces and ("", True) article markers: al-Jubouri,
    Abdul-Rahman, Abd-al-Wahhab, a detached "Al" or "ال"; connectors (bin, ibn) give nothing."""
    low = raw.lower().strip(".'")
    if low in _CONNECTORS:
        return ()
    if low in _ARTICLES:  # a detached article: "Al Jubouri", "ال جبوري"
        return (("", True),)
    out: list[tuple[str, bool]] = []
    # hyphen inside a Latin word that is not an article: Abdul-Rahman -> two words
    pieces = [raw]
    if not is_arabic(raw) and "-" in raw:
        word, had_article = _strip_article(raw)
        if had_article:
            pieces = [word]
            out.append(("", True))
        pieces = [p for piece in pieces for p in piece.split("-") if p]
    for piece in pieces:
        if piece.lower() in _ARTICLES:  # Abd-al-Wahhab
            out.append(("", True))
            continue
        word, had_article = _strip_article(piece)
        if had_article:
            out.append(("", True))
        out.append((word, False))
    return tuple(out)


@lru_cache(maxsize=1 << 16)
def _word_kind(word: str) -> str:
    low = word.lower()
    if low in _ABDULLAH:
        return "abdullah"
    if low in ("abd", "abdu", "عبد") or _ABD_LATIN.match(low):
        return "abd"
    if not is_arabic(word) and _ABD_JOINED.match(low):
        return "abd-joined"
    if low in ("abu", "abou", "abo", "ابو", "أبو"):
        return "abu"
    if low in _DIN:
        return "din"
    return "simple"


@lru_cache(maxsize=1 << 17)
def _simple_part(word: str, article: bool) -> NamePart | None:
    """One ordinary name part; a part written with an article is a family, tribal or place name."""
    key, frame, letters = analyse_letters(word)
    if not key:
        return None
    latin = romanise(word).lower() if is_arabic(word) else word.lower()
    return NamePart(word, latin, key, article, frame, letters=letters)


def _joined_abd(word: str) -> NamePart:
    low = word.lower()
    joined = _ABD_JOINED.match(low)
    assert joined is not None  # _word_kind said so
    return _compound("bd", word, low[joined.end() :], text=word)


def _compound(head: str, first: str, second: str, text: str | None = None) -> NamePart:
    """A two-word name (Abd al-Rahman, Abu Bakr) as one part keyed 'head-rest'."""
    rest, _ = _strip_article(second)
    latin = romanise(rest).lower() if is_arabic(rest) else rest.lower()
    key, _, letters = analyse_letters(rest)
    if head == "bd" and key in ("l", "lh"):
        key, letters = "lh", ()  # Abdullah, Abdallah, Abd Allah, عبد الله
    # (the letters of the second word: the head is the same on both sides where the keys meet)
    return NamePart(text or f"{first} {second}", f"{head}-{latin}", f"{head}-{key}", letters=letters)
