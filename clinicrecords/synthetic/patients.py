"""Synthetic patient registries: realistic name frequencies plus deliberate look-alikes.

The search benchmark is only meaningful if the registry contains the charts a clerk
actually confuses: twins, two people with the same name, Jon/John and Smith/Smyth. Those
neighbours are made on purpose (``kind`` records how) and point at the chart they resemble
(``confusable_of``), so a benchmark can ask "did the right one of the pair come first?".

Everything is derived from one ``random.Random(seed)``, so a seed names a registry. The
reference date is fixed (not today) for the same reason.
"""

from __future__ import annotations

import csv
import random
from bisect import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

from clinicrecords.common.mrn import make_mrn
from clinicrecords.synthetic import names as N

_T = TypeVar("_T")
REFERENCE_DATE = date(2025, 6, 30)  # "today" in the synthetic world; keeps seeds stable
KINDS = (
    "normal",
    "twin",
    "same_name_other_dob",
    "similar_name",
    "swapped_dob",
    "household",
)

SYNTHEA_HEADER = [
    "Id",
    "BIRTHDATE",
    "DEATHDATE",
    "SSN",
    "DRIVERS",
    "PASSPORT",
    "PREFIX",
    "FIRST",
    "MIDDLE",
    "LAST",
    "SUFFIX",
    "MAIDEN",
    "MARITAL",
    "RACE",
    "ETHNICITY",
    "GENDER",
    "BIRTHPLACE",
    "ADDRESS",
    "CITY",
    "STATE",
    "COUNTY",
    "FIPS",
    "ZIP",
    "LAT",
    "LON",
    "HEALTHCARE_EXPENSES",
    "HEALTHCARE_COVERAGE",
    "INCOME",
]

# (city, state, county, zip prefix, lat, lon): real place names, fictional everything else.
_CITIES = (
    ("Springfield", "MA", "Hampden County", "011", 42.10, -72.59),
    ("Worcester", "MA", "Worcester County", "016", 42.26, -71.80),
    ("Lowell", "MA", "Middlesex County", "018", 42.63, -71.32),
    ("Cambridge", "MA", "Middlesex County", "021", 42.37, -71.11),
    ("Quincy", "MA", "Norfolk County", "021", 42.25, -71.00),
    ("Salem", "MA", "Essex County", "019", 42.52, -70.90),
    ("Brockton", "MA", "Plymouth County", "023", 42.08, -71.02),
    ("Pittsfield", "MA", "Berkshire County", "012", 42.45, -73.25),
    ("Nashua", "NH", "Hillsborough County", "030", 42.77, -71.47),
    ("Manchester", "NH", "Hillsborough County", "031", 42.99, -71.46),
    ("Providence", "RI", "Providence County", "029", 41.82, -71.41),
    ("Warwick", "RI", "Kent County", "028", 41.70, -71.42),
    ("Hartford", "CT", "Hartford County", "061", 41.76, -72.68),
    ("New Haven", "CT", "New Haven County", "065", 41.31, -72.92),
    ("Burlington", "VT", "Chittenden County", "054", 44.48, -73.21),
    ("Portland", "ME", "Cumberland County", "041", 43.66, -70.26),
    ("Albany", "NY", "Albany County", "122", 42.65, -73.75),
    ("Riverside", "CA", "Riverside County", "925", 33.95, -117.40),
    ("El Paso", "TX", "El Paso County", "799", 31.76, -106.49),
    ("Tucson", "AZ", "Pima County", "857", 32.22, -110.97),
)
_STREETS = [
    "Maple",
    "Oak",
    "Elm",
    "Pine",
    "Cedar",
    "Main",
    "Church",
    "Park",
    "Washington",
    "Lake",
    "Hill",
    "Walnut",
    "Spring",
    "North",
    "South",
    "Ridge",
    "Meadow",
    "River",
    "Forest",
    "Sunset",
    "Highland",
    "Mill",
    "Chestnut",
    "Willow",
    "Franklin",
    "Lincoln",
    "Jefferson",
    "Center",
    "Union",
    "School",
    "Prospect",
    "Pleasant",
    "Summit",
    "Valley",
    "Orchard",
    "Birch",
    "Harbor",
    "Bay",
    "Water",
    "Grove",
]
_SUFFIXES = ("St", "Ave", "Rd", "Ln", "Dr", "Ct", "Way", "Blvd", "Pl", "Terrace")
_UNITS = ("Apt 2", "Apt 3B", "Unit 5", "Apt 12", "#4", "Suite 1")


