"""The declaration of one KPI: what the KPI dict, the dashboard card, the rounding, the XLSX export and the drill-down
all derive from. Plain values only; the model ``revcycle.kpi`` gathers the declarations of the installed addons."""

import re
from dataclasses import dataclass

from .kpis import KpiError

UNITS = ("money", "days", "percent")
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class KpiDeclaration:
    """One KPI of ``revcycle.kpi.get_kpis``.

    - ``key``: its key in the dict (lowercase, underscores), stable for XML-RPC users;
    - ``label``: the card's title, already translated;
    - ``unit``: 'money' (company currency), 'days' or 'percent';
    - ``higher_is_better``: whether a rise is good news (the card's trend colour);
    - ``source``: the data it reads ('receivables', 'sales', 'contracts', ...): the dict's ``sources`` list;
    - ``compute``: name of a ``revcycle.kpi`` method ``(periods, companies, run)`` returning
      ``{"value": {key: figure}, "previous": {key: figure}}``; KPIs read by one query share one method, called once;
    - ``digits``: decimal places of the figure; by default the currency's for money, one for days and percentages;
    - ``drilldown``: name of a ``revcycle.kpi`` method ``(declaration, period, companies)`` returning the window action
      of the records behind the figure, ``period`` being the (date_from, date_to) the figure was computed for and
      ``date_to`` its as-of date; None: the card opens nothing;
    - ``card``: shown as a dashboard card (False for the structured KPIs: aging buckets, MRR movements);
    - ``sequence``: the card's place on the dashboard and in the export;
    - ``requires``: further sources the computation needs (CLTV needs the ledger's gross margin);
    - ``breakdown``: name of a ``revcycle.kpi`` method ``(declaration, kpi)`` returning the export's rows
      ``[(label, value, previous)]`` of a structured KPI.
    """

    key: str
    label: str
    unit: str
    higher_is_better: bool
    source: str
    compute: str
    digits: int | None = None
    drilldown: str | None = None
    card: bool = True
    sequence: int = 100
    requires: tuple = ()
    breakdown: str | None = None

    def rounding_digits(self, currency_digits):
        """Decimal places the dict gives this KPI's figures."""
        if self.digits is not None:
            return self.digits
        return currency_digits if self.unit == "money" else 1

    def available(self, sources):
        """Whether the given data sources are enough to compute it."""
        return self.source in sources and set(self.requires) <= set(sources)


def check_declarations(declarations):
    """The declarations in card order, refused when two share a key or one is malformed."""
    seen = set()
    for declaration in declarations:
        if not _KEY_RE.match(declaration.key or ""):
            raise KpiError(f"KPI key {declaration.key!r} is not a lowercase identifier such as 'dso_simple'.")
        if declaration.key in seen:
            raise KpiError(f"KPI {declaration.key!r} is declared twice: each key is declared once, by one addon.")
        if declaration.unit not in UNITS:
            raise KpiError(f"KPI {declaration.key!r} has unit {declaration.unit!r}: choose one of {', '.join(UNITS)}.")
        if not declaration.compute or not declaration.source:
            raise KpiError(f"KPI {declaration.key!r} needs a source and a compute method.")
        seen.add(declaration.key)
    return sorted(declarations, key=lambda declaration: (declaration.sequence, declaration.key))
