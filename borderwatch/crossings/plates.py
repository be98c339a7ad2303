"""Iraqi vehicle registration plates: normalised and validated in Arabic and Latin forms.

Lives here: `Plate`, `normalise_plate()` and `PlateError`. A plate is a governorate (by name in
Arabic or Latin, its abbreviation, or its numeric code), an optional series letter (Arabic or its
Latin equivalent) and a serial of 1-6 digits (ASCII or Arabic-Indic), in any order and spacing:
"بغداد أ ١٢٣٤٥", "Baghdad A 12345", "11-A-12345" and "12345 أ بغداد" are one plate. The
governorate and letter tables are our own (the `iraqi-plate` package served as a reference for the
federal codes 11-20). Standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# code, Latin name, Arabic name, other spellings
GOVERNORATES: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("11", "Baghdad", "بغداد", ("bgd", "baghdad")),
    ("12", "Nineveh", "نينوى", ("ninawa", "ninewa", "mosul", "نينوي", "الموصل")),
    ("13", "Maysan", "ميسان", ("missan", "amara")),
    ("14", "Basra", "البصرة", ("basrah", "البصره", "بصرة")),
    ("15", "Anbar", "الأنبار", ("al anbar", "alanbar", "الانبار", "انبار")),
    ("16", "Qadisiyah", "القادسية", ("qadisiyyah", "diwaniya", "الديوانية")),
    ("17", "Muthanna", "المثنى", ("al muthanna", "samawa")),
    ("18", "Babil", "بابل", ("babylon", "hilla")),
    ("19", "Karbala", "كربلاء", ("kerbala", "كربلا")),
    ("20", "Diyala", "ديالى", ("diyalah", "دياله")),
    ("21", "Dhi Qar", "ذي قار", ("dhiqar", "thi qar", "nasiriyah", "ذيقار")),
    ("22", "Salah al-Din", "صلاح الدين", ("salahaddin", "saladin", "salah ad din", "tikrit")),
    ("23", "Najaf", "النجف", ("an najaf", "نجف")),
    ("24", "Wasit", "واسط", ("kut",)),
    ("25", "Kirkuk", "كركوك", ("tamim", "التأميم")),
    ("26", "Erbil", "أربيل", ("arbil", "hewler", "اربيل", "هەولێر")),
    ("27", "Sulaymaniyah", "السليمانية", ("sulaimaniya", "slemani", "السليمانيه")),
    ("28", "Duhok", "دهوك", ("dohuk", "dahuk")),
]
# series letters: Latin equivalent -> Arabic letter
LETTERS: dict[str, str] = {
    "A": "أ",
    "B": "ب",
    "J": "ج",
    "D": "د",
    "R": "ر",
    "S": "س",
    "T": "ط",
    "E": "ع",
    "F": "ف",
    "Q": "ق",
    "K": "ك",
    "L": "ل",
    "M": "م",
    "N": "ن",
    "H": "ه",
    "W": "و",
    "Y": "ي",
    "Z": "ز",
}
_ARABIC_LETTER = {ar: la for la, ar in LETTERS.items()} | {"ا": "A", "إ": "A", "آ": "A", "ة": "H", "ى": "Y"}
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_TO_ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _fold(text: str) -> str:
    return re.sub(r"[\s\-_.]+", " ", text.lower().replace("ـ", "")).strip()


_BY_NAME: dict[str, str] = {}
for _code, _latin, _arabic, _aliases in GOVERNORATES:
    for _alias in (_latin, _arabic, *_aliases):
        _BY_NAME[_fold(_alias)] = _code
_BY_CODE = {code: (latin, arabic) for code, latin, arabic, _ in GOVERNORATES}


class PlateError(ValueError):
    """A plate that cannot be read as an Iraqi registration."""


@dataclass(frozen=True, slots=True)
class Plate:
    """A validated Iraqi plate."""

    governorate_code: str
    letter: str  # Latin series letter, "" for plates without one
    number: str

    @property
    def governorate(self) -> str:
        return _BY_CODE[self.governorate_code][0]

    @property
    def latin(self) -> str:
        """Canonical Latin form, used as the comparison key: 'BAGHDAD A 12345'."""
        return " ".join(p for p in (self.governorate.upper(), self.letter, self.number) if p)

    @property
    def arabic(self) -> str:
        """Arabic form with Arabic-Indic digits: 'بغداد أ ١٢٣٤٥'."""
        letter = LETTERS.get(self.letter, "")
        return " ".join(
            p for p in (_BY_CODE[self.governorate_code][1], letter, self.number.translate(_TO_ARABIC_DIGITS)) if p
        )


def normalise_plate(text: str) -> Plate:
    """The plate in `text`, or a PlateError saying which part is missing or wrong."""
    if not text or not text.strip():
        raise PlateError("plate is empty")
    raw = _fold(text.translate(_DIGITS))
    # split digits from letters that are glued on (11A12345, بغداد١٢٣أ)
    raw = re.sub(r"(?<=\d)(?=\D)|(?<=\D)(?=\d)", " ", raw)
    words = raw.split()
    code: str | None = None
    # longest governorate name first: "dhi qar", "salah al din", "al anbar"
    for size in (3, 2, 1):
        for i in range(len(words) - size + 1):
            candidate = " ".join(words[i : i + size])
            if candidate in _BY_NAME and code is None:
                code = _BY_NAME[candidate]
                words = words[:i] + words[i + size :]
                break
    numbers = [w for w in words if w.isdigit()]
    if code is not None and code in numbers and len(numbers) >= 2:
        numbers.remove(code)  # Kurdistan plates carry both the name and the code: "Erbil 21 A 1"
        words.remove(code)
    if code is None:
        codes = [w for w in numbers if w in _BY_CODE]
        if codes and len(numbers) >= 2:
            code = codes[0]
            numbers.remove(code)
            words.remove(code)
    if code is None:
        raise PlateError(f"plate {text!r}: no Iraqi governorate (name or code 11-28)")
    letters = [w for w in words if not w.isdigit()]
    if len(numbers) != 1:
        raise PlateError(f"plate {text!r}: expected one serial number, found {len(numbers)}")
    number = numbers[0]
    if not 1 <= len(number) <= 6:
        raise PlateError(f"plate {text!r}: serial {number!r} must have 1-6 digits")
    if len(letters) > 1:
        raise PlateError(f"plate {text!r}: unexpected {' '.join(letters)!r}")
    letter = ""
    if letters:
        word = letters[0]
        if len(word) != 1:
            raise PlateError(f"plate {text!r}: series {word!r} is not a single letter")
        letter = _ARABIC_LETTER.get(word, word.upper())
        if letter not in LETTERS:
            raise PlateError(f"plate {text!r}: {word!r} is not a series letter used on Iraqi plates")
    return Plate(code, letter, number.lstrip("0") or "0")