_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)
_TOP_F = N.FEMALE_GIVEN[:150]
_TOP_M = N.MALE_GIVEN[:150]
_F_TOTAL = N.FEMALE_CUM_WEIGHTS[-1]
_M_TOTAL = N.MALE_CUM_WEIGHTS[-1]


def _pick(r: Callable[[], float], seq: Sequence[_T]) -> _T:
    """``rng.choice`` without its overhead (called ~10 times per patient)."""
    return seq[int(r() * len(seq))]


@dataclass(frozen=True, slots=True)
class SyntheticPatient:
    """One synthetic chart with the ground truth of why it exists (``kind``)."""

    mrn: str
    family: str
    given: str
    middle: str
    dob: date
    sex: str
    phone: str
    address: str
    city: str
    state: str
    zip: str
    source_id: str
    twin_of: str | None = None
    confusable_of: str | None = None
    kind: str = "normal"

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.given, self.middle, self.family) if p)


def _uuid4(rng: random.Random) -> str:
    """Same string ``str(uuid.UUID(int=x, version=4))`` gives, without the object (3x faster)."""
    x = (rng.getrandbits(128) & _UUID_CLEAR) | _UUID_SET
    h = f"{x:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _phone(rng: random.Random) -> str:
    """(555) area code is reserved for fiction, so every number is clearly not real."""
    n = int(rng.random() * 10_000_000)
    return f"(555) {n // 10_000:03d}-{n % 10_000:04d}"


def _dob(rng: random.Random) -> date:
    """Ages 0-100: flat to ~65, then thinning out, like a family practice panel."""
    age_days = (
        int(rng.random() * 70 * 365.25)
        if rng.random() < 0.82
        else int((70 + rng.triangular(0, 30.9, 0)) * 365.25)
    )
    return REFERENCE_DATE - timedelta(days=age_days)


def _address(rng: random.Random) -> tuple[str, str, str, str]:
    r = rng.random
    city, state, _county, zp, _lat, _lon = _pick(r, _CITIES)
    street = f"{1 + int(r() * 9998)} {_pick(r, _STREETS)} {_pick(r, _SUFFIXES)}"
    if r() < 0.12:
        street += " " + _pick(r, _UNITS)
    return street, city, state, f"{zp}{int(r() * 100):02d}"


def _special_family(rng: random.Random, plain: str) -> str:
    """Mix in hyphens, apostrophes, particles and accents at small, realistic rates."""
    r = rng.random()
    if r < 0.015:
        a, b = rng.sample(N.HYPHEN_PARTS, 2)
        return f"{a}-{b}"
    if r < 0.022:
        return _pick(rng.random, N.APOSTROPHE_SURNAMES)
    if r < 0.030:
        return _pick(rng.random, N.PARTICLE_SURNAMES)
    if r < 0.10 and plain in N.ACCENTED_SURNAMES:
        return N.ACCENTED_SURNAMES[plain]
    return plain


def _middle(rng: random.Random, sex: str) -> str:
    r = rng.random()
    if r < 0.30:
        return ""
    pool = N.MIDDLE_NAMES_F if sex == "F" else N.MIDDLE_NAMES_M
    if r < 0.45:  # only the initial was recorded
        return _pick(rng.random, pool)[0]
    if r < 0.60:  # a second given name from the big table
        return _pick(rng.random, _TOP_F if sex == "F" else _TOP_M)
    return _pick(rng.random, pool)


def _variant(rng: random.Random, name: str, table: dict[str, tuple[str, ...]]) -> str | None:
    options = table.get(name)
    return rng.choice(options) if options else None


