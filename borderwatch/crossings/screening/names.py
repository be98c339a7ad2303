"""Name parts: splitting a person's name into comparable parts, in Arabic script or Latin.

Lives here: `NamePart` and `name_parts()`, which drop articles (al-, el-, Al, ال) and connectors
(bin, ibn, bint), join compounds (Abd al-Rahman, Abdul Rahman, Abdurrahman, عبد الرحمن; Abu Bakr;
...-Din), and mark nisba and tribal parts. Imports only `romanise`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from borderwatch.crossings.screening.romanise import clean_arabic, coarse, is_arabic, romanise, skeleton

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

    @property
    def coarse(self) -> str:
        return coarse(self.key)


def _strip_article(word: str) -> tuple[str, bool]:
    """The word without a leading article, and whether it had one."""
    if is_arabic(word):
        if word.startswith("ال") and len(word) > 3:
            return word[2:], True
        if word.startswith(("وال", "بال")) and len(word) > 4:
            return word[3:], True
        return word, False
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
            tail = tuple(NamePart(p.text, p.latin, p.key, True) for p in _parts(family))
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
        low = raw.lower().strip(".'")
        if low in _CONNECTORS:
            continue
        if low in _ARTICLES:  # a detached article: "Al Jubouri", "ال جبوري"
            words.append(("", True))
            continue
        # hyphen inside a Latin word that is not an article: Abdul-Rahman -> two words
        pieces = [raw]
        if not is_arabic(raw) and "-" in raw:
            word, had_article = _strip_article(raw)
            if had_article:
                pieces = [word]
                words.append(("", True))
            pieces = [p for piece in pieces for p in piece.split("-") if p]
        for piece in pieces:
            if piece.lower() in _ARTICLES:  # Abd-al-Wahhab
                words.append(("", True))
                continue
            word, had_article = _strip_article(piece)
            if had_article:
                words.append(("", True))
            words.append((word, False))
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
        low = word.lower()
        nxt = merged[i + 1][0] if i + 1 < len(merged) else None
        joined = _ABD_JOINED.match(low) if not is_arabic(word) else None
        if low in _ABDULLAH:
            parts.append(NamePart(word, "abd-allah", "bd-lh"))
            i += 1
            continue
        if (low in ("abd", "abdu", "عبد") or _ABD_LATIN.match(low)) and nxt:
            parts.append(_compound("bd", word, nxt))
            i += 2
            continue
        if joined:  # Abdulrahman, Abdurrahman, Abdelkarim
            rest = low[joined.end() :]
            parts.append(_compound("bd", word, rest, text=word))
            i += 1
            continue
        if low in ("abu", "abou", "abo", "ابو", "أبو") and nxt:
            parts.append(_compound("b", word, nxt))
            i += 2
            continue
        if (low in _DIN or (article and word == "دين")) and parts:  # Nur al-Din, Salah ad-Din: one part
            last = parts.pop()
            parts.append(NamePart(f"{last.text} {word}", f"{last.latin}-din", f"{last.key}-dn", last.nisba))
            i += 1
            continue
        key = skeleton(word)
        if key:
            nisba = article
            parts.append(NamePart(word, romanise(word).lower() if is_arabic(word) else low, key, nisba))
        i += 1
    return tuple(parts)


def _compound(head: str, first: str, second: str, text: str | None = None) -> NamePart:
    """A two-word name (Abd al-Rahman, Abu Bakr) as one part keyed 'head-rest'."""
    rest, _ = _strip_article(second)
    latin = romanise(rest).lower() if is_arabic(rest) else rest.lower()
    key = skeleton(rest)
    if head == "bd" and key in ("l", "lh"):
        key = "lh"  # Abdullah, Abdallah, Abd Allah, عبد الله
    return NamePart(text or f"{first} {second}", f"{head}-{latin}", f"{head}-{key}")
