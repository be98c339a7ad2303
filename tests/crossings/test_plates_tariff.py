import pytest

from borderwatch.crossings.plates import PlateError, normalise_plate
from borderwatch.crossings.problems import CrossingsError, RecordError
from borderwatch.crossings.tariff import check_hs_code, load_tariff


@pytest.mark.parametrize("text", ["بغداد أ ١٢٣٤٥", "Baghdad A 12345", "11-A-12345", "12345 أ بغداد", "BAGHDAD a12345"])
def test_one_plate_in_arabic_and_latin_forms(text: str) -> None:
    plate = normalise_plate(text)
    assert plate.latin == "BAGHDAD A 12345"
    assert plate.arabic == "بغداد أ ١٢٣٤٥"


def test_kurdistan_plate_with_name_and_code() -> None:
    assert normalise_plate("Erbil 26 H 77").latin == "ERBIL H 77"


@pytest.mark.parametrize("text", ["", "Paris A 123", "Baghdad X 123", "Baghdad A 1234567", "Baghdad A"])
def test_bad_plates_are_rejected_with_a_reason(text: str) -> None:
    with pytest.raises(PlateError, match="plate"):
        normalise_plate(text)


def test_longest_prefix_rate_and_expected_duty() -> None:
    tariff = load_tariff()
    assert tariff.rate("220300") == tariff.rates["2203"]
    assert tariff.rate("220890") == tariff.rates["2208"]
    assert tariff.rate("220110") == tariff.rates["22"]
    assert tariff.rate("490110") == tariff.default_rate  # printed books: no prefix in the schedule
    assert tariff.expected_duty("870323", 10_000_000) == pytest.approx(10_000_000 * tariff.rates["8703"])


@pytest.mark.parametrize("code", ["12", "1a2345", "000000", "7700", "1234567"])
def test_malformed_hs_codes(code: str) -> None:
    if code == "12":
        assert check_hs_code(code) == "12"
        return
    with pytest.raises(RecordError):
        check_hs_code(code)


def test_tariff_file_with_bad_rate(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "t.yaml"
    path.write_text("rates:\n  '22': -1\n  'xx': 0.1\n")
    with pytest.raises(CrossingsError, match=r"rates.22.*rates.xx|rates.xx.*rates.22"):
        load_tariff(path)