def _typo(rng: random.Random, name: str) -> str:
    """A one-letter slip (doubled or dropped letter) for names without a listed variant."""
    if len(name) < 4:
        return name + name[-1]
    i = rng.randrange(1, len(name) - 1)
    return name[:i] + name[i + 1 :] if rng.random() < 0.5 else name[:i] + name[i] + name[i:]


def _confusable(
    rng: random.Random, base: SyntheticPatient, mrn: str, source_id: str
) -> SyntheticPatient:
    """A neighbour of ``base`` of a randomly chosen confusable kind."""
    r = rng.random()
    common = dict(mrn=mrn, source_id=source_id, confusable_of=base.mrn, twin_of=None)
    if r < 0.25:  # twin: same family, DOB, household; different given name
        sex = base.sex if rng.random() < 0.5 else rng.choice("FM")
        given = base.given
        while given == base.given:
            given = _given(rng, sex)
        return replace(
            base,
            given=given,
            middle=_middle(rng, sex),
            sex=sex,
            kind="twin",
            **common | {"twin_of": base.mrn},
        )
    street, city, state, zp = _address(rng)
    if r < 0.50:  # same full name, another person
        dob = base.dob
        while dob == base.dob:
            dob = _dob(rng)
        return replace(
            base,
            dob=dob,
            middle=_middle(rng, base.sex),
            phone=_phone(rng),
            address=street,
            city=city,
            state=state,
            zip=zp,
            kind="same_name_other_dob",
            **common,
        )
    if r < 0.80:  # similar name, often the same DOB (what makes it dangerous)
        given, family = base.given, base.family
        if rng.random() < 0.6:
            given = _variant(rng, base.given, N.GIVEN_VARIANTS) or _typo(rng, base.given)
        else:
            family = _variant(rng, base.family, N.FAMILY_VARIANTS) or _typo(rng, base.family)
        dob = base.dob if rng.random() < 0.5 else _dob(rng)
        return replace(
            base,
            given=given,
            family=family,
            dob=dob,
            middle=_middle(rng, base.sex),
            phone=_phone(rng),
            address=street,
            city=city,
            state=state,
            zip=zp,
            kind="similar_name",
            **common,
        )
    if r < 0.90 and base.dob.day <= 12 and base.dob.day != base.dob.month:
        # Same name, day and month swapped: 3/4 vs 4/3, the classic DOB keying error.
        dob = date(base.dob.year, base.dob.day, base.dob.month)
        return replace(
            base,
            dob=dob,
            phone=_phone(rng),
            address=street,
            city=city,
            state=state,
            zip=zp,
            kind="swapped_dob",
            **common,
        )
    # Household member: same family name, address and phone; different person.
    sex = rng.choice("FM")
    return replace(
        base,
        given=_given(rng, sex),
        middle=_middle(rng, sex),
        sex=sex,
        dob=_dob(rng),
        kind="household",
        **common,
    )


def _given(rng: random.Random, sex: str) -> str:
    if sex == "X":
        sex = rng.choice("FM")
    if sex == "F":
        name = N.FEMALE_GIVEN[bisect(N.FEMALE_CUM_WEIGHTS, rng.random() * _F_TOTAL)]
    else:
        name = N.MALE_GIVEN[bisect(N.MALE_CUM_WEIGHTS, rng.random() * _M_TOTAL)]
    if name in N.ACCENTED_GIVEN and rng.random() < 0.25:
        return N.ACCENTED_GIVEN[name]
    return name


def generate_patients(
    n: int, seed: int = 0, confusable_rate: float = 0.08, start_mrn: int = 1
) -> list[SyntheticPatient]:
    """``n`` patients; about ``confusable_rate`` of them are look-alikes of earlier ones.

    Deterministic for a seed. MRNs are ``make_mrn(start_mrn + i)`` in list order.
    """
    rng = random.Random(seed)
    families = rng.choices(N.SURNAMES, cum_weights=N.SURNAME_CUM_WEIGHTS, k=n)
    sexes = rng.choices("FMX", weights=(0.508, 0.490, 0.002), k=n)
    out: list[SyntheticPatient] = []
    for i in range(n):
        mrn = make_mrn(start_mrn + i)
        source_id = _uuid4(rng)
        if out and rng.random() < confusable_rate:
            base = out[int(rng.random() * len(out))]
            out.append(_confusable(rng, base, mrn, source_id))
            continue
        sex = sexes[i]
        street, city, state, zp = _address(rng)
        out.append(
            SyntheticPatient(
                mrn=mrn,
                family=_special_family(rng, families[i]),
                given=_given(rng, sex),
                middle=_middle(rng, sex),
                dob=_dob(rng),
                sex=sex,
                phone=_phone(rng),
                address=street,
                city=city,
                state=state,
                zip=zp,
                source_id=source_id,
            )
        )
    return out


