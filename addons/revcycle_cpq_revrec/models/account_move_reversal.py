from odoo import models


class AccountMoveReversal(models.TransientModel):
    _inherit = "account.move.reversal"

    def reverse_moves(self, is_modify=False):
        """"Reverse and Create Invoice" copies the reversed invoice's lines into a new draft: the copy keeps their
        contract line and usage flag, as the credit note does (account_move.py ``_reverse_moves``): it bills the
        same obligation and usage periods again, corrected. The lines copied are the reversed invoice's, never the
        caller's."""
        billing = self.env["account.move.line"]._revcycle_with_billing_token(self)
        return super(AccountMoveReversal, billing).reverse_moves(is_modify)
