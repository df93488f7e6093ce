"""A contract's net position (ASC 606 / IFRS 15 §105): billed beyond what is earned is a contract liability, earned
beyond what is billed is a contract asset, never both at once.

Invoices credit the contract liability (deferred revenue) account; every recognition entry then debits the
liability as far as it goes and the contract asset for the rest, and when an invoice lands on a contract that
carries an asset, a netting entry moves the difference. ``contract_position_moves`` gives the two amounts that
bring the accounts from their balances to the single net position after ``revenue`` is recognised.
"""
from decimal import Decimal


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
