"""Input checks shared by every public method and route of the revcycle addons.

Bad input is refused before anything is read or written, with a ValidationError that names the parameter, what was
given and what to give instead: an XML-RPC caller gets that message, never a traceback or a database error.
"""

import math
from datetime import date as date_type
from datetime import datetime

from odoo import api, fields, models
from odoo.exceptions import ValidationError

# dates outside these years are typing mistakes (0001-01-01, 9999-12-31) that overflow period arithmetic
MIN_YEAR = 1900
MAX_YEAR = 2999
# largest magnitude of an amount or quantity: beyond it float arithmetic no longer keeps cents
MAX_AMOUNT = 1e15
MAX_INT = 2**31 - 1  # PostgreSQL integer


class RevcycleAccess(models.AbstractModel):
    _inherit = "revcycle.access"

    @api.model
    def _revcycle_number(self, value, label, minimum=None, maximum=None, required=True, text=False):
        """``value`` as a finite float within [minimum, maximum] (and within +-MAX_AMOUNT). Numbers written as text
        ('12.5') are accepted only with ``text=True`` (field values, which Odoo converts); a method's parameters
        must be numbers."""
        if value is None or value is False or value == "":
            if not required:
                return 0.0
            raise ValidationError(self.env._("Give %(field)s: it is required.", field=label))
        if isinstance(value, bool) or not isinstance(value, int | float | str) or (isinstance(value, str) and not text):
            number = None
        else:
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = None
        if number is None or not math.isfinite(number):
            raise ValidationError(
                self.env._("%(field)s must be a finite number, not %(value)r.", field=label, value=value)
            )
        low = -MAX_AMOUNT if minimum is None else minimum
        high = MAX_AMOUNT if maximum is None else maximum
        if number < low or number > high:
            raise ValidationError(
                self.env._(
                    "%(field)s must be between %(low)s and %(high)s, not %(value)s.",
                    field=label,
                    low=low,
                    high=high,
                    value=value,
                )
            )
        return number

    @api.model
    def _revcycle_integer(self, value, label, minimum=None, maximum=None, required=True, text=False):
        """``value`` as an int within [minimum, maximum] (and within PostgreSQL's integer)."""
        low = -MAX_INT if minimum is None else minimum
        high = MAX_INT if maximum is None else maximum
        number = self._revcycle_number(value, label, low, high, required=required, text=text)
        if number != int(number):
            raise ValidationError(
                self.env._("%(field)s must be a whole number, not %(value)r.", field=label, value=value)
            )
        return int(number)

    @api.model
    def _revcycle_record(self, model, value, label, required=True):
        """The record ``model`` of id ``value`` the caller may read, or an empty recordset when not required."""
        if value in (None, False, 0) and not required:
            return self.env[model]
        if isinstance(value, list | tuple) and len(value) == 1:
            value = value[0]
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0 or value > MAX_INT:
            raise ValidationError(
                self.env._("%(field)s must be the id of a record (a positive whole number), not %(value)r.",
                           field=label, value=value)
            )
        record = self.env[model].browse(value).exists()
        if not record:
            raise ValidationError(self.env._("%(field)s: there is no record with id %(id)s.", field=label, id=value))
        record.check_access("read")
        return record

    @api.model
    def _revcycle_id_list(self, value, label):
        """A list of record ids: an int or a list of ints (never a string, which would split into characters)."""
        if value in (None, False):
            return []
        values = [value] if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(values, list | tuple) or not all(
            isinstance(item, int) and not isinstance(item, bool) and 0 < item <= MAX_INT for item in values
        ):
            raise ValidationError(
                self.env._("%(field)s must be a list of record ids like [1, 2], not %(value)r.",
                           field=label, value=value)
            )
        return list(values)

    @api.model
    def _revcycle_date(self, value, label, required=True, upper=True):
        """``value`` (a date or YYYY-MM-DD text) as a date between MIN_YEAR and MAX_YEAR; None when not required.
        ``upper=False`` leaves the upper bound to the caller, which refuses dates after today with its own message."""
        if value in (None, False, ""):
            if not required:
                return None
            raise ValidationError(self.env._("Give %(field)s as a date like 2025-01-31: it is required.", field=label))
        parsed = None
        if isinstance(value, str | date_type):
            try:
                parsed = fields.Date.to_date(value[:10] if isinstance(value, str) else value)
            except (TypeError, ValueError):
                parsed = None
        if isinstance(parsed, datetime):
            parsed = parsed.date()
        if not parsed:
            raise ValidationError(
                self.env._("%(field)s %(value)r is not a date: give it as YYYY-MM-DD, like 2025-01-31.",
                           field=label, value=value)
            )
        if parsed.year < MIN_YEAR or (upper and parsed.year > MAX_YEAR):
            low, high = f"{MIN_YEAR}-01-01", f"{MAX_YEAR}-12-31"
            raise ValidationError(
                self.env._(
                    "%(field)s %(value)s is out of range: give a date between %(low)s and %(high)s.",
                    field=label,
                    value=fields.Date.to_string(parsed),
                    low=low,
                    high=high,
                )
            )
        return parsed

    @api.model
    def _revcycle_date_range(self, date_from, date_to, label_from, label_to):
        start = self._revcycle_date(date_from, label_from)
        end = self._revcycle_date(date_to, label_to)
        if end < start:
            raise ValidationError(
                self.env._(
                    "%(end_field)s %(end)s is before it starts on %(start)s (%(start_field)s): give an end on or after "
                    "the start.",
                    end_field=label_to,
                    end=fields.Date.to_string(end),
                    start_field=label_from,
                    start=fields.Date.to_string(start),
                )
            )
        return start, end

    @api.model
    def _revcycle_text(self, value, label, required=False, max_length=2000):
        if value in (None, False):
            value = ""
        if not isinstance(value, str):
            raise ValidationError(self.env._("%(field)s must be text, not %(value)r.", field=label, value=value))
        value = value.strip()
        if required and not value:
            raise ValidationError(self.env._("Give %(field)s: it is required.", field=label))
        if len(value) > max_length:
            raise ValidationError(
                self.env._("%(field)s is too long: at most %(max)s characters.", field=label, max=max_length)
            )
        return value

    @api.model
    def _revcycle_check_vals(self, model, vals_list):
        """Refuse values Odoo would store but that make no sense in a revcycle field: NaN or infinite numbers,
        integers beyond PostgreSQL's, numbers given as anything else, dates outside MIN_YEAR..MAX_YEAR."""
        for vals in vals_list:
            for name, value in vals.items():
                field = model._fields.get(name)
                if field is None or value is False or value is None:
                    continue
                label = f"{field.string} ({name})"
                if field.type in ("float", "monetary"):
                    self._revcycle_number(value, label, text=True)
                elif field.type == "integer":
                    self._revcycle_integer(value, label, text=True)
                elif field.type == "date":
                    self._revcycle_date(value, label)
                elif field.type == "datetime":
                    self._revcycle_date(value if not isinstance(value, str) else value[:10], label)
        return True


class Base(models.AbstractModel):
    """Every revcycle model, and every revcycle field added to another model, goes through the checks above."""

    _inherit = "base"

    def _revcycle_guarded_vals(self, vals_list):
        if self._name.startswith("revcycle."):
            return vals_list
        guarded = [
            {name: value for name, value in vals.items() if name.startswith("revcycle_") or name == "credit_limit"}
            for vals in vals_list
        ]
        return [vals for vals in guarded if vals]

    @api.model_create_multi
    def create(self, vals_list):
        if not self._abstract and self._name != "revcycle.access":
            guarded = self._revcycle_guarded_vals(vals_list)
            if guarded:
                self.env["revcycle.access"]._revcycle_check_vals(self, guarded)
        return super().create(vals_list)

    def write(self, vals):
        if not self._abstract:
            guarded = self._revcycle_guarded_vals([vals])
            if guarded:
                self.env["revcycle.access"]._revcycle_check_vals(self, guarded)
        return super().write(vals)
