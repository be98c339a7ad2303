"""Arabic-script romanisation and the consonant skeleton that lets Arabic and Latin spellings meet.

Lives here: our own transliteration tables (a simplified ALA-LC romanisation of Arabic, with the
Persian/Kurdish letters used in Iraq), Latin spelling normalisation, and `skeleton()`, the
script-independent key of one name part. Imports only the standard library.

Why a consonant skeleton: Arabic script does not write short vowels, and the Latin spellings of one
name differ mostly in vowels and in how a letter without a Latin equivalent is written
(Mohammed / Muhammad / Mohamad / محمد all become ``mhmd``). The letters that Latin spellings
confuse with each other (q/k/g, th/dh/z/ẓ/ḍ, s/ṣ, t/ṭ, h/ḥ/hh) fall into one class; ayn and
hamza, which Latin spellings write as ', `, ʿ, ʾ or not at all, are dropped; w and y count as
consonants only at the start of a part, where both scripts write them as consonants.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# ALA-LC-style transliteration of the Arabic alphabet, with Persian/Kurdish additions (our own table).
ARABIC_TO_LATIN: dict[str, str] = {
    "ء": "ʾ",
    "آ": "ā",
    "أ": "a",
    "إ": "i",
    "ؤ": "ʾ",
    "ئ": "ʾ",
    "ا": "ā",
    "ب": "b",
    "ة": "h",
    "ت": "t",
    "ث": "th",
    "ج": "j",
    "ح": "ḥ",
    "خ": "kh",
    "د": "d",
    "ذ": "dh",
    "ر": "r",
    "ز": "z",
    "س": "s",
    "ش": "sh",
    "ص": "ṣ",
    "ض": "ḍ",
    "ط": "ṭ",
    "ظ": "ẓ",
    "ع": "ʿ",
    "غ": "gh",
    "ف": "f",
    "ق": "q",
    "ك": "k",
    "ل": "l",
    "م": "m",
    "ن": "n",
    "ه": "h",
    "و": "w",
    "ى": "á",
    "ي": "y",
    "پ": "p",
    "چ": "ch",
    "ژ": "zh",
    "گ": "g",
    "ک": "k",
    "ی": "y",
    "ڤ": "v",
    "ە": "e",
    "ۆ": "ö",
    "ێ": "ê",
    "ڕ": "r",
    "ڵ": "ł",
}
# Sun letters assimilate the article: al-Rashid is said and often written ar-Rashid.
SUN_LETTERS = set("تثدذرزسشصضطظلن")
_TASHKEEL = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")  # harakat and tatweel
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")

# Consonant classes of the skeleton: one symbol per group of letters that spellings confuse.
_ARABIC_CLASS: dict[str, str] = {
    "ب": "b",
    "پ": "b",
    "ت": "t",
    "ط": "t",
    "ث": "z",
    "ذ": "z",
    "ظ": "z",
    "ض": "z",
    "ز": "z",
    "ژ": "z",
    "ج": "j",
    "چ": "c",
    "ح": "h",
    "ه": "h",
    "خ": "x",
    "د": "d",
    "ر": "r",
    "ڕ": "r",
    "س": "s",
    "ص": "s",
    "ش": "c",
    "غ": "g",
    "ف": "f",
    "ڤ": "f",
    "ق": "k",
    "ك": "k",
    "ک": "k",
    "گ": "k",
    "ل": "l",
    "ڵ": "l",
    "م": "m",
    "ن": "n",
    "و": "w",
    "ي": "y",
    "ی": "y",
}
# Latin digraphs first, then single letters; vowels map to "".
_LATIN_DIGRAPHS = [
    ("kh", "x"),
    ("gh", "g"),
    ("sh", "c"),
    ("sch", "c"),
    ("ch", "c"),
    ("th", "z"),
    ("dh", "z"),
    ("ph", "f"),
    ("dj", "j"),
    ("ck", "k"),
]
_DIGRAPH_CLASS = {**dict(_LATIN_DIGRAPHS), "zh": "z"}
_LATIN_CLASS: dict[str, str] = {
    "b": "b",
    "p": "b",
    "t": "t",
    "d": "d",
    "z": "z",
    "j": "j",
    "h": "h",
    "x": "x",
    "r": "r",
    "s": "s",
    "f": "f",
    "v": "f",
    "q": "k",
    "k": "k",
    "g": "g",  # Latin g writes غ, Iraqi ق (Gasim) and Egyptian ج (Gamal): its own class
    "c": "k",
    "l": "l",
    "m": "m",
    "n": "n",
    "w": "w",
    "y": "y",
}
# Which Arabic letters each Latin letter or digraph may write on documents (our own table). Two
# spellings of one skeleton are one name only where each consonant may write a common Arabic letter:
# Zuhairi (z: ز ظ ذ ض) is not Tuhairi (t: ت ط ث), Muhammaz (ز) is not محمد (د), though all share a
# letter class of the skeleton. Latin g writes Iraqi ق (Gasim) and Egyptian ج (Gamal); ch French ش
# (Chaker) and Iraqi ك / چ (Chalib).
_LATIN_WRITES: dict[str, str] = {
    "kh": "خ",
    "gh": "غ",
    "sh": "ش",
    "sch": "ش",
    "ch": "شچك",
    "th": "ثذظت",  # (and t with a dropped final h: Fath for فتح)
    "dh": "ذضظ",
    "ph": "ف",
    "dj": "ج",
    "ck": "كق",
    "zh": "ژ",
    "b": "بپ",
    "p": "پب",
    "t": "تطث",
    "d": "دضظذ",
    "z": "زظذضژ",
    "j": "جژ",
    "h": "حه",
    "x": "خ",
    "r": "ر",
    "s": "سصث",
    "f": "فڤ",
    "v": "ڤف",
    "q": "ق",
    "k": "كقخگ",
    "g": "غقجگ",
    "c": "كق",
    "l": "ل",
    "m": "م",
    "n": "ن",
    "w": "و",
    "y": "ي",
}
# Arabic letters that one name is written with interchangeably (ض / ظ, said alike in Iraq), and the
# Persian / Kurdish forms of Arabic letters.
_ARABIC_WRITES: dict[str, str] = {"ض": "ضظ", "ظ": "ضظ", "ک": "ك", "ی": "ي", "ڕ": "ر", "ڵ": "ل"}
# (digraphs stand as one private-use character while a Latin part is read)
_DIGRAPH_MARK = {digraph: chr(0xE000 + k) for k, digraph in enumerate((*dict(_LATIN_DIGRAPHS), "zh"))}
_MARK_DIGRAPH = {mark: digraph for digraph, mark in _DIGRAPH_MARK.items()}
Letters = tuple[str, ...]

_LATIN_MARKS = str.maketrans({"ʿ": "", "ʾ": "", "'": "", "`": "", "’": "", "‘": "", "´": "", "-": ""})


def is_arabic(text: str) -> bool:
    """True when the text holds any Arabic-script letter."""
    return _ARABIC_RE.search(text) is not None


def clean_arabic(text: str) -> str:
    """Arabic text without harakat and tatweel, with Arabic-Indic digits as ASCII."""
    return _TASHKEEL.sub("", unicodedata.normalize("NFC", text)).translate(_ARABIC_DIGITS)


def romanise(text: str) -> str:
    """ALA-LC-style romanisation of Arabic-script text (no short vowels: the script has none).

    The article before a sun letter is assimilated (الرشيد -> ar-rashīd); long vowels are marked
    (ā, ī, ū) where ا, ي or و follow a consonant. Latin text is returned unchanged.
    """
    out: list[str] = []
    for word in clean_arabic(text).split():
        if not is_arabic(word):
            out.append(word)
            continue
        prefix = ""
        if word.startswith("ال") and len(word) > 3:
            first = word[2]
            prefix = f"a{ARABIC_TO_LATIN.get(first, first)[0]}-" if first in SUN_LETTERS else "al-"
            word = word[2:]
        letters: list[str] = []
        for i, ch in enumerate(word):
            latin = ARABIC_TO_LATIN.get(ch, ch)
            if ch in "وي" and i > 0 and letters and letters[-1] not in "āīū":
                latin = "ū" if ch == "و" else "ī"
            letters.append(latin)
        out.append(prefix + "".join(letters))
    return " ".join(out)


# Vowel symbols of the frame (see `analyse`): Arabic long-vowel letters, and ayn / hamza, which
# Latin writes as an apostrophe, a doubled vowel or nothing: "X" means "anything may stand here".
_ARABIC_VOWEL: dict[str, str] = {
    "ا": "A",
    "آ": "A",
    "ى": "Y",  # alif maqsura: written -a, and confused with ي at the end of a word
    "ي": "I",
    "ی": "I",
    "و": "U",
    "ع": "X",
    "ء": "X",
    "أ": "X",
    "إ": "X",
    "ئ": "X",
    "ؤ": "X",
}
# Latin ayn / hamza marks become "9" (upper-case letters are taken by the digraph classes).
_LATIN_VOWEL = {"a": "a", "e": "e", "i": "i", "o": "o", "u": "u", "y": "i", "w": "u", "9": "X"}
_LATIN_MARKS_X = str.maketrans({"ʿ": "9", "ʾ": "9", "'": "9", "`": "9", "’": "9", "‘": "9", "´": "9", "-": ""})
_ARABIC_RE = re.compile("[\u0600-\u06ff\u0750-\u077f]")
Frame = tuple[str, ...]


# How common names that Arabic writes without their short vowels are said (our own table): their
# Arabic form then carries the vowels of this reading, so that محمد is not read as Mahmud.
VOCALISED: dict[str, str] = {
    "محمد": "muhammad",
    "احمد": "ahmad",
    "حسن": "hasan",
    "عمر": "umar",
    "مصطفى": "mustafa",
    "مهدي": "mahdi",
    "هدى": "huda",
    "مرتضى": "murtadha",
    "منتظر": "muntazar",
    "اكرم": "akram",
    "انور": "anwar",
    "مسلم": "muslim",
    "محسن": "muhsin",
    "مهند": "muhannad",
    "حمزة": "hamza",
}
# Latin spellings of a name as Turkish, Kurdish, Persian or South Asian speakers say it, where ث is
# pronounced s (our own table): Osman is عثمان as Othman / Uthman is, but its skeleton (smn) is not
# the Arabic one (tmn) and no letter class could merge s and th without merging سمير and ثمير.
SPOKEN_LATIN: dict[str, str] = {
    "osman": "othman",
    "usman": "uthman",
    "ousman": "uthman",
    "ousmane": "uthman",
    "osmane": "othman",
    "sabit": "thabit",
    "sabet": "thabet",
    "sakib": "thaqib",
    "mesut": "masud",
}
_HAMZA_SEATS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا"})


def analyse(part: str) -> tuple[str, Frame]:
    """The consonant skeleton of one name part and its vowel frame: what is written between the
    consonants (one entry per gap, before the first and after the last included), prefixed with
    the script ("ar" / "la"). The frame tells Hassan / حسن from Hussein / حسين, which share "hsn".
    A common name of `VOCALISED` in Arabic script gets the frame of its reading."""
    key, frame, _ = analyse_letters(part)
    return key, frame


@lru_cache(maxsize=1 << 20)
def analyse_letters(part: str) -> tuple[str, Frame, Letters]:
    """`analyse()` and, for each consonant of the skeleton, the Arabic letters it may be (one for
    Arabic script, those a Latin letter or digraph writes for Latin: see `letters_agree`)."""
    if is_arabic(part) and (reading := _reading(part)):
        key, frame, letters = _analyse(part)
        spoken_key, spoken, _ = _analyse(reading)
        if spoken_key == key:
            return key, spoken, letters
        return key, frame, letters
    said = SPOKEN_LATIN.get(part.lower())
    return _analyse(said if said else part)


@lru_cache(maxsize=1 << 18)
def letters_agree(a: Letters, b: Letters) -> bool:
    """Whether two skeletons' consonants may write the same Arabic letters, position by position
    (skeletons of different lengths are not compared here)."""
    return len(a) != len(b) or all(any(ch in y for ch in x) for x, y in zip(a, b, strict=True))


def _reading(part: str) -> str | None:
    word = clean_arabic(part).translate(_HAMZA_SEATS)
    # (a final ى is often written ي: مصطفي)
    return VOCALISED.get(word) or (VOCALISED.get(word[:-1] + "ى") if word.endswith("ي") else None)


def _analyse(part: str) -> tuple[str, Frame, Letters]:
    tokens: list[tuple[str, str, str]] = []  # (consonant class or "", vowel symbol or "", Arabic letters)
    if is_arabic(part):
        script = "ar"
        word = clean_arabic(part)
        # The pattern fāʿil (خالد, سالم, ماجد, جاسم, عادل): four letters, alif second, is said with a
        # short i before its last letter: Salim or Salem, never Salam (سلام) or Saleem (سليم).
        faail = len(word) == 4 and word[1] == "ا" and word[0] not in "اأإآ" and not set(word[2:]) & set("اويىة")
        for i, ch in enumerate(word):
            cls = _ARABIC_CLASS.get(ch, "")
            if cls in ("w", "y") and i > 0:
                cls = ""
            if faail and i == 3:
                tokens.append(("", "i", ""))
            tokens.append((cls, "" if cls else _ARABIC_VOWEL.get(ch, ""), _ARABIC_WRITES.get(ch, ch) if cls else ""))
        if word.endswith(("ة", "ه")) and len(word) > 2:
            tokens[-1] = ("", "A" if word.endswith("ة") else "X", "")  # Fatima, Fatimah, فاطمة
        if word[:1] in "أإآا":
            # a written initial vowel: Ahmad / أحمد is not Hamad / حمد; hamza above is a or u
            # (Ahmad, Usama), below it i or, as Iraq says it, a (Ibrahim, Ayad Allawi): Iyad is not أياد
            tokens[0] = ("", {"أ": "P", "إ": "Q"}.get(word[0], "V"), "")
        if word.endswith("ه") and len(word) <= 2:
            tokens.append(("", "X", ""))  # Taha / طه: the h is kept, a vowel may follow it
    else:
        script = "la"
        word = unicodedata.normalize("NFKD", part.lower().translate(_LATIN_MARKS_X))
        word = "".join(ch for ch in word if not unicodedata.combining(ch))
        if word.startswith("ou") and len(word) > 3 and word[2] in "aeiy":
            word = "w" + word[2:]  # French spellings: Oualid, Ouassim
        if word.startswith("zh"):
            word = _DIGRAPH_MARK["zh"] + word[2:]  # Kurdish ژ: Zhino; inside a word z-h is two letters (Azhar)
        for digraph, mark in _DIGRAPH_MARK.items():
            word = word.replace(digraph, mark)
        for i, ch in enumerate(word):
            written = _MARK_DIGRAPH.get(ch, ch)
            cls = _DIGRAPH_CLASS.get(written) or _LATIN_CLASS.get(ch, "")
            if cls in ("w", "y") and i > 0:
                cls = ""  # w and y write long vowels and diphthongs after the first letter
            tokens.append((cls, "" if cls else _LATIN_VOWEL.get(ch, ""), _LATIN_WRITES.get(written, "") if cls else ""))
    consonants: list[str] = []
    letters: list[str] = []
    gaps: list[str] = [""]
    for cls, vowel, writes in tokens:
        if not cls:
            gaps[-1] += vowel
        elif consonants and consonants[-1] == cls:
            letters[-1] += writes  # doubled consonant (Hussein / Husein / حسين): one, its vowels run on
        else:
            consonants.append(cls)
            letters.append(writes)
            gaps.append("")
    # A final h is dropped on both sides: Latin writes ة as -a or -ah (Fatima, Fatimah, فاطمة) and
    # both scripts end Falah / فلاح with it; keeping it would split more spellings than it separates.
    if len(consonants) > 2 and consonants[-1] == "h" and not gaps[-1]:  # (al-Farhawi keeps its h)
        consonants.pop()
        letters.pop()
        last = gaps.pop()
        # the vowel before it is still compared (Falih / فالح, Salih / صالح, not Falah / Falh / فلاح),
        # but not whether one is written ("H"); a Latin -eh (Fatmeh for فاطمة) may write anything
        gaps[-1] += last + ("X" if script == "la" and gaps[-1].endswith("e") and not gaps[-1].endswith("ee") else "H")
    return "".join(consonants), (script, *gaps), tuple(letters)


def skeleton(part: str) -> str:
    """Script-independent consonant key of one name part (one word, no article).

    >>> skeleton("Muhammad") == skeleton("Mohamed") == skeleton("محمد") == "mhmd"
    True
    """
    return analyse(part)[0]


_QUALITY = {
    "a": "a",
    "e": "aiu",
    "i": "i",
    "o": "u",
    "u": "u",
    "A": "a",
    "I": "i",
    "U": "u",
    "Y": "ai",
    "V": "aiu",
    "P": "au",
    "Q": "ia",
}
_LATIN_LONG = {"ee", "oo", "aa", "ai", "ei"}


_LATIN_LONG_RE = re.compile("ee|oo|aa|ai|ei|ou")


def _gap(script: str, text: str, first: bool) -> tuple[frozenset[str] | None, bool]:
    """(vowel qualities written in one gap, None for 'anything'; whether Latin writes it long).
    French spellings write a short u as ou in the first syllable (Moustafa, Mouhamed): there ou is
    not long. A Latin gap with a long vowel in it has that vowel's quality (Saeed: i)."""
    if "X" in text:
        return None, False
    if script == "la":
        longs = [m for m in _LATIN_LONG_RE.findall(text) if m != "ou" or not first]
        if longs:
            return frozenset("i" if m[1] == "i" or m == "ee" else m[0].replace("o", "u") for m in longs), True
    return frozenset("".join(_QUALITY[ch] for ch in text)), False


