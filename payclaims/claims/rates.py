"""HMRC approved mileage rates as dated data, and the mileage amount they give.

Why a table in code and not a database table: the benefits issue will own these figures as dated
``BenefitRule`` rows (keys ``hmrc.mileage.*``) that finance admins can confirm or correct. Until
then the rows live here, each with the dates it applies, so that a claim for a date uses the rate
in force on that date, and moving them to ``BenefitRule`` later changes one function
(``rate_on``), not the callers.

Source: ../shared/benefits/RULES.md (HMRC EIM71155 and "Proposed benefit and pension rates 2026
to 2027"): car 45p a mile for the first 10,000 miles in a tax year until 5 April 2026, 55p from
6 April 2026 (S2, backdated); 25p a mile for a car above 10,000; motorcycle 24p; bicycle 20p;
5p a mile for each passenger. The 45p and the others have applied since 6 April 2011.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from payclaims.errors import DomainError

TENTHS = 10
# Car miles in one tax year paid at the higher rate; the rest are paid at CAR_OVER_10000.
CAR_BAND_TENTHS = 10_000 * TENTHS


class RateKey(enum.StrEnum):
    """Which mileage rate: named as the benefits rules name them (``hmrc.mileage.<key>``)."""

    CAR = "car"
    CAR_OVER_10000 = "car_over_10000"
    MOTORCYCLE = "motorcycle"
    BICYCLE = "bicycle"
    PASSENGER = "passenger"


class Vehicle(enum.StrEnum):
    """What the person travelled in."""

    CAR = "car"
    MOTORCYCLE = "motorcycle"
    BICYCLE = "bicycle"

    @property
    def label(self) -> str:
        """The vehicle in plain words."""
        return {"car": "Car or van", "motorcycle": "Motorcycle", "bicycle": "Bicycle"}[self.value]

    @property
    def rate_key(self) -> RateKey:
        """The rate it is paid at."""
        return RateKey(self.value)


@dataclass(frozen=True)
class MileageRate:
    """One rate, in pence a mile, from one date to another (inclusive; None: still in force)."""

    key: RateKey
    pence_per_mile: int
    effective_from: date
    effective_to: date | None

    def applies_on(self, on: date) -> bool:
        """Whether the rate is in force on ``on``."""
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


SINCE_2011 = date(2011, 4, 6)
MILEAGE_RATES: tuple[MileageRate, ...] = (
    MileageRate(RateKey.CAR, 45, SINCE_2011, date(2026, 4, 5)),
    MileageRate(RateKey.CAR, 55, date(2026, 4, 6), None),
    MileageRate(RateKey.CAR_OVER_10000, 25, SINCE_2011, None),
    MileageRate(RateKey.MOTORCYCLE, 24, SINCE_2011, None),
    MileageRate(RateKey.BICYCLE, 20, SINCE_2011, None),
    MileageRate(RateKey.PASSENGER, 5, SINCE_2011, None),
)


def rate_on(key: RateKey, on: date) -> int:
    """The rate for ``key`` in force on ``on``, in pence a mile."""
    for rate in MILEAGE_RATES:
        if rate.key is key and rate.applies_on(on):
            return rate.pence_per_mile
    raise DomainError("We have no mileage rate for that date", field="session_on")


def mileage_amount(
    vehicle: Vehicle,
    *,
    miles_tenths: int,
    passengers: int,
    on: date,
    earlier_car_tenths: int = 0,
) -> int:
    """Pence for a journey: miles at the vehicle's rate on ``on``, plus passengers.

    For a car, the miles that take the person's car mileage in the tax year past 10,000
    (``earlier_car_tenths`` already claimed) are paid at the lower rate.
    """
    miles = Decimal(miles_tenths) / TENTHS
    if vehicle is Vehicle.CAR:
        in_band = max(0, min(miles_tenths, CAR_BAND_TENTHS - earlier_car_tenths))
        over = miles_tenths - in_band
        pence = Decimal(in_band) / TENTHS * rate_on(RateKey.CAR, on) + Decimal(
            over
        ) / TENTHS * rate_on(RateKey.CAR_OVER_10000, on)
    else:
        pence = miles * rate_on(vehicle.rate_key, on)
    pence += miles * passengers * rate_on(RateKey.PASSENGER, on)
    return int(pence.quantize(Decimal(1), rounding=ROUND_HALF_UP))
