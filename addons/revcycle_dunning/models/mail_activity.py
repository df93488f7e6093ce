from odoo import models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _action_done(self, feedback=False, attachment_ids=None):
        # a dunning call is made when its activity is marked done: the phone notice is then sent and its fee earned
        call_type = self.env.ref("mail.mail_activity_data_call", raise_if_not_found=False)
        notice_ids = [activity.res_id for activity in self
                      if activity.res_model == "revcycle.dunning.notice" and activity.activity_type_id == call_type]
        result = super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
        if notice_ids:
            # sudo: the notice's sending is the system's record; the user just completed its call activity
            notices = self.env["revcycle.dunning.notice"].sudo()  # sudo: the system's record, see above
            notices.browse(notice_ids).exists()._revcycle_call_done()
        return result