def _synthea_row(p: SyntheticPatient, rng: random.Random, digits: bool) -> list[str]:
    """One patients.csv row; Synthea appends 1-3 digits to generated names (e.g. 'Jon123')."""

    def tag(name: str) -> str:
        return f"{name}{rng.randrange(1, 1000)}" if digits and name else name

    age = (REFERENCE_DATE - p.dob).days // 365
    _c, _s, county, _z, lat, lon = next(
        (c for c in _CITIES if c[0] == p.city and c[1] == p.state), _CITIES[0]
    )
    prefix = (
        ""
        if age < 18
        else {"F": "Mrs." if rng.random() < 0.5 else "Ms.", "M": "Mr."}.get(p.sex, "Mx.")
    )
    marital = "" if age < 18 else rng.choice("MMSDW")
    return [
        p.source_id,
        p.dob.isoformat(),
        "",
        f"999-{rng.randrange(10, 100)}-{rng.randrange(1000, 10000)}",
        f"S999{rng.randrange(10000, 100000)}" if age >= 16 else "",
        f"X{rng.randrange(10000000, 100000000)}X" if rng.random() < 0.6 else "",
        prefix,
        tag(p.given),
        tag(p.middle) if len(p.middle) > 1 else p.middle,
        tag(p.family),
        "Jr." if p.sex == "M" and rng.random() < 0.01 else "",
        tag(rng.choice(N.SURNAMES[:300])) if prefix == "Mrs." else "",
        marital,
        rng.choice(("white", "white", "white", "black", "asian", "native", "other")),
        "hispanic" if rng.random() < 0.18 else "nonhispanic",
        p.sex,
        f"{rng.choice(_CITIES)[0]}  {p.state}  US",
        p.address,
        p.city,
        p.state,
        county,
        "",
        p.zip,
        f"{lat + rng.uniform(-0.05, 0.05):.6f}",
        f"{lon + rng.uniform(-0.05, 0.05):.6f}",
        f"{rng.uniform(0, 900000):.2f}",
        f"{rng.uniform(0, 50000):.2f}",
        str(rng.randrange(12000, 250000)),
    ]


def write_synthea_csv(
    patients: Iterable[SyntheticPatient],
    path: str | Path,
    digits_in_names: bool = True,
    seed: int = 0,
) -> Path:
    """Write Synthea's ``patients.csv`` (its exact header), for the importer and the demo.

    Synthea has no MRN or phone column: ``Id`` carries ``source_id``; our MRNs and phones
    live in ``patients.json`` written by the corpus tool.
    """
    rng = random.Random(seed)
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(SYNTHEA_HEADER)
        for p in patients:
            w.writerow(_synthea_row(p, rng, digits_in_names))
    return path


def patient_to_json(p: SyntheticPatient) -> dict[str, str | None]:
    """Plain-JSON form (dates as YYYY-MM-DD) for labels and fixtures."""
    return {
        "mrn": p.mrn,
        "family": p.family,
        "given": p.given,
        "middle": p.middle,
        "dob": p.dob.isoformat(),
        "sex": p.sex,
        "phone": p.phone,
        "address": p.address,
        "city": p.city,
        "state": p.state,
        "zip": p.zip,
        "source_id": p.source_id,
        "twin_of": p.twin_of,
        "confusable_of": p.confusable_of,
        "kind": p.kind,
    }


def count_kinds(patients: Sequence[SyntheticPatient]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for p in patients:
        counts[p.kind] = counts.get(p.kind, 0) + 1
    return counts
