from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install", "revcycle")
class TestRevenueCycleUi(HttpCase):
    def test_menus_and_settings_in_the_browser(self):
        """Headless Chromium: the shared app menu, the settings blocks of the four addons, a list via the menus."""
        self.start_tour("/odoo", "revcycle_menus_settings_tour", login="admin")