def _ayn_gap(arabic: str, latin: str, first: bool) -> bool:
    """Whether an Arabic gap holding ayn or hamza (anything may be written for those) agrees with a
    Latin gap on the long vowels: سعيد has ī (Saeed, Sa'id), سعد has none (Saad, Sa'ad)."""
    needed = frozenset(_QUALITY[ch] for ch in arabic if ch in "AIU")
    q, long = _gap("la", latin.replace("9", ""), first)
    written = q if long and q is not None else frozenset()
    return not (written - needed - {"a"}) and all(
        n in "".join(_QUALITY[c] for c in latin if c in _QUALITY) for n in needed
    )


@lru_cache(maxsize=1 << 18)
def frames_agree(a: Frame, b: Frame, loose: bool = False) -> bool:
    """Whether two vowel frames of the same skeleton may write one name.

    A long vowel that Arabic writes (ا و ي) must appear in the Latin spelling with its quality; a
    Latin long vowel (ee, oo, aa, ai, ei) needs an Arabic letter; between Latin spellings only
    qualities are compared (e is any vowel, a dropped vowel agrees with anything: Fatima / Fatma),
    and one short vowel may differ or be left out (Yusuf / Yousif, Fatima / Fatma) but not two
    (Hadi / Huda, Mahmud / Mohammed). `loose` (family and tribal names: al-Jubouri / al-Jabouri,
    Tikriti / Takriti, Gharawi / Ghrawi) lets any number of short vowels differ or drop out.
    """
    if len(a) != len(b):
        return True  # not aligned: the caller compares keys only
    sa, sb = a[0], b[0]
    dropped_h = "H" in a[-1] + b[-1]
    for ar, la in ((a, b), (b, a)):
        if ar[0] == "ar" and la[0] == "la" and "H" in la[-1] and "H" not in ar[-1] and not ar[-1].endswith(("A", "X")):
            return False  # a Latin final h that Arabic does not write (Najeeh is not ناجي; Fatimah is فاطمة)
    if dropped_h:
        a, b = (*a[:-1], a[-1].replace("H", "")), (*b[:-1], b[-1].replace("H", ""))
    if (a[1] == "") != (b[1] == "") and "9" not in a[1] + b[1]:
        return False  # both scripts write an initial vowel: Aflah / أفلح is not Falah / فلاح
    if (a[-1] == "") != (b[-1] == "") and not dropped_h and "X" not in a[-1] + b[-1] and "9" not in a[-1] + b[-1]:
        return False  # and a final one: Samr / سمر is not Samri / سمري, Ahmad not Ahmadi
    short_differ = 0
    if sa == "la" and sb == "ar":
        a, b, sa, sb = b, a, sb, sa
    if sa == "ar" and sb == "la" and len(a) == 5 and a[2] == a[3] == "" and b[3] in ("i", "u", "o"):
        # A name of three root letters that Arabic writes with no long vowel (نبل, بدر, نصر) has no
        # i or u before its last letter: Nabil is نبيل, Badir بادر, Nasir ناصر (Latin drops such
        # a vowel only before a final one, see below). Names said so anyway (محسن) are in VOCALISED.
        # The same holds for family names: al-Juburi is الجبوري, not الجبري.
        return False
    for k, (ga, gb) in enumerate(zip(a[1:], b[1:], strict=True)):
        qa, long_a = _gap(sa, ga, k == 1)
        qb, long_b = _gap(sb, gb, k == 1)
        if sa == "ar" and sb == "la" and qa is None and "9" not in gb and not _ayn_gap(ga, gb, k == 1):
            return False
        if sa == sb == "ar" and (qa is None or qb is None) and set(ga) - {"X"} != set(gb) - {"X"}:
            return False  # beside ayn or hamza the long vowels still count: سعد / سعيد
        if qa is None or qb is None:
            continue
        if sa == "ar" and sb == "ar":
            if qa != qb and not ("Y" in ga + gb and qa & qb) and not (k == 0 and "V" in ga + gb):
                return False  # (ى and ي are confused at the end of a word: مصطفى / مصطفي)
        elif sa == "ar":  # Arabic against Latin
            if (
                k == 0
                and ga[:1] in ("P", "Q")
                and gb[:1] in _QUALITY
                and not set(_QUALITY[ga[0]]) & set(_QUALITY[gb[0]])
            ):
                return False  # the hamza seat against the first vowel written: أياد is Ayyad, not Iyad
            if (len(ga) > 1 and len(gb) < 2) or (len(gb) > 2 and len(ga) < 2):
                return False  # two long vowels in Arabic (جبراوي), one short in Latin (Jabri); or back
            if (not qa and long_b) or (qa and not qa & qb) or (gb == "e" and set(ga) & set("AIUY")):
                return False  # (Latin e writes a short vowel, never ā, ī or ū)
            if ga == "i" and long_b:
                return False  # the short i of fāʿil: Saleem is سليم, not سالم
        elif not qa and not qb:
            continue
        elif abs(len(ga) - len(gb)) > 1:
            return False  # Hashmi / Hashmawi
        elif not qa or not qb:
            short_differ += not loose
            if len(ga) + len(gb) > 1 or (ga + gb == "a" and not loose) or short_differ > 1:
                return False  # Latin drops a short i or u (Fatima / Fatma), never an a, often long
            if not loose and not (a[-1] and b[-1]):
                return False  # and only before a final vowel: Fatma, but no Khald for Khalid
        elif (ga == "e" and long_b) or (gb == "e" and long_a):
            return False  # e writes a short vowel: Naser / Naseer, Hamed / Hameed
        elif not qa & qb:
            short_differ += not loose
            if long_a or long_b or short_differ > 1 or ("a" in qa | qb and not loose):
                return False  # u for i may be one name (Yusuf / Yousif); a for i is not (Khalid / Khallad)
    return True


