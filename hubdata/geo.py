"""Countries and the areas that contain them: UN M49 regions and named groups (ITU regions).

Data: ``data/m49.csv`` (the UN M49 table, one row per country or area) and ``data/regions.yml``
(named groups outside M49). Both are read on first use, never at import time. Codes are ISO
3166-1 alpha-2 for countries, three-digit M49 codes for regions ("002", "014", "202", "419")
and upper-case names for named groups ("ITU-ARB").
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from hubdata.settings import DEFAULT_LANGUAGE, PROJECT_ROOT

DATA_DIR = PROJECT_ROOT / "data"
M49_CSV = DATA_DIR / "m49.csv"
REGIONS_YML = DATA_DIR / "regions.yml"
WORLD = "001"


@dataclass(frozen=True)
class Country:
    """One row of the M49 table."""

    iso2: str
    iso3: str
    m49: str
    name_en: str
    region_code: str
    region_name: str
    subregion_code: str
    subregion_name: str
    intermediate_code: str
    intermediate_name: str
    ldc: bool
    lldc: bool
    sids: bool

    @property
    def m49_parents(self) -> tuple[str, ...]:
        """The M49 areas containing this country, smallest first, ending with the world."""
        codes = (self.intermediate_code, self.subregion_code, self.region_code, WORLD)
        return tuple(code for code in codes if code)


@dataclass(frozen=True)
class NamedGroup:
    """A named group of countries that is not an M49 area, such as an ITU region."""

    code: str
    names: dict[str, str]
    members: frozenset[str]
    source: str


@dataclass(frozen=True)
class _Geo:
    countries: dict[str, Country]
    m49_names: dict[str, str]  # English names of M49 regions, from the table
    groups: dict[str, NamedGroup]
    areas: dict[str, frozenset[str]]  # country -> every area containing it
    members: dict[str, frozenset[str]]  # area -> its countries


def _read_countries(path: Path) -> dict[str, Country]:
    flags = {"true": True, "false": False}
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return {
        row["iso2"]: Country(
            **{k: v for k, v in row.items() if k not in ("ldc", "lldc", "sids")},
            ldc=flags[row["ldc"]],
            lldc=flags[row["lldc"]],
            sids=flags[row["sids"]],
        )
        for row in rows
    }


def _read_groups(path: Path) -> dict[str, NamedGroup]:
    with path.open(encoding="utf-8") as f:
        raw = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    return {
        code.upper(): NamedGroup(
            code=code.upper(),
            names=dict(spec.get("names") or {}),
            members=frozenset(str(m).upper() for m in spec["members"]),
            source=spec["source"],
        )
        for code, spec in raw.items()
    }


@cache
def _geo() -> _Geo:
    countries = _read_countries(M49_CSV)
    groups = _read_groups(REGIONS_YML)
    unknown = {m for g in groups.values() for m in g.members} - countries.keys()
    if unknown:
        raise ValueError(f"{REGIONS_YML.name} names countries missing from m49.csv: {unknown}")
    m49_names = {WORLD: "World"}
    for c in countries.values():
        for code, name in (
            (c.region_code, c.region_name),
            (c.subregion_code, c.subregion_name),
            (c.intermediate_code, c.intermediate_name),
        ):
            if code:
                m49_names[code] = name
    areas: dict[str, frozenset[str]] = {}
    members: dict[str, set[str]] = {}
    for iso2, c in countries.items():
        containing = {iso2, *c.m49_parents}
        containing |= {g.code for g in groups.values() if iso2 in g.members}
        areas[iso2] = frozenset(containing)
        for code in containing:
            members.setdefault(code, set()).add(iso2)
    return _Geo(
        countries=countries,
        m49_names=m49_names,
        groups=groups,
        areas=areas,
        members={code: frozenset(isos) for code, isos in members.items()},
    )


def canonical(code: str | int) -> str:
    """Canonical form of an area code: upper case, M49 codes zero-padded to three digits."""
    code = str(code).strip()
    return code.zfill(3) if code.isdigit() else code.upper()


def countries() -> list[str]:
    """Return the ISO 3166-1 alpha-2 codes of every country or area of the M49 table, sorted."""
    return sorted(_geo().countries)


def country(iso2: str) -> Country:
    """Return the M49 row of a country.

    Raises:
        KeyError: ``iso2`` is not a country of the table.
    """
    return _geo().countries[canonical(iso2)]


def is_country(code: str) -> bool:
    """Return whether ``code`` is the ISO alpha-2 code of a country or area of the M49 table."""
    return canonical(code) in _geo().countries


def is_area(code: str) -> bool:
    """Return whether ``code`` is a country, an M49 region code or a named group."""
    code = canonical(code)
    geo = _geo()
    return code in geo.countries or code in geo.m49_names or code in geo.groups


def areas_for_country(iso2: str) -> frozenset[str]:
    """Return every area containing a country, the country itself included.

    That is the ISO code, its M49 intermediate region, sub-region and region, "001" (world)
    and each named group that lists it. An unknown code yields just itself and the world, so
    a resource targeted at the world still matches.
    """
    code = canonical(iso2)
    return _geo().areas.get(code, frozenset({code, WORLD}))


def countries_in(code: str) -> frozenset[str]:
    """Return the countries inside an area (a country contains itself); empty if unknown."""
    return _geo().members.get(canonical(code), frozenset())


def area_name(code: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """Return the display name of an area in a language.

    Countries and M49 regions take CLDR's names (through Babel); named groups take the names
    in ``data/regions.yml``. Missing translations fall back to English.

    Raises:
        KeyError: ``code`` is not an area.
    """
    code = canonical(code)
    geo = _geo()
    if code in geo.groups:
        names = geo.groups[code].names
        return names.get(lang) or names.get(DEFAULT_LANGUAGE) or code
    if code not in geo.countries and code not in geo.m49_names:
        raise KeyError(code)
    name = _cldr_territories(lang).get(code) or _cldr_territories(DEFAULT_LANGUAGE).get(code)
    if name:
        return name
    return geo.countries[code].name_en if code in geo.countries else geo.m49_names[code]


@cache
def _cldr_territories(lang: str) -> dict[str, str]:
    from babel import Locale, UnknownLocaleError

    try:
        return dict(Locale.parse(lang.replace("-", "_")).territories)
    except (UnknownLocaleError, ValueError):
        return {}


def group(code: str) -> NamedGroup:
    """Return a named group (``ITU-ARB`` ...) with its members and source.

    Raises:
        KeyError: ``code`` is not a named group.
    """
    return _geo().groups[canonical(code)]
