# Pure rules shared by the revcycle addons: no ORM, plain values in and out (odoo.tools helpers only).
from . import aging, periods