_COARSE = str.maketrans({"z": "d", "t": "d", "x": "k", "j": "k", "g": "k"})
# Classes one letter may be written in (ظ as dh / z / d, ث as th / t, خ as kh / k, ق as q / g,
# ج as j / g): two skeletons that differ only in such pairs may be one name; j against q may not.
_CONFUSABLE = {frozenset(p) for p in ("zd", "zt", "dt", "xk", "gk", "gj", "gx")}


def confusable(a: str, b: str) -> bool:
    """Whether two skeletons of equal length differ only in letters that spellings confuse."""
    return len(a) == len(b) and all(x == y or frozenset((x, y)) in _CONFUSABLE for x, y in zip(a, b, strict=True))


def coarse(key: str) -> str:
    """A skeleton with the classes that Latin spellings still confuse merged (z/d/t, kh/gh/k, j/g/k):
    Kadhim / Kadim / Kazim, Thamer / Tamer, Khalid / Kalid, Jamal / Gamal."""
    return re.sub(r"(.)\1+", r"\1", key.translate(_COARSE))


# Common Arabic given names with all their vowels (our own table, from the names in use in Iraq and
# the Arab world; long vowels doubled, ayn and hamza as '). A Latin spelling that writes the vowels
# of one of these names is read as that name: "Khalid" is خالد and not the rare خليد, "Sadiq" is صادق
# and not صديق, "Fadhil" فاضل and not فضيل. An Arabic name that is not listed stays open to any
# spelling its letters and vowel frame allow.
_NAME_VOWELS_TEXT = """
محمد muhammad أحمد ahmad محمود mahmuud حامد haamid حميد hamiid حمدي hamdii حمدان hamdaan علي 'alii
حسن hasan حسين husain حسان hassaan حسني husnii عمر 'umar عمار 'ammaar عامر 'aamir عثمان 'uthmaan
خالد khaalid خليل khaliil خليفة khaliifa يوسف yuusuf إبراهيم ibraahiim إسماعيل ismaa'iil مصطفى mustafaa
كريم kariim كرم karam أكرم akram جاسم jaasim قاسم qaasim كاظم kaadhim جعفر ja'far صادق saadiq
صديق siddiiq باقر baaqir مهدي mahdii رضا ridhaa سعد sa'd سعيد sa'iid سعود sa'uud وليد waliid فيصل faisal
ماجد maajid مجيد majiid ناصر naasir نصر nasr نصير nasiir منصور mansuur طارق taariq حيدر haidar
عباس 'abbaas مرتضى murtadhaa منتظر muntadhar سلمان salmaan سليمان sulaimaan سليم saliim سالم saalim
سلام salaam عدنان 'adnaan فاضل faadhil فضيل fudhail نوري nuurii صالح saalih فلاح falaah فالح faalih
رعد ra'd ثامر thaamir تامر taamir حمزة hamza رشيد rashiid راشد raashid عادل 'aadil جمال jamaal
جميل jamiil كمال kamaal كامل kaamil نبيل nabiil هاشم haashim هشام hishaam مازن maazin مروان marwaan
عماد 'imaad سامي saamii سامر saamir رامي raamii بشير bashiir بشار bashshaar شاكر shaakir شكري shukrii
ياسين yaasiin ياسر yaasir أسامة usaama هيثم haitham غازي ghaazii شهاب shihaab موسى muusaa عيسى 'iisaa
نزار nizaar بلال bilaal وسام wisaam قيس qais ظافر dhaafir ضرغام dhurghaam هادي haadii راضي raadhii
سجاد sajjaad أمير amiir فراس firaas فارس faaris فاطمة faatima زينب zainab نور nuur سارة saara هدى hudaa
خديجة khadiija آمنة aamina جابر jaabir جبار jabbaar صابر saabir صبري sabrii منذر mundhir مهند muhannad
مسلم muslim محسن muhsin عقيل 'aqiil عبيد 'ubaid زيد zaid زهير zuhair قصي qusai أنس anas أمجد amjad
أيمن aiman يونس yuunus نجم najm ناجي naajii ناجح naajih نجاح najaah باسم baasim بسام bassaam حازم haazim
حاتم haatim حافظ haafidh طالب taalib غالب ghaalib مالك maalik نادر naadir ماهر maahir منير muniir
عزيز 'aziiz رحيم rahiim نعيم na'iim شريف shariif لطيف latiif عاصم 'aasim هاني haanii سمير samiir
تحسين tahsiin عصام 'isaam قحطان qahtaan صباح sabaah جواد jawaad مجاهد mujaahid ستار sattaar
صلاح salaah عمران 'imraan غسان ghassaan همام humaam حسام husaam هلال hilaal بدر badr فهد fahd صقر saqr
فخري fakhrii جلال jalaal كفاح kifaah نضال nidhaal إحسان ihsaan سلمى salmaa حنان hanaan نادية naadiya
"""
_VOWEL_FORMS: dict[str, frozenset[str]] = {  # a vowel of the table and how Latin spellings write it
    "a": frozenset(("a", "e")),
    "i": frozenset(("i", "e")),
    "u": frozenset(("u", "o", "ou")),
    "aa": frozenset(("a", "aa")),  # (Turkish e for ā, Kemal, is read by the frame rules alone)
    "ii": frozenset(("i", "ee", "ii", "ie", "ei")),
    "uu": frozenset(("u", "o", "ou", "oo", "uu")),
    "ai": frozenset(("ai", "ei", "e", "ae")),
    "au": frozenset(("au", "ou", "o")),
}
_MARKED_LONG = frozenset(("ee", "oo", "aa", "ii", "uu"))
_LONG_ONLY = re.compile("aa|ii|uu|ai|au|[aiu]")  # a vowelled gap as Arabic writes it: long vowels only


