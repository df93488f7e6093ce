"""Notice lines of databases from before 18.0.1.4.0 were per invoice: give each its invoice's first receivable item
(earliest maturity), the item later levels escalate from. Late-fee invoices of such databases keep their taxes."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE revcycle_dunning_notice_line line
           SET move_line_id = (
                SELECT item.id FROM account_move_line item
                  JOIN account_account account ON account.id = item.account_id
                 WHERE item.move_id = line.invoice_id AND account.account_type = 'asset_receivable'
                 ORDER BY item.date_maturity, item.id LIMIT 1)
         WHERE line.move_line_id IS NULL
        """
    )
