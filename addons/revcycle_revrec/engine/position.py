"""A contract's net position (ASC 606 / IFRS 15 §105): billed beyond what is earned is a contract liability, earned
beyond what is billed is a contract asset, never both at once.

Invoices credit the contract liability (deferred revenue) account; every recognition entry then debits the
liability as far as it goes and the contract asset for the rest, and when an invoice lands on a contract that
carries an asset, a netting entry moves the difference. ``contract_position_moves`` gives the two amounts that
bring the accounts from their balances to the single net position after ``revenue`` is recognised.
"""
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction


def _units(amount, precision_digits):
    return int((Decimal(str(amount)) * (Decimal(10) ** precision_digits)).to_integral_value())


def contract_position_moves(liability, asset, revenue, precision_digits=2):
    """``liability``: credit balance of the contract on the deferred account; ``asset``: debit balance on the
    contract asset account; ``revenue``: amount recognised now (negative for a reversal).

    Returns ``(deferred_debit, asset_debit)``, signed (negative is a credit), with
    ``deferred_debit + asset_debit == revenue``.
    """
    liability_units = _units(liability, precision_digits)
    asset_units = _units(asset, precision_digits)
    net = liability_units - asset_units - _units(revenue, precision_digits)
    target_liability, target_asset = max(net, 0), max(-net, 0)
    scale = Decimal(10) ** precision_digits
    return (float(Decimal(liability_units - target_liability) / scale),
            float(Decimal(target_asset - asset_units) / scale))


@dataclass(frozen=True)
class MeasuredPosition:
    """The moves of one contract entry, each in the contract's currency (``*_doc``) and the company's (``*_co``).

    ``revenue_co``: the revenue these moves measure (their company amounts' sum) when revenue is recognised;
    ``exchange_co``: for a netting entry (no revenue), the exchange difference between the liability released at
    its billing rates and the asset released at its recognition rates (positive: a loss, debited)."""

    deferred_doc: float
    deferred_co: float
    asset_doc: float
    asset_co: float
    revenue_co: float
    exchange_co: float


def _share(part_units, whole_units, whole_co_units):
    """``whole_co x part / whole`` in company units, half-up, exactly ``whole_co`` for the whole."""
    if part_units == whole_units:
        return whole_co_units
    return int((Fraction(whole_co_units * part_units, whole_units) + Fraction(1, 2)).__floor__())


def measure_position_moves(liability, asset, revenue, rate, doc_digits=2, company_digits=2):
    """Position moves of a foreign-currency contract measured at the rates that were booked (IFRIC 22, ASC 830).

    ``liability``, ``asset``: (contract currency, company currency) balances of the contract on the deferred
    revenue and contract asset accounts; ``revenue``: recognised now, contract currency (0: netting after an
    invoice); ``rate``: company units per contract unit on the entry's date (the spot rate).

    - Revenue released from the liability (an advance billed) is measured at the liability's own rate: the share of
      its company balance, all of it once the liability is used up, so nothing is ever stranded on it.
    - Revenue beyond the liability becomes a contract asset at the spot rate; an asset released (a reversal, or
      netting against a new invoice) leaves at its own carrying rate, likewise.
    - Netting moves the same contract amount out of both balances; their company amounts differ when the rates
      moved, and that difference is an exchange gain or loss (like a receivable settled), never revenue.
    A contract in the company's currency has rate 1 and equal pairs: the company figures equal the contract's.
    """
    l_doc, l_co = _units(liability[0], doc_digits), _units(liability[1], company_digits)
    a_doc, a_co = _units(asset[0], doc_digits), _units(asset[1], company_digits)
    deferred_doc, asset_doc = contract_position_moves(liability[0], asset[0], revenue, doc_digits)
    d_units, m_units = _units(deferred_doc, doc_digits), _units(asset_doc, doc_digits)
    spot = Fraction(Decimal(str(rate))) * Fraction(10 ** company_digits, 10 ** doc_digits)

    def at_spot(units):
        value = spot * units
        return int((abs(value) + Fraction(1, 2)).__floor__()) * (1 if value >= 0 else -1)

    if d_units > 0:  # liability released: at its billing rates
        deferred_co = _share(d_units, l_doc, l_co)
    elif d_units < 0:  # liability grows back (a reversal): at its average rate while it has one, else spot
        deferred_co = _share(d_units, l_doc, l_co) if l_doc > 0 and l_co > 0 else at_spot(d_units)
    else:
        deferred_co = 0
    if m_units > 0:  # new contract asset: earned now, at today's rate
        asset_co = at_spot(m_units)
    elif m_units < 0:  # asset released: at its carrying rate, all of it once used up
        asset_co = -_share(-m_units, a_doc, a_co) if a_doc > 0 else at_spot(m_units)
    else:
        asset_co = 0
    scale = Decimal(10) ** company_digits
    total = float(Decimal(deferred_co + asset_co) / scale)
    return MeasuredPosition(
        deferred_doc=deferred_doc, deferred_co=float(Decimal(deferred_co) / scale),
        asset_doc=asset_doc, asset_co=float(Decimal(asset_co) / scale),
        revenue_co=total if _units(revenue, doc_digits) else 0.0,
        exchange_co=0.0 if _units(revenue, doc_digits) else -total)


def split_company(total_co, doc_amounts, rate, company_digits=2):
    """Company amounts of revenue lines whose contract amounts are ``doc_amounts`` and whose entry measured
    ``total_co``: each line at the entry's effective rate, rounded, the cents left on the largest line, so they
    sum exactly to ``total_co``. Lines that cancel out (sum 0) are converted at ``rate``."""
    if not doc_amounts:
        return []
    scale = Decimal(10) ** company_digits
    total_units = _units(total_co, company_digits)
    doc_units = [Decimal(str(amount)) * scale for amount in doc_amounts]
    if total_units and sum(doc_units) == total_units and all(units == int(units) for units in doc_units):
        # the entry's effective rate is exactly 1 (a contract in the company's currency, or a foreign one at par):
        # each line is its own amount, which the general case below also gives, without a fraction per line
        return [float(units / scale) for units in doc_units]
    doc_total = sum(Fraction(Decimal(str(amount))) for amount in doc_amounts)
    factor = Fraction(total_units) / doc_total if doc_total else Fraction(Decimal(str(rate))) * 10 ** company_digits
    parts = []
    for amount in doc_amounts:
        value = factor * Fraction(Decimal(str(amount)))
        parts.append(int((abs(value) + Fraction(1, 2)).__floor__()) * (1 if value >= 0 else -1))
    if doc_total:
        largest = max(range(len(parts)), key=lambda i: abs(doc_amounts[i]))
        parts[largest] += total_units - sum(parts)
    return [float(Decimal(part) / scale) for part in parts]