_VOWELLED_SYMBOLS = re.compile("[AIUVPQY]")  # an Arabic frame's vowels in the table's notation


def _vowelled(match: re.Match[str]) -> str:
    return {"A": "aa", "I": "ii", "U": "uu", "Y": "aa"}.get(match.group(), "a")


def _long_symbol(match: re.Match[str]) -> str:
    return {"aa": "A", "ii": "I", "uu": "U", "ai": "I", "au": "U"}.get(match.group(), "")


def _arabic_form(text: str) -> str:
    """An Arabic name as the table keys it: hamza seats and a final ى / ة written as ا / ي / ه."""
    word = clean_arabic(text).translate(_HAMZA_SEATS)
    return word[:-1] + {"ى": "ي", "ة": "ه"}.get(word[-1], word[-1]) if word else word


@lru_cache(maxsize=1)
def _name_vowels() -> dict[str, list[tuple[str, Letters, Frame]]]:
    """coarse skeleton -> (Arabic form, letters, vowelled frame) of the names of the table whose
    vowelled form has the consonants of the Arabic."""
    table: dict[str, list[tuple[str, Letters, Frame]]] = {}
    words = _NAME_VOWELS_TEXT.split()
    for arabic, vowelled in zip(words[::2], words[1::2], strict=True):
        key, _, letters = _analyse(arabic)
        v_key, frame, _ = _analyse(vowelled)
        if v_key == key:  # (a table line that does not spell its Arabic is left out; a test checks)
            table.setdefault(coarse(key), []).append((_arabic_form(arabic), letters, frame))
    return table


