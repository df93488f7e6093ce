"""The income items of a recognition entry, summarised (docs/domain.md "The month-end entry"): the contracts' income
amounts merged into one item per key (income account, currency, analytic distribution, product), credits and debits
apart. Plain values in and out, amounts in integer units of each currency, so a sum is exact."""
from dataclasses import dataclass

from .allocation import _to_units as _units


@dataclass(frozen=True)
class IncomeAmount:
    """A contract's income amount on one key: ``balance`` in company currency, ``amount_currency`` in the
    contract's; both rounded to their currency (``company_digits``, ``currency_digits``)."""

    key: tuple
    balance: float
    amount_currency: float
    currency_digits: int = 2


@dataclass(frozen=True)
class IncomeItem:
    """One item of the entry: the indexes (in the input) of the amounts it sums, and their exact totals."""

    key: tuple
    credit: bool
    indexes: tuple
    balance: float
    amount_currency: float


def _direction(amount, company_digits):
    """-1 a credit, 1 a debit, 0 nothing: by the balance, else (a balance rounding to 0) by the amount in currency."""
    balance = _units(amount.balance, company_digits)
    if balance:
        return -1 if balance < 0 else 1
    in_currency = _units(amount.amount_currency, amount.currency_digits)
    return (in_currency > 0) - (in_currency < 0)


def summarise_income(amounts, company_digits=2):
    """[IncomeItem] for ``amounts`` ([IncomeAmount]), in the order each key is first met: one item per key and
    direction (a credit and a debit booked at different rates could leave a sum whose balance and amount in
    currency have opposite signs, which an accounting entry refuses). Amounts of 0 in both currencies are left
    out."""
    groups = {}
    for index, amount in enumerate(amounts):
        direction = _direction(amount, company_digits)
        if not direction:
            continue
        groups.setdefault((amount.key, direction < 0), []).append(index)
    items = []
    for (key, credit), indexes in groups.items():
        digits = amounts[indexes[0]].currency_digits
        balance = sum(_units(amounts[i].balance, company_digits) for i in indexes)
        in_currency = sum(_units(amounts[i].amount_currency, digits) for i in indexes)
        items.append(IncomeItem(key, credit, tuple(indexes), balance / 10**company_digits, in_currency / 10**digits))
    return items
