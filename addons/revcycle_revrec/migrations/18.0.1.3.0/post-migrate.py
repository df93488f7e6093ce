"""Databases from before 18.0.1.3.0 posted one income item per contract and income account, and their revenue lines
did not record the item they were posted to.

- A company that has posted recognition entries keeps that layout ("One per contract"): its ledger's income items
  go on naming their contract, as the year's earlier entries do, until someone chooses otherwise in Settings. New
  companies, and companies that never recognised anything, take the new default (summarised per account).
- Each posted revenue line is linked to the recognition item of its entry, contract and income account, where
  exactly one such item exists (an entry that held two for the same contract and account is left unlinked rather
  than guessed); a line whose obligation names no income account, to its contract's only recognition item in the
  entry.
"""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE res_company company
           SET revcycle_income_line_mode = 'per_contract'
         WHERE EXISTS (SELECT 1 FROM account_move_line item
                        WHERE item.company_id = company.id AND item.revcycle_kind = 'recognition'
                          AND item.parent_state = 'posted')
        """
    )
    cr.execute(
        """
        WITH single AS (
            SELECT item.move_id, item.revcycle_contract_id, item.account_id, MIN(item.id) AS item
              FROM account_move_line item
             WHERE item.revcycle_kind = 'recognition' AND item.revcycle_contract_id IS NOT NULL
             GROUP BY item.move_id, item.revcycle_contract_id, item.account_id
            HAVING COUNT(*) = 1
        )
        UPDATE revcycle_revenue_line line
           SET move_line_id = single.item
          FROM single, revcycle_performance_obligation obligation
         WHERE line.move_line_id IS NULL AND line.move_id = single.move_id
           AND obligation.id = line.obligation_id
           AND single.revcycle_contract_id = line.contract_id
           AND single.account_id = obligation.income_account_id
        """
    )
    cr.execute(
        """
        WITH single AS (
            SELECT item.move_id, item.revcycle_contract_id, MIN(item.id) AS item
              FROM account_move_line item
             WHERE item.revcycle_kind = 'recognition' AND item.revcycle_contract_id IS NOT NULL
             GROUP BY item.move_id, item.revcycle_contract_id
            HAVING COUNT(*) = 1
        )
        UPDATE revcycle_revenue_line line
           SET move_line_id = single.item
          FROM single, revcycle_performance_obligation obligation
         WHERE line.move_line_id IS NULL AND line.move_id = single.move_id
           AND obligation.id = line.obligation_id AND obligation.income_account_id IS NULL
           AND single.revcycle_contract_id = line.contract_id
        """
    )