def name_vowels_mismatches() -> list[str]:
    """Lines of the vowelled-name table whose Latin does not write the consonants of the Arabic."""
    words = _NAME_VOWELS_TEXT.split()
    return [f"{a} {v}" for a, v in zip(words[::2], words[1::2], strict=True) if _analyse(a)[0] != _analyse(v)[0]]


def _fits(latin: Frame, vowelled: Frame, strict: bool) -> bool:
    """Whether a Latin spelling writes the vowels of a vowelled name. `strict`: each vowel as Latin
    writes that vowel; otherwise only no long vowel (ee, oo) where the name has a short one."""
    if len(latin) != len(vowelled):
        return False
    if "X" not in latin[-1] and ("H" in latin[-1]) != ("H" in vowelled[-1]) and vowelled[-1] != "a":
        return False  # a final h written on one side only (Najeeh is not ناجي), but Fatimah is فاطمة
    for k, (lg, vg) in enumerate(zip(latin[1:], vowelled[1:], strict=True)):
        lg, vg = lg.replace("H", ""), vg.replace("H", "")
        if "X" in vg:
            # ayn or hamza: Latin writes it as a vowel, a mark or a doubled vowel, and the long
            # vowels beside it still count (Sa'ad, Saad: سعد; Saeed, Sa'id: سعيد)
            if not lg or not _ayn_gap(_LONG_ONLY.sub(_long_symbol, vg), lg.replace("X", ""), k == 1):
                return False
            continue
        if "X" in lg or (vg and vg not in _VOWEL_FORMS):
            continue  # a Latin mark, or a run of vowels the table does not spell out: anything
        if not strict:
            if lg in _MARKED_LONG and vg not in ("aa", "ii", "uu", "ai", "au"):
                return False
        elif not vg:
            if lg not in (("", "e", "a") if 0 < k < len(latin) - 2 else ("",)):
                return False  # (Fahad, Bader: Latin may put a vowel inside a cluster, not at an end)
        elif lg not in _VOWEL_FORMS[vg]:
            return False
    return True


