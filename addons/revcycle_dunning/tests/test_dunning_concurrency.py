from datetime import timedelta

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL, mute_logger


@tagged("post_install", "-at_install", "revcycle")
class TestDunningConcurrency(TransactionCase):
    """Two workers on real, separate database connections: committed data, so the test cleans up after itself."""

    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {})

    def _setup_committed(self):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            company = env.ref("base.main_company")
            policy = env["revcycle.dunning.policy"].create({
                "name": "Concurrency ladder", "company_id": company.id, "level_ids": [
                    Command.create({"sequence": 10, "name": "Call", "days": 5, "channel": "phone"})]})
            partner = env["res.partner"].create({
                "name": "Concurrent Customer", "is_company": True, "revcycle_dunning_policy_id": policy.id,
                "property_payment_term_id": env.ref("account.account_payment_term_immediate").id})
            today = fields.Date.context_today(partner)
            invoice = env["account.move"].with_company(company).create({
                "move_type": "out_invoice", "partner_id": partner.id, "invoice_date": today - timedelta(days=10),
                "invoice_line_ids": [Command.create({"name": "Service", "quantity": 1, "price_unit": 300.0,
                                                     "tax_ids": [Command.clear()]})]})
            invoice.action_post()
            return company.id, policy.id, partner.id, invoice.id, today

    def _cleanup(self, policy_id, partner_id, invoice_id):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            notices = env["revcycle.dunning.notice"].search([("partner_id", "=", partner_id)])
            env["mail.activity"].search([("res_model", "=", "revcycle.dunning.notice"),
                                         ("res_id", "in", notices.ids)]).unlink()
            env["mail.message"].search([
                ("model", "=", "revcycle.dunning.notice"), ("res_id", "in", notices.ids)]).unlink()
            runs = notices.run_id | env["revcycle.dunning.run"].search([("partner_ids", "in", partner_id)])
            # sent notices are kept by the application on purpose; the test removes its own fixture directly
            env.cr.execute(SQL("DELETE FROM revcycle_dunning_notice WHERE id = ANY(%s)", notices.ids))
            runs.unlink()
            invoice = env["account.move"].browse(invoice_id)
            invoice.button_draft()
            invoice.unlink()
            # the credit refresh the invoice's removal queued must run while the customer still exists
            env.cr.precommit.run()
            env["res.partner"].browse(partner_id).unlink()
            env["revcycle.dunning.policy"].browse(policy_id).unlink()

    def _run(self, env, company_id, partner_id, date):
        run = env["revcycle.dunning.run"].create({"date": date, "company_id": company_id,
                                                  "partner_ids": [Command.set([partner_id])]})
        run.action_run()
        return run

    def test_parallel_workers_send_once(self):
        company_id, policy_id, partner_id, invoice_id, today = self._setup_committed()
        try:
            cr_a = self.registry.cursor()
            cr_b = self.registry.cursor()
            try:
                run_a = self._run(self._env(cr_a), company_id, partner_id, today)
                # worker A holds the invoice rows (not committed yet): worker B skips them rather than wait
                run_b = self._run(self._env(cr_b), company_id, partner_id, today)
                self.assertEqual(run_a.notice_count, 1)
                self.assertEqual(run_b.notice_count, 0)
                cr_b.commit()
                cr_a.commit()
                # A committed: B's next transaction sees A's record and finds nothing to send
                again = self._run(self._env(cr_b), company_id, partner_id, today)
                self.assertEqual(again.notice_count, 0)
                cr_b.commit()
                # two sending jobs at once: A holds the queued notice, B skips it; after A commits, B finds nothing
                notice_a = self._env(cr_a)["revcycle.dunning.notice"]
                notice_b = self._env(cr_b)["revcycle.dunning.notice"]
                self.assertEqual(notice_a._cron_send_notices(), 1)
                self.assertEqual(notice_b._cron_send_notices(), 0)
                cr_b.commit()
                cr_a.commit()
                self.assertEqual(notice_b._cron_send_notices(), 0)
                cr_b.commit()
            finally:
                cr_a.close()
                cr_b.close()
            with self.registry.cursor() as cr:
                lines = self._env(cr)["revcycle.dunning.notice.line"].search([("invoice_id", "=", invoice_id)])
                self.assertEqual(len(lines), 1)
                self.assertEqual(lines.notice_id.state, "to_call")  # sent once the call is made
                self.assertEqual(len(lines.notice_id.activity_ids), 1)
        finally:
            self._cleanup(policy_id, partner_id, invoice_id)

    def test_send_now_racing_the_sending_job(self):
        # Reproduction (issue 15): action_send_now while the sending cron held the notice ended in
        # InFailedSqlTransaction. Now the one that comes second is refused cleanly and the notice goes out once.
        company_id, policy_id, partner_id, invoice_id, today = self._setup_committed()
        try:
            with self.registry.cursor() as cr:
                run = self._run(self._env(cr), company_id, partner_id, today)
                notice_id = run.notice_ids.id
                self.assertTrue(notice_id)
            cr_a = self.registry.cursor()
            cr_b = self.registry.cursor()
            try:
                # the job holds the notice: sending it now is refused at once, and B's transaction stays usable
                self.assertEqual(self._env(cr_a)["revcycle.dunning.notice"]._cron_send_notices(), 1)
                notice_b = self._env(cr_b)["revcycle.dunning.notice"].browse(notice_id)
                with self.assertRaisesRegex(UserError, "being sent by the sending job"):
                    notice_b.action_send_now()
                cr_b.execute("SELECT 1")
                self.assertEqual(cr_b.fetchone(), (1,))
                cr_b.rollback()
                cr_a.commit()
                # once the job committed, the notice is out (its call to make): sending it again is refused
                with self.assertRaisesRegex(UserError, "were sent or cancelled already"):
                    self._env(cr_b)["revcycle.dunning.notice"].browse(notice_id).action_send_now()
                cr_b.rollback()
            finally:
                cr_a.close()
                cr_b.close()
            with self.registry.cursor() as cr:
                notice = self._env(cr)["revcycle.dunning.notice"].browse(notice_id)
                self.assertEqual(notice.state, "to_call")  # sent once the call is made
                self.assertEqual(len(notice.activity_ids), 1)
        finally:
            self._cleanup(policy_id, partner_id, invoice_id)

    def test_sending_job_skips_what_send_now_holds(self):
        company_id, policy_id, partner_id, invoice_id, today = self._setup_committed()
        try:
            with self.registry.cursor() as cr:
                notice_id = self._run(self._env(cr), company_id, partner_id, today).notice_ids.id
            cr_a = self.registry.cursor()
            cr_b = self.registry.cursor()
            try:
                self._env(cr_a)["revcycle.dunning.notice"].browse(notice_id).action_send_now()
                self.assertEqual(self._env(cr_b)["revcycle.dunning.notice"]._cron_send_notices(), 0)
                cr_b.commit()
                cr_a.commit()
            finally:
                cr_a.close()
                cr_b.close()
            with self.registry.cursor() as cr:
                notice = self._env(cr)["revcycle.dunning.notice"].browse(notice_id)
                self.assertEqual(notice.state, "to_call")  # sent once the call is made
                self.assertEqual(len(notice.activity_ids), 1)
        finally:
            self._cleanup(policy_id, partner_id, invoice_id)


    def test_two_cron_workers_make_one_run_per_day(self):
        # issue 18: two scheduler workers starting together both found no run of the day and both made one.
        # Worker B's snapshot starts before A commits its run: B does not see it, and the database's unique index
        # refuses B's second run of the day; B leaves the day to A.
        with self.registry.cursor() as cr:
            company_id = self._env(cr).ref("base.main_company").id
            day = fields.Date.context_today(self._env(cr)["res.partner"]) - timedelta(days=3650)
        run_ids = []
        try:
            cr_a = self.registry.cursor()
            cr_b = self.registry.cursor()
            try:
                env_a, env_b = self._env(cr_a), self._env(cr_b)
                cr_b.execute("SELECT 1")  # B's repeatable-read snapshot starts now
                company_a = env_a["res.company"].browse(company_id)
                run_a = env_a["revcycle.dunning.run"]._revcycle_cron_run(company_a, day)
                run_ids.append(run_a.id)
                cr_a.commit()
                with mute_logger("odoo.addons.revcycle_dunning.models.revcycle_dunning_run"):
                    run_b = env_b["revcycle.dunning.run"]._revcycle_cron_run(
                        env_b["res.company"].browse(company_id), day)
                self.assertIsNone(run_b)
                cr_b.commit()
            finally:
                cr_a.close()
                cr_b.close()
            with self.registry.cursor() as cr:
                runs = self._env(cr)["revcycle.dunning.run"].search(
                    [("company_id", "=", company_id), ("date", "=", day), ("is_cron", "=", True)])
                self.assertEqual(runs.ids, run_ids)
                # and a later call of the day finds that run rather than make another
                self.assertEqual(self._env(cr)["revcycle.dunning.run"]._revcycle_cron_run(
                    self._env(cr)["res.company"].browse(company_id), day), runs)
        finally:
            with self.registry.cursor() as cr:
                self._env(cr)["revcycle.dunning.run"].browse(run_ids).unlink()


