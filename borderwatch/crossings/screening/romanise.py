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
    ("zh", "z"),
    ("ph", "f"),
    ("ck", "k"),
]
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
    "g": "k",
    "c": "k",
    "l": "l",
    "m": "m",
    "n": "n",
    "w": "w",
    "y": "y",
}
_LATIN_MARKS = str.maketrans({"ʿ": "", "ʾ": "", "'": "", "`": "", "’": "", "‘": "", "´": "", "-": ""})


def is_arabic(text: str) -> bool:
    """True when the text holds any Arabic-script letter."""
    return any("\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f" for ch in text)


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


@lru_cache(maxsize=1 << 20)
def skeleton(part: str) -> str:
    """Script-independent consonant key of one name part (one word, no article).

    >>> skeleton("Muhammad") == skeleton("Mohamed") == skeleton("محمد") == "mhmd"
    True
    """
    if is_arabic(part):
        word = clean_arabic(part)
        classes = [_ARABIC_CLASS.get(ch, "") for ch in word]
        if word.endswith(("ة", "ه")) and len(word) > 2:
            classes[-1] = ""  # final ta marbuta / h: Fatima, Fatimah, فاطمة
    else:
        word = unicodedata.normalize("NFKD", part.lower().translate(_LATIN_MARKS))
        word = "".join(ch for ch in word if not unicodedata.combining(ch))
        if word.startswith("ou") and len(word) > 3 and word[2] in "aeiy":
            word = "w" + word[2:]  # French spellings: Oualid, Ouassim
        for digraph, cls in _LATIN_DIGRAPHS:
            word = word.replace(digraph, cls.upper())
        classes = [ch.lower() if ch.isupper() else _LATIN_CLASS.get(ch, "") for ch in word]
    # w and y are consonants only where they open the part; elsewhere they write long vowels.
    key = "".join(c for i, c in enumerate(classes) if c and (c not in "wy" or i == 0))
    key = re.sub(r"(.)\1+", r"\1", key)  # doubled consonants: Hussein / Husein / حسين
    # A final h is dropped on both sides: Latin writes ة as -a or -ah (Fatima, Fatimah, فاطمة) and
    # both scripts end Falah / فلاح with it; keeping it would split more spellings than it separates.
    return key[:-1] if len(key) > 2 and key.endswith("h") else key


_COARSE = str.maketrans({"z": "d", "t": "d", "x": "k", "j": "k", "g": "k"})


def coarse(key: str) -> str:
    """A skeleton with the classes that Latin spellings still confuse merged (z/d/t, kh/gh/k, j/g/k):
    Kadhim / Kadim / Kazim, Thamer / Tamer, Khalid / Kalid, Jamal / Gamal."""
    return re.sub(r"(.)\1+", r"\1", key.translate(_COARSE))