@lru_cache(maxsize=1 << 16)
def latin_readings(part: str, strict: bool = True) -> frozenset[str]:
    """The names of the vowelled table (their Arabic form) that a Latin spelling of one part writes."""
    key, frame, letters = analyse_letters(part)
    return frozenset(
        arabic
        for arabic, name_letters, vowelled in _name_vowels().get(coarse(key), ())
        if len(name_letters) == len(letters) and letters_agree(letters, name_letters) and _fits(frame, vowelled, strict)
    )


@lru_cache(maxsize=1 << 18)
def readings_agree(a: str, b: str) -> bool:
    """Whether two spellings of one skeleton may be one given name by the vowelled table: a Latin
    spelling that writes listed names must meet one of them (the Arabic on the other side, or a
    name the other Latin spelling writes too, or at least does not contradict with a long vowel)."""
    a_ar, b_ar = is_arabic(a), is_arabic(b)
    if a_ar and b_ar:
        return True
    if a_ar or b_ar:
        arabic, latin = (a, b) if a_ar else (b, a)
        names = latin_readings(latin)
        if not names or _arabic_form(arabic) in names:
            return True
        # an Arabic name whose pattern gives all its vowels (fāʿil: بادر Bādir) is as good a reading
        # of the Latin as the common name is (Bader: بدر or بادر)
        _, frame, _ = analyse_letters(arabic)
        own = ("ar", *(_VOWELLED_SYMBOLS.sub(_vowelled, gap) for gap in frame[1:]))
        return frame[0] == "ar" and "i" in frame and _fits(analyse_letters(latin)[1], own, strict=True)
    names_a, names_b = latin_readings(a), latin_readings(b)
    if names_a and names_b:
        return bool(names_a & names_b)
    if not names_a and not names_b:
        return True
    names, other = (names_a, b) if names_a else (names_b, a)
    return bool(names & latin_readings(other, strict=False))
