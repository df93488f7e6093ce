"""Currency rates as Odoo reads them (``res.currency._get_rates``), on plain values: so that KPIs summing thousands
of (company, day) groups convert each at the rate of its own date without one query per group.

A rate is the number of units of a currency for one unit of the reference currency of the rate table, as
``res.currency.rate.rate`` stores it. A currency's rate on a day is its latest rate dated on or before that day, else
its earliest rate (a day before the first rate), else 1.0 (a currency without rates is the reference). Rates entered
for the company come before the shared ones (company_id empty), as Odoo orders them.
"""

import bisect


class RateTable:
    """The rates of some currencies: ``rates`` maps a currency id to [(date, rate, company_specific)], any order."""

    def __init__(self, rates):
        self._days, self._rates = {}, {}
        for currency, entries in rates.items():
            for specific in (True, False):
                chosen = sorted((day, rate) for day, rate, is_specific in entries if bool(is_specific) == specific)
                self._days[currency, specific] = [day for day, _rate in chosen]
                self._rates[currency, specific] = [rate for _day, rate in chosen]

    def rate(self, currency, day):
        """The rate of ``currency`` on ``day`` by Odoo's rule (see the module docstring)."""
        for specific in (True, False):
            days = self._days.get((currency, specific)) or []
            index = bisect.bisect_right(days, day)
            if index:
                return self._rates[currency, specific][index - 1]
        for specific in (True, False):
            if self._rates.get((currency, specific)):
                return self._rates[currency, specific][0]
        return 1.0

    def factor(self, from_currency, to_currency, day):
        """What one unit of ``from_currency`` is worth in ``to_currency`` on ``day`` (1.0 for one currency)."""
        if from_currency == to_currency:
            return 1.0
        return self.rate(to_currency, day) / self.rate(from_currency, day)


class KpiConverter:
    """Converts amounts to the main company's currency at the rate of their own date: ``company(amount, company_id,
    day)`` for a company-currency amount (the ledger's balance, amount_residual), ``currency(amount, currency_id,
    day)`` for a document-currency amount. ``foreign_companies``: the company ids whose currency is not the main one
    (their rows must be read per day; the others need no conversion)."""

    def __init__(self, rate_table, main_currency_id, company_currency):
        self.rate_table, self.main_currency_id, self.company_currency = rate_table, main_currency_id, company_currency
        self.foreign_companies = tuple(
            company_id for company_id, currency_id in company_currency.items() if currency_id != main_currency_id
        )

    def currency(self, amount, currency_id, day):
        if not amount or currency_id == self.main_currency_id:
            return amount or 0.0
        return amount * self.rate_table.factor(currency_id, self.main_currency_id, day)

    def company(self, amount, company_id, day):
        return self.currency(amount, self.company_currency[company_id], day)
