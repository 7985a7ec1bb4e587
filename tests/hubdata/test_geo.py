"""Tests of hubdata.geo: the M49 table, containment, named groups and names."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest

from hubdata import geo
from hubdata.settings import PROJECT_ROOT


@pytest.mark.parametrize(
    ("iso2", "inside", "outside"),
    [
        ("KE", {"KE", "014", "202", "002", "001", "ITU-AFR"}, {"015", "ITU-ARB", "419"}),
        ("EG", {"EG", "015", "002", "001", "ITU-ARB"}, {"202", "ITU-AFR"}),
        ("SD", {"015", "002", "ITU-ARB"}, {"202", "014"}),
        ("MX", {"013", "419", "019", "001", "ITU-AMS"}, {"021", "005"}),
        ("BR", {"005", "419", "019", "ITU-AMS"}, {"013"}),
        ("KZ", {"143", "142", "ITU-CIS"}, {"ITU-EUR", "ITU-ASP"}),
        ("UA", {"151", "150", "ITU-EUR"}, {"ITU-CIS"}),
        ("FJ", {"054", "009", "ITU-ASP"}, {"142"}),
    ],
)
def test_areas_for_country(iso2: str, inside: set[str], outside: set[str]) -> None:
    areas = geo.areas_for_country(iso2)
    assert inside <= areas
    assert not outside & areas


def test_areas_for_country_takes_any_case_and_unknown_codes() -> None:
    assert geo.areas_for_country("ke") == geo.areas_for_country("KE")
    assert geo.areas_for_country("XK") == frozenset({"XK", "001"})


def test_itu_regions_cover_the_itu_membership_without_overlap() -> None:
    codes = ("ITU-AFR", "ITU-AMS", "ITU-ARB", "ITU-ASP", "ITU-CIS", "ITU-EUR")
    sizes = {code: len(geo.countries_in(code)) for code in codes}
    assert sizes == {
        "ITU-AFR": 44,
        "ITU-AMS": 35,
        "ITU-ARB": 22,
        "ITU-ASP": 38,
        "ITU-CIS": 9,
        "ITU-EUR": 46,
    }
    members = [iso2 for code in codes for iso2 in geo.countries_in(code)]
    assert len(members) == len(set(members)) == 194  # 193 Member States + Palestine
    assert {"EG", "MA", "PS", "SO", "KM"} <= geo.countries_in("ITU-ARB")
    assert geo.group("ITU-ARB").source.startswith("https://www.itu.int/")


def test_countries_in_regions() -> None:
    assert geo.countries_in("KE") == frozenset({"KE"})
    assert "KE" in geo.countries_in("14")  # M49 codes may come unpadded
    assert geo.countries_in("202") > geo.countries_in("014")
    assert geo.countries_in("001") == frozenset(geo.countries())
    assert geo.areas_for_country("AQ") == frozenset({"AQ", "001"})  # Antarctica: no region
    assert geo.countries_in("nowhere") == frozenset()


def test_predicates() -> None:
    assert geo.is_country("ke") and geo.is_country("PS")
    assert not geo.is_country("XK") and not geo.is_country("014")
    assert geo.is_area("014") and geo.is_area("419") and geo.is_area("itu-eur")
    assert geo.is_area("KE") and geo.is_area("001")
    assert not geo.is_area("999") and not geo.is_area("ITU-XYZ")


@pytest.mark.parametrize(
    ("lang", "kenya", "eastern_africa"),
    [
        ("en", "Kenya", "Eastern Africa"),
        ("fr", "Kenya", "Afrique orientale"),
        ("es", "Kenia", "África oriental"),
        ("pt", "Quênia", "África Oriental"),
        ("ru", "Кения", "Восточная Африка"),
        ("zh", "肯尼亚", "东非"),
        ("ar", "كينيا", "شرق أفريقيا"),
    ],
)
def test_area_names_in_all_languages(lang: str, kenya: str, eastern_africa: str) -> None:
    assert geo.area_name("KE", lang) == kenya
    assert geo.area_name("014", lang) == eastern_africa


def test_named_group_and_fallback_names() -> None:
    assert geo.area_name("ITU-ARB", "ru") == "Арабские государства (регион МСЭ)"
    assert geo.area_name("ITU-ARB", "xx") == "Arab States (ITU region)"
    assert geo.area_name("KE", "xx") == "Kenya"
    assert geo.area_name("830", "fr") == "Channel Islands"  # no CLDR name: the UN one
    with pytest.raises(KeyError):
        geo.area_name("999", "en")


def test_m49_table() -> None:
    with (PROJECT_ROOT / "data" / "m49.csv").open(encoding="utf-8") as f:
        rows = {row["iso2"]: row for row in csv.DictReader(f)}
    assert len(rows) == len(geo.countries()) == 248
    assert "TW" not in rows and "XK" not in rows  # not in the UN M49 table
    assert all(len(row["m49"]) == 3 and row["m49"].isdigit() for row in rows.values())
    kenya = geo.country("KE")
    assert (kenya.m49, kenya.iso3, kenya.intermediate_code, kenya.subregion_code) == (
        "404",
        "KEN",
        "014",
        "202",
    )
    assert geo.country("SD").ldc and not kenya.ldc
    assert geo.country("ET").lldc and not geo.country("KE").lldc
    assert geo.country("FJ").sids and not geo.country("ET").sids
    assert sum(c.ldc for c in map(geo.country, geo.countries())) == 44


def test_import_does_no_work() -> None:
    code = "import hubdata.geo as g; assert g._geo.cache_info().currsize == 0"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PROJECT_ROOT)
