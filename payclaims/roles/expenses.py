"""The kinds of expense people can claim. Roles say which they cover; claims use them."""

from __future__ import annotations

import enum


class ExpenseCategory(enum.StrEnum):
    """An expense category."""

    PUBLIC_TRANSPORT = "public_transport"
    TAXI = "taxi"
    MILEAGE = "mileage"
    PARKING = "parking"
    MEALS = "meals"
    CHILDCARE = "childcare"
    REPLACEMENT_CARER = "replacement_carer"
    SUPPORT_WORKER = "support_worker"
    INTERPRETER = "interpreter"
    ACCOMMODATION = "accommodation"
    PHONE_AND_STATIONERY = "phone_and_stationery"
    OTHER = "other"

    @property
    def label(self) -> str:
        """The category as people read it."""
        return EXPENSE_CATEGORY_LABELS[self]


EXPENSE_CATEGORY_LABELS = {
    ExpenseCategory.PUBLIC_TRANSPORT: "Public transport (bus, train, tram)",
    ExpenseCategory.TAXI: "Taxi (with a reason)",
    ExpenseCategory.MILEAGE: "Mileage in your own vehicle",
    ExpenseCategory.PARKING: "Parking",
    ExpenseCategory.MEALS: "Meals and subsistence",
    ExpenseCategory.CHILDCARE: "Childcare",
    ExpenseCategory.REPLACEMENT_CARER: "Replacement carer",
    ExpenseCategory.SUPPORT_WORKER: "Support worker or personal assistant",
    ExpenseCategory.INTERPRETER: "Interpreter",
    ExpenseCategory.ACCOMMODATION: "Accommodation",
    ExpenseCategory.PHONE_AND_STATIONERY: "Phone and stationery",
    ExpenseCategory.OTHER: "Other (with a description)",
}
