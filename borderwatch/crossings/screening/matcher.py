"""The indexed watchlist matcher: narrows a million entries to a handful, then scores name parts.

Lives here: `WatchlistIndex` (built once from a `Watchlist`), `Hit` (a scored match with its
explanation) and `screen_name()`. Imports NumPy, SciPy, rapidfuzz and the screening modules.

How it works: every name (and alias) becomes its parts' skeleton keys (see `romanise`); every
pair of parts of a name is one index key, so a query reaches only the entries that share at least
two name parts with it, in any order and any script. Candidates are ranked by how many pairs they
share, and only the best few are scored: parts are aligned one-to-one (rapidfuzz similarity of the
keys, Hungarian assignment), a part present on both sides that does not match is a *conflict* (a
different father's name is a different person) and costs far more than a part missing on one
side (a grandfather or tribal name left out). A differing year of birth lowers the score; an equal
document number raises it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from rapidfuzz.distance import Levenshtein

from borderwatch.crossings.plates import PlateError, normalise_plate
from borderwatch.crossings.screening.names import NamePart, name_parts, split_roles
from borderwatch.crossings.screening.romanise import confusable, frames_agree, letters_agree, readings_agree
from borderwatch.crossings.screening.watchlist import Watchlist, WatchlistEntry, normalise_doc

PART_MATCH = 0.74  # key similarity at which two parts count as the same name: one edit in four letters
CONFLICT_WEIGHT = 2.0  # a differing part on both sides
MISSING_WEIGHT = 0.5  # a part on one side only
NISBA_WEIGHT = 0.6  # tribal / family / place parts count less than given names
DEFAULT_THRESHOLD = 0.8
EDIT_MATCH = 0.84  # edit similarity of two skeletons that still counts as one name: one edit in seven
VOWEL_CONFLICT = 0.5  # the same consonants with other long vowels: a different name
_COMPANY_WORDS = {
    "company",
    "co",
    "ltd",
    "llc",
    "inc",
    "corp",
    "group",
    "for",
    "and",
    "the",
    "general",
    "trading",
    "شركة",
    "مجموعة",
    "المحدودة",
    "للتجارة",
    "العامة",
}


@dataclass(frozen=True, slots=True)
class Hit:
    """One watchlist entry matched by a query, with a score in [0, 1] and the reasons."""

    entry: WatchlistEntry
    matched_name: str
    score: float
    explanation: str

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.entry.id,
            "name": self.entry.name,
            "score": round(self.score, 4),
            "explanation": self.explanation,
            "kind": self.entry.kind,
            "matched_name": self.matched_name,
        }


class WatchlistIndex:
    """Positional pair index over a watchlist; `screen()` answers one query in about a millisecond."""

    def __init__(
        self, watchlist: Watchlist | Sequence[WatchlistEntry], max_candidates: int = 128, max_posting: int = 50_000
    ) -> None:
        # (128 candidates: a common name without its family name has that many namesakes in a
        # million-entry list, and a wanted person among them must still be scored)
        self.entries: list[WatchlistEntry] = list(watchlist)
        self.max_candidates = max_candidates
        self.max_posting = max_posting
        self._vocab: dict[str, int] = {}
        self._names: list[str] = []  # one per indexed name (entries have aliases)
        self._parts: list[tuple[NamePart, ...]] = []
        name_entry: list[int] = []
        pair_keys: list[int] = []
        pair_names: list[int] = []
        self._docs: dict[str, list[int]] = {}
        self._plates: dict[str, list[int]] = {}
        for e_idx, entry in enumerate(self.entries):
            for doc in entry.doc_numbers:
                self._docs.setdefault(doc, []).append(e_idx)
            for name in entry.names:
                if entry.kind == "vehicle":
                    self._plates.setdefault(name, []).append(e_idx)
                    continue
                parts = _entity_parts(name, entry.kind)
                keys = self._index_keys(parts, grow=True)
                if not keys:
                    continue
                keys += self._index_keys(parts, grow=True, triples=True)
                n_idx = len(self._names)
                self._names.append(name)
                self._parts.append(parts)
                name_entry.append(e_idx)
                pair_keys.extend(keys)
                pair_names.extend([n_idx] * len(keys))
        keys_arr = np.fromiter(pair_keys, dtype=np.int64, count=len(pair_keys))
        names_arr = np.fromiter(pair_names, dtype=np.int32, count=len(pair_names))
        order = np.argsort(keys_arr, kind="stable")
        self._keys: NDArray[np.int64] = keys_arr[order]
        self._key_names: NDArray[np.int32] = names_arr[order]
        self._name_entry: NDArray[np.int32] = np.asarray(name_entry, dtype=np.int32)

    def __len__(self) -> int:
        return len(self.entries)

    def _index_keys(self, parts: Sequence[NamePart], grow: bool, triples: bool = False) -> list[int]:
        """Keys of a name: each pair of (given, father, grandfather) with their positions, and the
        given and father names each with each family part; unknown parts give no key at query time.
        With `triples`, the keys of three parts instead: given, father and grandfather, and any two
        of them with a family part (a tenth as many names share one)."""
        core, family = split_roles(tuple(parts))
        vocab = self._vocab

        def vid(part: NamePart) -> int:
            key = part.coarse
            if grow:
                return vocab.setdefault(key, len(vocab))
            return vocab.get(key, -1)

        c_ids = [vid(p) for p in core[:3]]
        f_ids = [vid(p) for p in family]
        out: list[int] = []
        if triples:
            for role, ids in _triples(c_ids, f_ids):
                if min(ids) >= 0:
                    mixed = ((ids[0] * 0x9E3779B1 + ids[1]) * 0x85EBCA77 + ids[2]) * 16 + role
                    out.append((7 << 56) | (mixed & ((1 << 56) - 1)))
            return out
        for (i, a), (j, b) in itertools.combinations(enumerate(c_ids), 2):
            if a >= 0 and b >= 0:
                out.append(((1 + i + j) << 56) | (a << 28) | b)  # roles 1: (0,1), 2: (0,2), 3: (1,2)
        for i, a in enumerate(c_ids[:2]):
            for b in f_ids:
                if a >= 0 and b >= 0:
                    out.append(((4 + i) << 56) | (a << 28) | b)
        if not out and len(parts) == 1 and (c_ids + f_ids)[0] >= 0:
            out.append((6 << 56) | (c_ids + f_ids)[0])
        return out

    def candidates(self, parts: Sequence[NamePart]) -> list[int]:
        """Indexed names sharing three name parts with the query in their roles, or where none does,
        at least one pair; most keys shared first."""
        core, family = split_roles(tuple(parts))
        readings = [tuple(parts)]
        if len(core) >= 3:
            # the last part may be the family name written without its article: "Ferah Muhammad Juburi"
            readings.append((*core[:-1], core[-1].as_family(), *family))
        for triples in (True, False):
            keys = list(dict.fromkeys(k for r in readings for k in self._index_keys(r, False, triples)))
            found = self._lookup(keys) if keys else []
            if found:
                return found
        return []

    def _lookup(self, keys: list[int]) -> list[int]:
        qkeys = np.asarray(keys, dtype=np.int64)
        lo = np.searchsorted(self._keys, qkeys, "left")
        hi = np.searchsorted(self._keys, qkeys, "right")
        sizes = hi - lo
        usable = sizes <= self.max_posting
        if not usable.any() and sizes.any():
            usable = sizes == sizes[sizes > 0].min()  # only very common pairs: take the rarest
        spans = [self._key_names[a:b] for a, b, u in zip(lo, hi, usable, strict=True) if u and b > a]
        if not spans:
            return []
        hits = spans[0] if len(spans) == 1 else np.concatenate(spans)
        found, counts = np.unique(hits, return_counts=True)
        if len(found) > self.max_candidates:
            best = np.argpartition(-counts, self.max_candidates - 1)[: self.max_candidates]
            found, counts = found[best], counts[best]
        order = np.argsort(-counts, kind="stable")
        return [int(i) for i in found[order]]

    def screen(
        self,
        name: str,
        dob: str | None = None,
        doc_number: str | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        kind: str = "person",
        limit: int = 50,
    ) -> list[Hit]:
        """Entries matching the query above `threshold`, best first, one hit per entry."""
        best: dict[int, Hit] = {}
        weak: dict[int, int] = {}
        if kind == "vehicle":
            try:
                plate = normalise_plate(name).latin
            except PlateError:
                plate = name.strip()
            for e_idx in self._plates.get(plate, []):
                best[e_idx] = Hit(self.entries[e_idx], plate, 1.0, f"plate {plate} is listed")
        else:
            parts = _entity_parts(name, kind)
            for n_idx in self.candidates(parts):
                e_idx = int(self._name_entry[n_idx])
                entry = self.entries[e_idx]
                score, _, n_weak = score_parts_weak(parts, self._parts[n_idx], explain=False)
                score, dob_why = _dob_factor(score, dob, entry.dob)
                if e_idx in best and score <= best[e_idx].score:
                    continue
                # (the explanation is written only for a name that will be shown: above the threshold)
                why = score_parts_weak(parts, self._parts[n_idx])[1] if score >= threshold else ""
                if dob_why:
                    why = f"{why}; {dob_why}"
                best[e_idx] = Hit(entry, self._names[n_idx], score, why)
                weak[e_idx] = n_weak
            # A listed name whose given, father's and grandfather's names all agree outright outranks
            # one that needs a confusable letter (Jasim for Gasim, d for z): that one is another name.
            if any(weak[e] == 0 and h.score >= threshold for e, h in best.items()):
                best = {e: h for e, h in best.items() if weak[e] == 0}
        if doc_number:
            doc = normalise_doc(doc_number)
            for e_idx in self._docs.get(doc, []):
                prior = best.get(e_idx)
                why = f"document number {doc} is listed" + (f"; {prior.explanation}" if prior else "")
                best[e_idx] = Hit(
                    self.entries[e_idx],
                    prior.matched_name if prior else doc,
                    max(0.99, prior.score if prior else 0.0),
                    why,
                )
        hits = sorted((h for h in best.values() if h.score >= threshold), key=lambda h: -h.score)
        return hits[:limit]


def _triples(c_ids: list[int], f_ids: list[int]) -> list[tuple[int, tuple[int, int, int]]]:
    """(role, three part ids): given, father and grandfather (role 0); two of them, by their
    positions, with a family part (roles 1-3, as the pair roles)."""
    out = [(0, (c_ids[0], c_ids[1], c_ids[2]))] if len(c_ids) >= 3 else []
    for fam in f_ids:
        out += [(i + j, (a, b, fam)) for (i, a), (j, b) in itertools.combinations(enumerate(c_ids), 2)]
    return out


def _entity_parts(name: str, kind: str) -> tuple[NamePart, ...]:
    parts = name_parts(name)
    if kind == "company":
        parts = tuple(p for p in parts if p.latin.lower() not in _COMPANY_WORDS and p.text not in _COMPANY_WORDS)
    return parts


def part_similarity(a: NamePart, b: NamePart) -> float:
    """1 for the same skeleton, 0.92 for the same coarse skeleton, else edit similarity of the keys;
    a given, father's or grandfather's name written with other vowels is another name (Hassan /
    Hussein, هدى / هادي)."""
    if a.coarse == b.coarse:
        # (family and tribal names vary more in their short vowels: al-Jubouri / al-Jabouri)
        loose = a.nisba or b.nisba
        if a.frame is not None and b.frame is not None and not frames_agree(a.frame, b.frame, loose):
            return VOWEL_CONFLICT
        # a consonant that cannot write the other side's letter is another name (Zuhairi / الطهيري,
        # محمز / محمد): in Arabic script on both sides each letter must be the same
        if not letters_agree(a.letters, b.letters):
            return VOWEL_CONFLICT
        # a Latin spelling that writes the vowels of a common name is that name (Khalid: خالد, not خليد)
        if not (a.nisba or b.nisba or a.frame is None or b.frame is None or readings_agree(a.text, b.text)):
            return VOWEL_CONFLICT
        if a.key == b.key:
            return 1.0
        return 0.92 if confusable(a.key, b.key) else VOWEL_CONFLICT
    # an edit in the skeleton (which already absorbs vowels and spelling) is a typo only in a long
    # name; one consonant in four is as often another name built on a neighbouring root
    sim = float(Levenshtein.normalized_similarity(a.key, b.key))
    return sim if sim >= EDIT_MATCH else min(sim, PART_MATCH - 0.04)


def score_parts(query: Sequence[NamePart], listed: Sequence[NamePart]) -> tuple[float, str]:
    """Score in [0, 1] for two names and an explanation (see `score_parts_weak`)."""
    score, why, _ = score_parts_weak(query, listed)
    return score, why


def score_parts_weak(
    query: Sequence[NamePart], listed: Sequence[NamePart], explain: bool = True
) -> tuple[float, str, int]:
    """Score in [0, 1] for two names, and an explanation of which parts met and which differ
    (without `explain`, an empty one: most candidates are not hits, and the text costs time).

    Given, father's and grandfather's names are compared position by position: a differing part
    is a conflict (another person), a part written on one side only is missing (left out). Family,
    tribal and place parts are compared in any order.
    """
    if not query or not listed:
        return 0.0, "no comparable name parts", 0
    q_core, q_fam = split_roles(tuple(query))
    l_core, l_fam = split_roles(tuple(listed))
    # a family name written without its article closes the name: "Fallah Mohammad Takriti"
    if len(q_core) >= 3 and any(part_similarity(q_core[-1], f) >= PART_MATCH for f in l_fam):
        q_core, q_fam = q_core[:-1], (*q_fam, q_core[-1])
    if len(l_core) >= 3 and any(part_similarity(l_core[-1], f) >= PART_MATCH for f in q_fam):
        l_core, l_fam = l_core[:-1], (*l_fam, l_core[-1])
    got = weight = conflict = missing = 0.0
    weak = 0  # given, father's or grandfather's names that agree only through confusable letters
    agree: list[tuple[NamePart, NamePart, float | None]] = []  # (query part, listed part, similarity)
    differ: list[tuple[str, NamePart, NamePart]] = []
    for i, (a, b) in enumerate(zip(q_core, l_core, strict=False)):
        s = part_similarity(a, b)
        if s >= PART_MATCH:
            got += s
            weight += 1.0
            weak += s < 1.0
            agree.append((a, b, s))
        else:
            conflict += 1.0
            differ.append((_ROLE[min(i, 3)], a, b))
    n = min(len(q_core), len(l_core))
    # a trailing part on one side may be the other side's family name written without its article
    q_rest, l_rest = list(q_core[n:]), list(l_core[n:])
    q_fam_left, l_fam_left = list(q_fam), list(l_fam)
    for rest, other in ((q_rest, l_fam_left), (l_rest, q_fam_left)):
        for part in list(rest):
            best = max(other, key=lambda o: part_similarity(part, o), default=None)
            if best is not None and part_similarity(part, best) >= PART_MATCH:
                got += NISBA_WEIGHT * part_similarity(part, best)
                weight += NISBA_WEIGHT
                agree.append((part, best, None))
                rest.remove(part)
                other.remove(best)
    for a in list(q_fam_left):
        best = max(l_fam_left, key=lambda o: part_similarity(a, o), default=None)
        if best is not None and part_similarity(a, best) >= PART_MATCH:
            s = part_similarity(a, best)
            got += NISBA_WEIGHT * s
            weight += NISBA_WEIGHT
            agree.append((a, best, s))
            q_fam_left.remove(a)
            l_fam_left.remove(best)
    n_fam_conflict = min(len(q_fam_left), len(l_fam_left))
    conflict += NISBA_WEIGHT * n_fam_conflict
    differ += [("family", a, b) for a, b in zip(q_fam_left, l_fam_left, strict=False)]
    one_side = q_rest + l_rest + q_fam_left[n_fam_conflict:] + l_fam_left[n_fam_conflict:]
    missing = sum(NISBA_WEIGHT if p.nisba else 1.0 for p in one_side)
    differing = ", ".join(f"{role} {a.text}≠{b.text}" for role, a, b in differ) if explain else ""
    if len(agree) < min(2, len(query), len(listed)):
        return 0.0, "fewer than two name parts agree" + (f"; differing: {differing}" if differ else ""), weak
    score = got / (weight + CONFLICT_WEIGHT * conflict + MISSING_WEIGHT * missing)
    if not explain:
        return score, "", weak
    why = "parts " + ", ".join(
        f"{a.text}≈{b.text} ({b.key})" if s is None else f"{a.text}≈{b.text} ({b.key}, {s:.2f})" for a, b, s in agree
    )
    if differ:
        why += "; differing: " + differing
    if one_side:
        why += "; only on one side: " + ", ".join(p.text for p in one_side)
    return score, why, weak


_ROLE = ("given name", "father's name", "grandfather's name", "name")


def _dob_factor(score: float, query: str | None, listed: tuple[str, ...]) -> tuple[float, str]:
    if not query or not listed:
        return score, ""
    if any(query == d or (len(d) < len(query) and query.startswith(d)) for d in listed):
        return min(1.0, score * 1.05), f"date of birth {query} agrees"
    if any(query[:4] == d[:4] for d in listed):
        return score * 0.9, f"year of birth {query[:4]} agrees, day differs"
    if any(abs(int(query[:4]) - int(d[:4])) <= 1 for d in listed):
        return score * 0.8, f"year of birth differs by one ({query[:4]} vs {', '.join(listed)})"
    return score * 0.5, f"date of birth differs ({query} vs {', '.join(listed)})"


def screen_name(
    index: WatchlistIndex, name: str, dob: str | None = None, threshold: float = DEFAULT_THRESHOLD
) -> list[Hit]:
    """Service-layer entry point: hits for one person's name, best first."""
    return index.screen(name, dob=dob, threshold=threshold)
