"""Synthetic Iraqi names: many people, each written in Arabic script and in its Latin spellings.

Lives here: the name tables (given names, `Abd al-` compounds, tribal and nisba names, each with
its Arabic form and the Latin spellings met on documents), `generate_people()` (vectorised: index
arrays into the tables) and `render_variant()` (one way a border officer or a list compiler writes a
person's name). NumPy and the standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

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
    ("صالح", ("Salih", "Saleh", "Salah")),
    ("فلاح", ("Falah", "Fallah")),
    ("رعد", ("Raad", "Ra'ad", "Rad")),
    ("ثامر", ("Thamer", "Thamir", "Tamer")),
    ("ضياء", ("Dhiya", "Diaa", "Ziya", "Dia")),
    ("حميد", ("Hamid", "Hameed", "Hamed")),
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
    ("الستار", "Sattar", "s"),
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


@dataclass(frozen=True, slots=True)
class People:
    """Name-part indices of many synthetic people: given name, father, grandfather (into `GIVEN`,
    or `len(GIVEN) + k` for `ABD_NAMES[k]`), and nisba (into `NISBA`, -1 for none)."""

    given: NDArray[np.int32]
    father: NDArray[np.int32]
    grandfather: NDArray[np.int32]
    nisba: NDArray[np.int32]

    def __len__(self) -> int:
        return len(self.given)

    def key(self, i: int) -> tuple[int, int, int, int]:
        return (int(self.given[i]), int(self.father[i]), int(self.grandfather[i]), int(self.nisba[i]))


N_FIRST = len(GIVEN) + len(ABD_NAMES)


def generate_people(n: int, rng: np.random.Generator) -> People:
    """`n` people with a realistic skew: a few names (Muhammad, Ali, Hussein) are very common."""
    weights = 1.0 / np.arange(1, N_FIRST + 1) ** 0.8
    weights /= weights.sum()

    def draw() -> NDArray[np.int32]:
        return rng.choice(N_FIRST, size=n, p=weights).astype(np.int32)

    nisba = rng.integers(0, len(NISBA), size=n).astype(np.int32)
    nisba[rng.random(n) < 0.15] = -1
    return People(draw(), draw(), draw(), nisba)


def part_arabic(index: int) -> str:
    if index < len(GIVEN):
        return GIVEN[index][0]
    return "عبد " + ABD_NAMES[index - len(GIVEN)][0]


def part_latin(index: int, rng: np.random.Generator | None = None) -> str:
    """A Latin spelling of one first-name part (the first listed when `rng` is None)."""
    if index < len(GIVEN):
        spellings = GIVEN[index][1]
        return spellings[0] if rng is None else spellings[int(rng.integers(len(spellings)))]
    _, root, sun = ABD_NAMES[index - len(GIVEN)]
    forms: tuple[str, ...]
    if root == "llah":
        forms = ("Abdullah", "Abdallah", "Abd Allah", "Abdulla")
    else:
        art = _SUN_LATIN.get(sun, "al")
        forms = (
            f"Abdul {root}",
            f"Abd al-{root}",
            f"Abdul{root.lower()}",
            f"Abd-{art}-{root}",
            f"Abdel {root}",
            f"Abd {art}-{root}",
        )
    return forms[0] if rng is None else forms[int(rng.integers(len(forms)))]


def nisba_latin(index: int, rng: np.random.Generator | None = None) -> str:
    spellings = NISBA[index][1]
    root = spellings[0] if rng is None else spellings[int(rng.integers(len(spellings)))]
    if rng is None:
        return f"al-{root}"
    return ("al-", "Al-", "el-", "Al ", "Al", "")[int(rng.integers(6))] + root


def render_canonical(people: People, i: int, arabic: bool) -> str:
    """The listed form of person `i`: four parts in Arabic script or in the first Latin spellings."""
    g, f, gf, nb = people.key(i)
    if arabic:
        parts = [part_arabic(g), part_arabic(f), part_arabic(gf)] + ([NISBA[nb][0]] if nb >= 0 else [])
    else:
        parts = [part_latin(g), part_latin(f), part_latin(gf)] + ([nisba_latin(nb)] if nb >= 0 else [])
    return " ".join(parts)


def render_variant(people: People, i: int, rng: np.random.Generator) -> str:
    """One way person `i` is written at a crossing: Arabic script or another Latin spelling, maybe
    without the grandfather or tribal name, maybe family name first, maybe with 'bin'."""
    g, f, gf, nb = people.key(i)
    if rng.random() < 0.35:
        parts = [part_arabic(g), part_arabic(f), part_arabic(gf)]
        if nb >= 0 and rng.random() < 0.7:
            parts.append(NISBA[nb][0])
            if rng.random() < 0.3:
                parts.pop(2)  # grandfather left out where the family name identifies
        return " ".join(parts)
    parts = [part_latin(g, rng), part_latin(f, rng), part_latin(gf, rng)]
    keep_family = nb >= 0 and rng.random() < 0.7
    if keep_family and rng.random() < 0.3:
        parts.pop(2)
    elif rng.random() < 0.1:
        parts.insert(1, "bin")
    if keep_family:
        family = nisba_latin(nb, rng)
        if rng.random() < 0.2:
            return f"{family.upper()}, {' '.join(parts)}"
        parts.append(family)
    text = " ".join(parts)
    return text.upper() if rng.random() < 0.2 else text
