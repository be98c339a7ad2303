"""Synthetic Iraqi names: many people, each written in Arabic script and in its Latin spellings.

Lives here: the name tables (common given names, `Abd al-` compounds, tribal and nisba names, each
with its Arabic form and the Latin spellings met on documents), a larger vocabulary derived from
Arabic roots and the patterns names are built on (Karīm, Kāmil, Jamāl, Salmān, Akram, Maḥmūd, al-
Zubaidi, al-Fatlawi: each with its own Latin spellings), `generate_people()` (vectorised: index
arrays into the tables), `render_canonical_many()` (a million listed names in about a second) and
`render_variant()` (one way a border officer or a list compiler writes a person's name). NumPy,
the standard library and `screening.romanise` (to find look-alike names) only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from borderwatch.crossings.screening.names import name_parts
from borderwatch.crossings.screening.romanise import analyse, confusable, frames_agree

GIVEN: list[tuple[str, tuple[str, ...]]] = [
    ("محمد", ("Mohammed", "Muhammad", "Mohamad", "Mohamed", "Muhammed", "Mohammad")),
    ("أحمد", ("Ahmed", "Ahmad", "Ehmed")),
    ("علي", ("Ali", "Aly", "Alee")),
    ("حسين", ("Hussein", "Hussain", "Husain", "Hossein", "Husayn")),
    ("حسن", ("Hassan", "Hasan", "Hasen")),
    ("عمر", ("Omar", "Umar", "Omer")),
    ("خالد", ("Khalid", "Khaled", "Kalid")),
    ("يوسف", ("Yousef", "Yusuf", "Youssef", "Yousif", "Yosef")),
    ("إبراهيم", ("Ibrahim", "Ebrahim", "Ibraheem")),
    ("مصطفى", ("Mustafa", "Mostafa", "Moustafa")),
    ("كريم", ("Karim", "Kareem", "Kerim")),
    ("جاسم", ("Jasim", "Jassim", "Jasem")),
    ("قاسم", ("Qasim", "Kasim", "Qassim", "Gasim")),
    ("كاظم", ("Kadhim", "Kazim", "Kathim", "Kadim")),
    ("جعفر", ("Jaafar", "Jafar", "Ja'far")),
    ("صادق", ("Sadiq", "Sadeq", "Sadik")),
    ("باقر", ("Baqir", "Baqer", "Bakir")),
    ("مهدي", ("Mahdi", "Mehdi", "Mahdy")),
    ("رضا", ("Rida", "Reza", "Ridha")),
    ("سعد", ("Saad", "Sa'ad", "Sad")),
    ("سعيد", ("Saeed", "Said", "Sa'id")),
    ("وليد", ("Walid", "Waleed", "Oualid")),
    ("فيصل", ("Faisal", "Faysal", "Feisal")),
    ("ماجد", ("Majid", "Majed", "Maged")),
    ("ناصر", ("Nasser", "Nasir", "Naser")),
    ("منصور", ("Mansour", "Mansur", "Mansoor")),
    ("طارق", ("Tariq", "Tarek", "Tareq")),
    ("زياد", ("Ziad", "Ziyad", "Zeyad")),
    ("حيدر", ("Haidar", "Haider", "Hayder", "Heidar")),
    ("عباس", ("Abbas", "Abass", "'Abbas")),
    ("مرتضى", ("Murtada", "Murtadha", "Morteza")),
    ("منتظر", ("Muntadhar", "Muntazar", "Montather")),
    ("سلمان", ("Salman", "Selman")),
    ("سليمان", ("Sulaiman", "Suleiman", "Sulayman")),
    ("عثمان", ("Othman", "Uthman", "Osman")),
    ("عدنان", ("Adnan", "'Adnan")),
    ("فاضل", ("Fadhil", "Fadil", "Fazel")),
    ("نوري", ("Nouri", "Nuri", "Noori")),
    ("صالح", ("Salih", "Saleh", "Saalih")),
    ("فلاح", ("Falah", "Fallah")),
    ("رعد", ("Raad", "Ra'ad", "Rad")),
    ("ثامر", ("Thamer", "Thamir", "Tamer")),
    ("ضياء", ("Dhiya", "Diaa", "Ziya", "Dia")),
    ("حميد", ("Hamid", "Hameed")),
    ("مجيد", ("Majeed", "Mejid", "Madjid")),
    ("رشيد", ("Rashid", "Rasheed", "Rachid")),
    ("عادل", ("Adel", "Adil", "'Adil")),
    ("جمال", ("Jamal", "Gamal", "Djamal")),
    ("كمال", ("Kamal", "Kemal")),
    ("نبيل", ("Nabil", "Nabeel")),
    ("هاشم", ("Hashim", "Hashem", "Hachem")),
    ("مازن", ("Mazin", "Mazen")),
    ("مروان", ("Marwan", "Merwan")),
    ("عماد", ("Imad", "Emad", "'Imad")),
    ("إياد", ("Iyad", "Eyad", "Ayad")),
    ("أياد", ("Ayyad", "Aiad")),
    ("سامي", ("Sami", "Samy")),
    ("رامي", ("Rami", "Ramy")),
    ("بشير", ("Bashir", "Basheer", "Bechir")),
    ("شاكر", ("Shakir", "Shaker", "Chaker")),
    ("ياسين", ("Yasin", "Yassin", "Yaseen")),
    ("ياسر", ("Yasir", "Yasser", "Yaser")),
    ("أسامة", ("Osama", "Usama", "Oussama")),
    ("هيثم", ("Haitham", "Haytham", "Heitham")),
    ("لؤي", ("Louay", "Luay", "Loay")),
    ("مؤيد", ("Muayad", "Moayad", "Mu'ayyad")),
    ("غازي", ("Ghazi", "Gazi", "Ghazy")),
    ("شهاب", ("Shihab", "Shehab", "Chehab")),
    ("خليل", ("Khalil", "Khaleel", "Kalil")),
    ("إسماعيل", ("Ismail", "Ismael", "Esmail")),
    ("موسى", ("Musa", "Mousa", "Moussa")),
    ("عيسى", ("Isa", "Issa", "Eesa")),
    ("نزار", ("Nizar", "Nezar")),
    ("بلال", ("Bilal", "Belal")),
    ("أنور", ("Anwar", "Anouar")),
    ("سلام", ("Salam", "Sallam")),
    ("وسام", ("Wisam", "Wissam", "Wesam")),
    ("قيس", ("Qais", "Qays", "Kais")),
    ("ظافر", ("Dhafer", "Zafer", "Thafer")),
    ("ضرغام", ("Dhurgham", "Zorgham", "Durgham")),
    ("نعمان", ("Numan", "No'man", "Nouman")),
    ("هادي", ("Hadi", "Hady")),
    ("راضي", ("Radhi", "Radi", "Razi")),
    ("سجاد", ("Sajjad", "Sajad")),
    ("أمير", ("Amir", "Ameer", "Emir")),
    ("فراس", ("Firas", "Feras")),
    ("أكرم", ("Akram", "Ekrem")),
    ("محمود", ("Mahmoud", "Mahmud", "Mahmood")),
    ("فاطمة", ("Fatima", "Fatimah", "Fatma")),
    ("زينب", ("Zainab", "Zaynab", "Zeinab")),
    ("مريم", ("Maryam", "Mariam", "Meryem")),
    ("نور", ("Nour", "Noor", "Nur")),
    ("رقية", ("Ruqaya", "Roqaya", "Ruqayyah")),
    ("سارة", ("Sara", "Sarah")),
    ("هدى", ("Huda", "Hoda", "Houda")),
    ("شيماء", ("Shaima", "Shaymaa", "Chaimaa")),
]
# Abd al- + one of the divine names, written in all the ways the article meets it
ABD_NAMES: list[tuple[str, str, str]] = [  # (Arabic second word with article, Latin root, sun letter?)
    ("الله", "llah", ""),
    ("الرحمن", "Rahman", "r"),
    ("الكريم", "Karim", ""),
    ("الرزاق", "Razzaq", "r"),
    ("الستار", "Sattar", "s"),
    ("الجبار", "Jabbar", ""),
    ("العزيز", "Aziz", ""),
    ("الحميد", "Hamid", ""),
    ("الأمير", "Amir", ""),
    ("الحسين", "Hussein", ""),
    ("الرضا", "Rida", "r"),
    ("الهادي", "Hadi", ""),
    ("الوهاب", "Wahhab", ""),
    ("القادر", "Qadir", ""),
    ("الغني", "Ghani", ""),
]
NISBA: list[tuple[str, tuple[str, ...]]] = [
    ("الجبوري", ("Jubouri", "Juburi", "Jibouri", "Jabouri")),
    ("الدليمي", ("Dulaimi", "Dulaymi", "Dleimi")),
    ("التكريتي", ("Tikriti", "Takriti")),
    ("العبيدي", ("Obaidi", "Ubaydi", "Obeidi")),
    ("الشمري", ("Shammari", "Shamari", "Chammari")),
    ("الزبيدي", ("Zubaidi", "Zubaydi", "Zobaidi")),
    ("البغدادي", ("Baghdadi", "Bagdadi")),
    ("الموصلي", ("Mosuli", "Mawsili", "Musali")),
    ("الكبيسي", ("Kubaisi", "Kubaysi", "Kobeissi")),
    ("العاني", ("Ani", "Aani", "'Ani")),
    ("الراوي", ("Rawi", "Rawy")),
    ("الحلبوسي", ("Halbousi", "Halbusi")),
    ("الساعدي", ("Saadi", "Sa'idi")),
    ("الخزرجي", ("Khazraji", "Khazrajy")),
    ("الطائي", ("Taie", "Ta'i", "Tai")),
    ("العزاوي", ("Azzawi", "Azawi", "Ezzawi")),
    ("الجنابي", ("Janabi", "Jenabi")),
    ("المالكي", ("Maliki", "Malki")),
    ("الحكيم", ("Hakim", "Hakeem")),
    ("الصدر", ("Sadr", "Sader")),
    ("البصري", ("Basri", "Basry")),
    ("الكربلائي", ("Karbalai", "Karbala'i")),
    ("النجفي", ("Najafi", "Nejefi")),
    ("الأنصاري", ("Ansari", "Ansary")),
    ("الهاشمي", ("Hashimi", "Hashemi", "Hachemi")),
    ("الربيعي", ("Rubaie", "Rubai'i", "Rubaiy")),
    ("الكعبي", ("Kaabi", "Ka'bi")),
    ("السامرائي", ("Samarrai", "Samarra'i", "Samurai")),
    ("العلواني", ("Alwani", "Elwani")),
    ("الفهداوي", ("Fahdawi", "Fehdawi")),
    ("المحمداوي", ("Mohammedawi", "Muhammadawi")),
    ("الحسيني", ("Husseini", "Hussaini", "Hosseini")),
    ("العامري", ("Amiri", "Ameri")),
    ("الكناني", ("Kinani", "Kenani")),
    ("الفتلاوي", ("Fatlawi", "Fetlawi")),
    ("الغراوي", ("Gharawi", "Ghrawi")),
    ("اللامي", ("Lami", "Lamy")),
    ("السعدي", ("Saadi", "Sa'di")),
    ("الخفاجي", ("Khafaji", "Khafajy")),
    ("الدوري", ("Douri", "Duri", "Doori")),
]
_SUN_LATIN = {"r": "ar", "s": "as", "l": "al"}

# Triliteral roots of Arabic names, strong consonants only (no ayn, hamza, w or y: their spellings
# follow other rules, and the hand-written tables above cover the common names built on them).
_ROOTS_TEXT = (
    "كرم جمل حمد سلم نصر فضل صبر شكر رشد جبر قسم كمل نجم فرح شرف ظفر فخر نبل هشم كظم صدق بشر "
    "حلم رفق لطف مجد زهر برك حكم خلد قدر نظم سند طلب غلب فتح خلف ذكر حفظ شهب بدر فرج ثمر مزن "
    "فهد صخر نمر سمر قطب حزم ثبت رجب غزل كبر بكر زبد جبل نزر حرز شمس قمر فطن رحم سلط حشم بهج "
    "خطب فلح نجح حسب نسب طهر ضرغ ذخر حمز قبس رفد سرج منذ نشط حبك دبر كسب جسر زمل قنص"
)
ROOTS = tuple(_ROOTS_TEXT.split())
# (Arabic template, Latin template): 1 2 3 are the root's letters; a i u short vowels, A I U long.
GIVEN_PATTERNS = (
    ("1ا23", "1A2i3"),  # Kāmil, Jāsim
    ("12ي3", "1a2I3"),  # Karīm, Ḥamīd
    ("12ا3", "1a2A3"),  # Jamāl, Kamāl
    ("123ان", "1a23An"),  # Salmān
    ("أ123", "a12a3"),  # Akram, Aḥmad
    ("م12و3", "ma12U3"),  # Maḥmūd, Manṣūr
    ("م123", "mu1a22a3"),  # Mukarram
    ("123", "1a23"),  # Fahd, Badr
)
NISBA_PATTERNS = (
    ("ال123ي", "1a23i"),  # al-Kaabi
    ("ال12ي3ي", "1u2ai3i"),  # al-Zubaidi
    ("ال123اوي", "1a23Awi"),  # al-Fatlawi
)
_CONSONANT_LATIN: dict[str, tuple[str, ...]] = {
    "ب": ("b",),
    "ت": ("t",),
    "ث": ("th", "t"),
    "ج": ("j", "g", "dj"),
    "ح": ("h",),
    "خ": ("kh", "kh", "k"),
    "د": ("d",),
    "ذ": ("dh", "z", "th"),
    "ر": ("r",),
    "ز": ("z",),
    "س": ("s",),
    "ش": ("sh", "ch"),
    "ص": ("s",),
    "ض": ("dh", "d", "z"),
    "ط": ("t",),
    "ظ": ("dh", "z", "th"),
    "غ": ("gh", "g"),
    "ف": ("f",),
    "ق": ("q", "k", "g"),
    "ك": ("k",),
    "ل": ("l",),
    "م": ("m",),
    "ن": ("n",),
    "ه": ("h",),
}
_VOWEL_LATIN = {
    "a": ("a", "e"),
    "i": ("i", "e"),
    "u": ("u", "o"),
    "A": ("a",),
    "I": ("ee", "i"),
    "U": ("ou", "u", "oo"),
}


def _derive(
    root: str, arabic: str, latin: str, n_spellings: int, rng: np.random.Generator
) -> tuple[str, tuple[str, ...]]:
    """One name built on `root` by a pattern: its Arabic form and distinct Latin spellings (the
    first with the first choice of every letter)."""
    ar = "".join(root[int(ch) - 1] if ch.isdigit() else ch for ch in arabic)
    spellings: list[str] = []
    for k in range(n_spellings * 3):
        out: list[str] = []
        for j, ch in enumerate(latin):
            options = _CONSONANT_LATIN[root[int(ch) - 1]] if ch.isdigit() else _VOWEL_LATIN.get(ch, (ch,))
            pick = options[0] if k == 0 else options[int(rng.integers(len(options)))]
            if ch.isdigit() and j > 0 and latin[j - 1] == ch:
                # a doubled letter: Mukarram / Mukaram, its second half as the first was written
                pick = out[-1][-1] if k == 0 or rng.random() < 0.6 else ""
            out.append(pick)
        text = "".join(out)
        text = text[:1].upper() + text[1:]
        if text not in spellings:
            spellings.append(text)
        if len(spellings) == n_spellings:
            break
    return ar, tuple(spellings)


@lru_cache(maxsize=1)
def vocabulary() -> tuple[list[tuple[str, tuple[str, ...]]], list[tuple[str, tuple[str, ...]]]]:
    """(first names, family names): each an Arabic form and its Latin spellings, the first canonical.

    First names are the common ones of `GIVEN` and `ABD_NAMES`, then names derived from `ROOTS`;
    family names `NISBA`, then derived nisbas. A derived name keeps only the Latin spellings no
    other name has, and is left out when its Arabic form or first spelling is taken: each name can
    be told from the others in at least one script (Kārim "Karem" / كارم and Karīm "Kareem" / كريم
    are never both "Karim" here, as they are in life; the hand-written tables keep such clashes)."""
    rng = np.random.default_rng(20260101)
    first: list[tuple[str, tuple[str, ...]]] = list(GIVEN)
    for k in range(len(ABD_NAMES)):
        first.append((_abd_arabic(k), _abd_latin_forms(k)))
    family = list(NISBA)
    for table, patterns in ((first, GIVEN_PATTERNS), (family, NISBA_PATTERNS)):
        taken = {ar for ar, _ in table} | {sp.lower() for _, lat in table for sp in lat}
        for root in ROOTS:
            # a root gives a few names, not every pattern: Karīm, Akram and Mukarram, but no Kārim
            picks = rng.choice(len(patterns), size=min(len(patterns), 3 if patterns is GIVEN_PATTERNS else 2))
            for arabic, latin in (patterns[int(k)] for k in sorted(set(picks.tolist()))):
                ar, spellings = _derive(root, arabic, latin, 4, rng)
                spellings = tuple(s for s in spellings if _spells(ar, s) and s.lower() not in taken)
                if not spellings or ar in taken:
                    continue
                taken |= {ar, *(sp.lower() for sp in spellings)}
                table.append((ar, spellings))
    return first, family


def _abd_arabic(k: int) -> str:
    return "عبد " + ABD_NAMES[k][0]


def _abd_latin_forms(k: int) -> tuple[str, ...]:
    _, root, sun = ABD_NAMES[k]
    if root == "llah":
        return ("Abdullah", "Abdallah", "Abd Allah", "Abdulla")
    art = _SUN_LATIN.get(sun, "al")
    return (
        f"Abdul {root}",
        f"Abd al-{root}",
        f"Abdul{root.lower()}",
        f"Abd-{art}-{root}",
        f"Abdel {root}",
        f"Abd {art}-{root}",
    )


def _spells(arabic: str, latin: str) -> bool:
    """Whether a derived Latin spelling reads as the Arabic form (Fat-han written "Fathan" does
    not: th is one letter to a reader), so that the tables hold only spellings met in practice."""
    (ka, fa), (kl, fl) = analyse(arabic.removeprefix("ال")), analyse(latin)
    # and a derived name that reads as a compound (Abdar: "Abd ar-") is not a name anyone has
    one_part = len(name_parts(f"{latin} Ali")) == 2 and len(name_parts(f"{arabic} علي")) == 2
    return one_part and confusable(ka, kl) and frames_agree(fa, fl)


@lru_cache(maxsize=1)
def look_alikes() -> dict[int, tuple[int, ...]]:
    """First names written with the same consonants as another (Hassan / Hussein, Karīm / Karam /
    Kārim): the hardest namesakes for a screening."""
    groups: dict[str, list[int]] = {}
    for k, (ar, _) in enumerate(vocabulary()[0]):
        groups.setdefault(analyse(ar.split()[-1])[0], []).append(k)
    return {k: tuple(o for o in g if o != k) for g in groups.values() if len(g) > 1 for k in g}


@dataclass(frozen=True, slots=True)
class People:
    """Name-part indices of many synthetic people: given name, father, grandfather (into the first
    names of `vocabulary()`), and family name (into its family names, -1 for none)."""

    given: NDArray[np.int32]
    father: NDArray[np.int32]
    grandfather: NDArray[np.int32]
    nisba: NDArray[np.int32]

    def __len__(self) -> int:
        return len(self.given)

    def key(self, i: int) -> tuple[int, int, int, int]:
        return (int(self.given[i]), int(self.father[i]), int(self.grandfather[i]), int(self.nisba[i]))


def n_first() -> int:
    return len(vocabulary()[0])


def n_family() -> int:
    return len(vocabulary()[1])


def generate_people(n: int, rng: np.random.Generator) -> People:
    """`n` people with a realistic skew: a few names (Muhammad, Ali, Hussein) are very common."""
    weights = 1.0 / np.arange(1, n_first() + 1) ** 0.8
    weights /= weights.sum()

    def draw() -> NDArray[np.int32]:
        return rng.choice(n_first(), size=n, p=weights).astype(np.int32)

    fam_weights = 1.0 / np.arange(1, n_family() + 1) ** 0.5
    nisba = rng.choice(n_family(), size=n, p=fam_weights / fam_weights.sum()).astype(np.int32)
    nisba[rng.random(n) < 0.15] = -1
    return People(draw(), draw(), draw(), nisba)


def part_arabic(index: int) -> str:
    return vocabulary()[0][index][0]


def part_latin(index: int, rng: np.random.Generator | None = None) -> str:
    """A Latin spelling of one first-name part (the first listed when `rng` is None)."""
    spellings = vocabulary()[0][index][1]
    return spellings[0] if rng is None else spellings[int(rng.integers(len(spellings)))]


def nisba_arabic(index: int) -> str:
    return vocabulary()[1][index][0]


def nisba_latin(index: int, rng: np.random.Generator | None = None) -> str:
    spellings = vocabulary()[1][index][1]
    root = spellings[0] if rng is None else spellings[int(rng.integers(len(spellings)))]
    if rng is None:
        return f"al-{root}"
    return ("al-", "Al-", "el-", "Al ", "Al", "")[int(rng.integers(6))] + root


def render_canonical(people: People, i: int, arabic: bool) -> str:
    """The listed form of person `i`: four parts in Arabic script or in the first Latin spellings."""
    return render_canonical_many(people, np.array([arabic]), np.array([i]))[0]


def render_canonical_many(
    people: People, arabic: NDArray[np.bool_], rows: NDArray[np.int64] | None = None
) -> list[str]:
    """Listed forms of many people at once (`rows`, default all): string tables indexed by arrays."""
    first, family = vocabulary()
    idx = np.arange(len(people)) if rows is None else rows
    tables = (
        ([lat[0] for _, lat in first], [" al-" + lat[0] for _, lat in family] + [""]),
        ([ar for ar, _ in first], [" " + ar for ar, _ in family] + [""]),
    )
    return [
        f"{tables[a][0][g]} {tables[a][0][f]} {tables[a][0][gf]}{tables[a][1][nb]}"
        for a, g, f, gf, nb in zip(
            arabic.astype(np.int8).tolist(),
            people.given[idx].tolist(),
            people.father[idx].tolist(),
            people.grandfather[idx].tolist(),
            people.nisba[idx].tolist(),
            strict=True,
        )
    ]


def render_variant(people: People, i: int, rng: np.random.Generator) -> str:
    """One way person `i` is written at a crossing: Arabic script or another Latin spelling, maybe
    without the grandfather or tribal name, maybe family name first, maybe with 'bin'."""
    return render_variant_roles(people, i, rng)[0]


def render_variant_roles(
    people: People, i: int, rng: np.random.Generator
) -> tuple[str, tuple[int | None, int | None, int | None, int | None]]:
    """`render_variant()` and what it wrote: (given, father, grandfather, family) indices, None
    for a part left out: the ground truth of which listed people the written name fits."""
    g, f, gf, nb = people.key(i)
    kept_gf: int | None = gf
    kept_nb: int | None = None
    if rng.random() < 0.35:
        parts = [part_arabic(g), part_arabic(f), part_arabic(gf)]
        if nb >= 0 and rng.random() < 0.7:
            parts.append(nisba_arabic(nb))
            kept_nb = nb
            if rng.random() < 0.3:
                parts.pop(2)  # grandfather left out where the family name identifies
                kept_gf = None
        return " ".join(parts), (g, f, kept_gf, kept_nb)
    parts = [part_latin(g, rng), part_latin(f, rng), part_latin(gf, rng)]
    keep_family = nb >= 0 and rng.random() < 0.7
    if keep_family and rng.random() < 0.3:
        parts.pop(2)
        kept_gf = None
    elif rng.random() < 0.1:
        parts.insert(1, "bin")
    if keep_family:
        kept_nb = nb
        family = nisba_latin(nb, rng)
        if rng.random() < 0.2:
            return f"{family.upper()}, {' '.join(parts)}", (g, f, kept_gf, kept_nb)
        parts.append(family)
    text = " ".join(parts)
    return (text.upper() if rng.random() < 0.2 else text), (g, f, kept_gf, kept_nb)