@tagged("post_install", "-at_install", "revcycle")
class TestCreditProfileConcurrency(TransactionCase):
    """Two transactions measuring the same new customer: the second commits all the same (its bookkeeping measured
    again after its commit), found by the scale-out benchmark where it failed whole invoicing batches."""

    def test_concurrent_measurement_does_not_fail_the_transaction(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            partner_id = env["res.partner"].create({"name": "Measured Twice Ltd", "is_company": True}).id
            company_id = env.ref("base.main_company").id
        pair = {(partner_id, company_id)}
        try:
            cr_a = self.registry.cursor()
            cr_b = self.registry.cursor()
            try:
                env_b = api.Environment(cr_b, SUPERUSER_ID, {})
                cr_b.execute("SELECT 1")  # B's repeatable-read snapshot starts before A commits
                api.Environment(cr_a, SUPERUSER_ID, {})["revcycle.credit.profile"]._revcycle_mark_dirty(pair)
                cr_a.commit()  # A creates and measures the profile
                env_b["revcycle.credit.profile"]._revcycle_mark_dirty(pair)
                with mute_logger("odoo.addons.revcycle_dunning.models.revcycle_credit_profile"):
                    cr_b.commit()  # B's INSERT meets A's row: a serialization failure, caught; measured after commit
            finally:
                cr_a.close()
                cr_b.close()
            with self.registry.cursor() as cr:
                profiles = api.Environment(cr, SUPERUSER_ID, {})["revcycle.credit.profile"].search(
                    [("partner_id", "=", partner_id)])
                self.assertEqual(len(profiles), 1)
                self.assertTrue(profiles.refresh_date)
        finally:
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["revcycle.credit.profile"].search([("partner_id", "=", partner_id)]).unlink()
                env["res.partner"].browse(partner_id).unlink()


@tagged("post_install", "-at_install", "revcycle")
class TestPaymentPlanCheckConcurrency(TransactionCase):
    """Committed data on separate connections, with the dunning fixture's helpers (not its tests)."""

    _env = TestDunningConcurrency._env
    _setup_committed = TestDunningConcurrency._setup_committed
    _cleanup = TestDunningConcurrency._cleanup

    def test_parallel_plan_checks_break_once(self):
        """Issue 18: two runs checking the same accepted plan at once: one breaks it and notes it, the other skips
        it; a third check later changes nothing."""
        company_id, policy_id, partner_id, invoice_id, today = self._setup_committed()
        plan_id = None
        try:
            with self.registry.cursor() as cr:
                env = self._env(cr)
                plan = env["revcycle.payment.plan"].create({
                    "partner_id": partner_id, "company_id": company_id,
                    "invoice_ids": [Command.set([invoice_id])],
                    "line_ids": [Command.create({"date": today - timedelta(days=2), "amount": 300.0})]})
                plan.action_propose()
                plan.action_accept()
                plan_id = plan.id
            with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
                env_a, env_b = self._env(cr_a), self._env(cr_b)
                company_a = env_a["res.company"].browse(company_id)
                env_a["revcycle.payment.plan"]._revcycle_check_plans(today, company_a)
                # A holds the plan's row: B skips it rather than wait or break it a second time
                env_b["revcycle.payment.plan"]._revcycle_check_plans(today, env_b["res.company"].browse(company_id))
                self.assertEqual(env_b["revcycle.payment.plan"].browse(plan_id).state, "accepted")
                cr_b.rollback()
                cr_a.commit()
            with self.registry.cursor() as cr:
                env = self._env(cr)
                env["revcycle.payment.plan"]._revcycle_check_plans(today, env["res.company"].browse(company_id))
                plan = env["revcycle.payment.plan"].browse(plan_id)
                self.assertEqual(plan.state, "broken")
                notes = plan.message_ids.filtered(lambda message: "broken" in (message.body or ""))
                self.assertEqual(len(notes), 1, "broken once, noted once")
                self.assertEqual(len(plan.activity_ids), 1)
        finally:
            with self.registry.cursor() as cr:
                env = self._env(cr)
                plan = env["revcycle.payment.plan"].browse(plan_id).exists() if plan_id else None
                if plan:
                    plan.activity_ids.unlink()
                    env["mail.message"].search([("model", "=", plan._name), ("res_id", "=", plan.id)]).unlink()
                    env["mail.message"].search([("model", "=", "res.partner"), ("res_id", "=", partner_id),
                                                ("body", "ilike", "broken")]).unlink()
                    env["mail.mail"].search([("model", "=", plan._name), ("res_id", "=", plan.id)]).unlink()
                    env.cr.execute(SQL("DELETE FROM revcycle_payment_plan WHERE id = %s", plan.id))
            self._cleanup(policy_id, partner_id, invoice_id)
