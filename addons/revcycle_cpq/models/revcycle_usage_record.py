"""Usage records: what a customer used on a metered contract line, reported by an integration.

Ingestion (``revcycle_report_usage``) checks every record, writes the valid ones in one bulk INSERT and returns what
it refused and which keys it had already: a record is refused alone (the others of the batch are written), never
silently. The idempotency key is unique per company in the database, so a batch sent twice, or by two callers at once,
is counted once. Records are append-only: a wrong quantity is corrected by a correction record (negative quantity,
naming the key it corrects), rated with the period it corrects (docs/domain.md, "Usage billing").
"""

import math
from collections import namedtuple
from datetime import date as date_type
from datetime import datetime, time, timedelta

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

MAX_RECORDS_PER_CALL = 50000
MAX_KEY_LENGTH = 255
MAX_SOURCE_LENGTH = 64
MAX_QUANTITY = 1e12
RECORD_KEYS = {"contract_line_id", "date", "quantity", "key", "source", "corrects"}
# the fields a record keeps once written: usage is evidence of what is billed, corrected by a correction record
IMMUTABLE_FIELDS = (
    "contract_line_id",
    "contract_id",
    "company_id",
    "date",
    "quantity",
    "idempotency_key",
    "corrected_id",
    "rating_id",
)
_RATING_TOKEN = object()
# what the checks need of a line, read once per batch (a batch of 10,000 records names a few thousand lines at most)
LineFacts = namedtuple(
    "LineFacts",
    "id metered product_id company_id contract_id start end pause_from pause_to started",
)


class RevcycleUsageRecord(models.Model):
    _name = "revcycle.usage.record"
    _description = "Usage Record"
    _order = "date desc, id desc"
    _rec_name = "idempotency_key"

    # few indexes, each costing every one of a call's thousands of inserts (the unique key's leads with the company)
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    contract_id = fields.Many2one("revcycle.contract", required=True, readonly=True, ondelete="restrict")
    contract_line_id = fields.Many2one(
        "revcycle.contract.line",
        string="Contract Line",
        required=True,
        ondelete="restrict",
        domain=[("revcycle_metered", "=", True)],
    )
    partner_id = fields.Many2one(related="contract_id.partner_id", string="Customer")
    product_id = fields.Many2one(related="contract_line_id.product_id", string="Product")
    date = fields.Datetime(string="Used On", required=True, help="When the usage happened (UTC).")
    quantity = fields.Float(required=True, digits="Product Unit of Measure")
    idempotency_key = fields.Char(
        string="Key", required=True, help="The sender's unique id of this record: a record sent twice is counted once."
    )
    source = fields.Char(help="Which system reported the usage.")
    corrected_id = fields.Many2one(
        "revcycle.usage.record",
        string="Corrects",
        readonly=True,
        ondelete="restrict",
        index="btree_not_null",
        help="The record this correction (a negative quantity) takes back, in the period of that record.",
    )
    rating_id = fields.Many2one(
        "revcycle.usage.rating",
        string="Rated By",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        copy=False,
    )
    rated = fields.Boolean(compute="_compute_rated", search="_search_rated")
    move_id = fields.Many2one(related="rating_id.move_id", string="Invoice")

    _sql_constraints = [
        (
            "revcycle_usage_record_key_unique",
            "UNIQUE (company_id, idempotency_key)",
            "A usage record with this key exists already in this company: each key is counted once.",
        ),
    ]

    def init(self):
        # the rating and the usage summary read by line and date
        tools.create_index(
            self.env.cr, "revcycle_usage_record_line_date_idx", self._table, ["contract_line_id", "date"]
        )

    def _compute_rated(self):
        for record in self:
            record.rated = bool(record.rating_id)

    def _search_rated(self, operator, value):
        if operator not in ("=", "!="):
            raise UserError(self.env._("Search Rated with = or != only."))
        rated = (operator == "=") == bool(value)
        return [("rating_id", "!=" if rated else "=", False)]

    # -- CRUD ------------------------------------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        """Every create (a form, Odoo's CSV import, XML-RPC ``create``) goes through the checks of
        ``revcycle_report_usage``; the first refusal is raised, so an import lists it and writes nothing."""
        self.env["revcycle.access"]._revcycle_check_vals(self, vals_list)
        self.check_access("create")
        checked = []
        for index, vals in enumerate(vals_list):
            record = {
                "contract_line_id": vals.get("contract_line_id"),
                "date": vals.get("date"),
                "quantity": vals.get("quantity"),
                "key": vals.get("idempotency_key"),
                "source": vals.get("source") or "",
            }
            if vals.get("corrected_id"):
                record["corrects"] = self.browse(vals["corrected_id"]).idempotency_key
            row, reason = self._revcycle_check_batch([record], numbers_as_text=True)
            if reason:
                raise ValidationError(
                    self.env._("Usage record %(index)s: %(reason)s", index=index + 1, reason=reason[0]["reason"])
                )
            checked.append(row[0])
        vals_list = [
            {
                **vals,
                "company_id": row["company_id"],
                "contract_id": row["contract_id"],
                "date": row["date"],
                "quantity": row["quantity"],
                "corrected_id": row["corrected_id"] or False,
            }
            for vals, row in zip(vals_list, checked, strict=True)
        ]
        return super().create(vals_list)

    def write(self, vals):
        if self.env.context.get("revcycle_usage_rating") is not _RATING_TOKEN:
            written = sorted(set(vals) & set(IMMUTABLE_FIELDS))
            if written:
                raise AccessError(
                    self.env._(
                        "Usage records are not changed once reported (%(fields)s): report a correction record with "
                        "a negative quantity naming the key it corrects.",
                        fields=", ".join(written),
                    )
                )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_rated(self):
        if self.filtered("rating_id"):
            raise UserError(
                self.env._("Rated usage has been billed: it is not deleted. Report a correction record instead.")
            )

    # -- ingestion -------------------------------------------------------------------------------------------------
    @api.model
    def revcycle_report_usage(self, records):
        """Report usage records, for XML-RPC (thousands per call).

        ``records``: a list of dicts with ``contract_line_id`` (a metered contract line), ``date`` (when the usage
        happened, 'YYYY-MM-DD HH:MM:SS' in UTC or 'YYYY-MM-DD'), ``quantity`` (>= 0), ``key`` (the sender's unique id,
        unique per company), optional ``source``; a correction has a negative ``quantity`` and ``corrects``, the key
        of the record it takes back (its date is that record's).

        Each record is checked on its own: the valid ones are written, a refused one is returned with its index, key
        and the reason, a key already reported is skipped and returned in ``duplicates``. Returns
        ``{"created": n, "duplicates": [keys], "refused": [{"index", "key", "reason"}]}``."""
        if not isinstance(records, list | tuple):
            raise ValidationError(
                self.env._(
                    "records must be a list of usage records (dicts), not %(value)s.", value=type(records).__name__
                )
            )
        if len(records) > MAX_RECORDS_PER_CALL:
            raise ValidationError(
                self.env._(
                    "At most %(max)s usage records per call (%(count)s given): send them in batches.",
                    max=MAX_RECORDS_PER_CALL,
                    count=len(records),
                )
            )
        self.check_access("create")
        rows, refused = self._revcycle_check_batch(records)
        created_keys, duplicates = self._revcycle_insert(rows)
        return {"created": len(created_keys), "duplicates": duplicates, "refused": refused}

    @api.model
    def _revcycle_check_batch(self, records, numbers_as_text=False):
        """(rows to insert, refusals): each record checked against the lines the caller may read."""
        line_ids = {
            record.get("contract_line_id")
            for record in records
            if isinstance(record, dict)
            and isinstance(record.get("contract_line_id"), int)
            and not isinstance(record.get("contract_line_id"), bool)
            and 0 < record["contract_line_id"] < 2**31
        }
        # the caller's record rules apply: a line of another company or salesperson is "unknown"
        lines = self.env["revcycle.contract.line"].search([("id", "in", list(line_ids))])
        lines_by_id = self._revcycle_line_facts(lines)
        contracts = lines.contract_id
        # sudo: reading each company's lock dates, which the caller need not have access to read; the lines checked
        # above are the caller's
        companies = contracts.company_id.sudo()  # sudo: lock dates only
        lock_dates = {company.id: self._revcycle_lock_date(company) for company in companies}
        corrected = self._revcycle_corrected_records(records, lines)
        rows, refused = [], []
        for index, record in enumerate(records):
            try:
                row = self._revcycle_check_record(record, lines_by_id, lock_dates, corrected, numbers_as_text)
            except ValidationError as error:
                key = record.get("key") if isinstance(record, dict) else None
                key = key if isinstance(key, str) else False  # XML-RPC has no None
                refused.append({"index": index, "key": key, "reason": error.args[0]})
                continue
            rows.append(row)
        return rows, refused

    @api.model
    def _revcycle_line_facts(self, lines):
        """{line id: LineFacts} of ``lines`` (those the caller may read), read by one query: the ORM would read
        field by field for thousands of lines. Names for the messages are read only when a record is refused."""
        if not lines:
            return {}
        self.env["revcycle.contract"].flush_model()
        lines.flush_recordset()
        rows = self.env.execute_query(
            SQL(
                """SELECT line.id, line.revcycle_metered, line.product_id, contract.company_id, contract.id,
                          contract.date_start, COALESCE(contract.termination_date, contract.date_end),
                          contract.pause_from, contract.pause_to,
                          contract.state NOT IN ('draft', 'negotiation', 'signed')
                     FROM revcycle_contract_line line
                     JOIN revcycle_contract contract ON contract.id = line.contract_id
                    WHERE line.id = ANY(%s)""",
                lines.ids,
            )
        )
        return {row[0]: LineFacts(row[0], bool(row[1]), *row[2:]) for row in rows}

    @api.model
    def _revcycle_lock_date(self, company):
        """The last day of the company's closed time for sales: usage on or before it is refused."""
        dates = [company.fiscalyear_lock_date, company.sale_lock_date, company.hard_lock_date]
        return max((day for day in dates if day), default=None)

    @api.model
    def _revcycle_corrected_records(self, records, lines):
        """The records named by the batch's corrections, by (company, key), with their net quantity (locked: two
        corrections of one record at once cannot both take it back)."""
        keys = [
            record.get("corrects")
            for record in records
            if isinstance(record, dict) and isinstance(record.get("corrects"), str)
        ]
        if not keys or not lines:
            return {}
        self.flush_model()
        rows = self.env.execute_query(
            SQL(
                """SELECT r.id, r.company_id, r.idempotency_key, r.contract_line_id, r.date, r.quantity,
                      r.quantity + COALESCE((SELECT sum(c.quantity) FROM revcycle_usage_record c
                                              WHERE c.corrected_id = r.id), 0)
                 FROM revcycle_usage_record r
                WHERE r.idempotency_key = ANY(%s) AND r.contract_line_id = ANY(%s) AND r.corrected_id IS NULL
                FOR UPDATE""",
                keys,
                lines.ids,
            )
        )
        return {(row[1], row[2]): {"id": row[0], "line": row[3], "date": row[4], "net": row[6]} for row in rows}

    @api.model
    def _revcycle_check_record(self, record, lines_by_id, lock_dates, corrected, numbers_as_text=False):
        if not isinstance(record, dict):
            raise ValidationError(
                self.env._(
                    "A usage record is a dict with contract_line_id, date, quantity and key, not " "%(value)s.",
                    value=type(record).__name__,
                )
            )
        unknown = sorted(str(name) for name in set(record) - RECORD_KEYS)
        if unknown:
            raise ValidationError(
                self.env._(
                    "Unknown fields %(names)s: a usage record has %(allowed)s.",
                    names=", ".join(unknown),
                    allowed=", ".join(sorted(RECORD_KEYS)),
                )
            )
        key = record.get("key")
        if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_LENGTH:
            raise ValidationError(
                self.env._(
                    "key must be the sender's unique id of the record: text of 1 to %(max)s " "characters.",
                    max=MAX_KEY_LENGTH,
                )
            )
        source = record.get("source") or ""
        if not isinstance(source, str) or len(source) > MAX_SOURCE_LENGTH:
            raise ValidationError(
                self.env._("source must be text of at most %(max)s characters.", max=MAX_SOURCE_LENGTH)
            )
        line_id = record.get("contract_line_id")
        line = lines_by_id.get(line_id) if isinstance(line_id, int) and not isinstance(line_id, bool) else None
        if not line:
            raise ValidationError(
                self.env._(
                    "contract_line_id %(value)r is not a contract line you can report usage on: "
                    "give the id of a metered line of one of your contracts.",
                    value=line_id,
                )
            )
        if not line.metered:
            raise ValidationError(
                self.env._(
                    "%(line)s (contract line %(id)s) is not metered: usage is reported on metered " "lines only.",
                    line=self.env["product.product"].browse(line.product_id).display_name,
                    id=line.id,
                )
            )
        quantity = self._revcycle_quantity(record.get("quantity"), numbers_as_text)
        corrects = record.get("corrects")
        original = None
        if corrects not in (None, False, ""):
            original = self._revcycle_check_correction(corrects, quantity, line, corrected)
            used_at = original["date"]
        else:
            if quantity < 0:
                raise ValidationError(
                    self.env._(
                        "quantity %(value)s is negative: usage is 0 or more; to take back usage "
                        "reported before, send a correction naming its key in corrects.",
                        value=quantity,
                    )
                )
            used_at = self._revcycle_datetime(record.get("date"))
        self._revcycle_check_active(line, used_at.date())
        lock_date = lock_dates.get(line.company_id)
        if lock_date and used_at.date() <= lock_date:
            raise ValidationError(
                self.env._(
                    "date %(date)s is in a closed period: %(company)s is locked until %(lock)s. "
                    "Report usage after the lock date, or ask an accountant to move it.",
                    date=used_at.date(),
                    company=self.env["res.company"].browse(line.company_id).sudo().name,  # sudo: its name only
                    lock=lock_date,
                )
            )
        return {
            "company_id": line.company_id,
            "contract_id": line.contract_id,
            "contract_line_id": line.id,
            "date": used_at,
            "quantity": quantity,
            "key": key,
            "source": source,
            "corrected_id": original and original["id"],
        }

    @api.model
    def _revcycle_quantity(self, value, numbers_as_text):
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        if numbers_as_text and isinstance(value, str):
            try:
                value, is_number = float(value), True
            except ValueError:
                is_number = False
        if not is_number or not math.isfinite(value) or abs(value) > MAX_QUANTITY:
            raise ValidationError(
                self.env._(
                    "quantity must be a finite number (at most %(max)s), not %(value)r.", max=MAX_QUANTITY, value=value
                )
            )
        return float(value)

    @api.model
    def _revcycle_datetime(self, value):
        parsed = None
        if isinstance(value, datetime):
            parsed = value
        elif isinstance(value, date_type):
            parsed = datetime.combine(value, time.min)
        elif isinstance(value, str) and len(value) == 19 and value[10] == " ":
            try:  # the common case, 'YYYY-MM-DD HH:MM:SS': parsed in C
                parsed = datetime.fromisoformat(value)
            except ValueError:
                parsed = None
        elif isinstance(value, str) and 10 <= len(value) <= 32:
            try:
                parsed = (
                    fields.Datetime.to_datetime(value)
                    if len(value) > 10
                    else datetime.combine(fields.Date.to_date(value), time.min)
                )
            except (TypeError, ValueError):
                parsed = None
        if parsed is None:
            raise ValidationError(
                self.env._(
                    "date %(value)r is not a date: give 'YYYY-MM-DD HH:MM:SS' (UTC) or " "'YYYY-MM-DD'.", value=value
                )
            )
        if parsed.tzinfo:
            parsed = parsed.replace(tzinfo=None) - (parsed.utcoffset() or timedelta(0))
        if not 1900 <= parsed.year <= 2999:
            raise ValidationError(self.env._("date %(value)s is out of range.", value=parsed))
        return parsed

    @api.model
    def _revcycle_check_active(self, line, day):
        """Usage counts on the days the contract bills: from its start to its end (or termination), outside a
        pause, once signed (``line``: the line's LineFacts)."""
        paused = line.pause_from and line.pause_from <= day <= line.pause_to
        if not line.started or day < line.start or (line.end and day > line.end) or paused:
            raise ValidationError(
                self.env._(
                    "%(line)s of %(contract)s is not active on %(date)s: usage counts from the contract's "
                    "start (%(start)s) to its end (%(end)s), outside pauses, once it is active.",
                    line=self.env["product.product"].browse(line.product_id).display_name,
                    contract=self.env["revcycle.contract"].browse(line.contract_id).name,
                    date=day,
                    start=line.start,
                    end=line.end or "-",
                )
            )

    @api.model
    def _revcycle_check_correction(self, corrects, quantity, line, corrected):
        if not isinstance(corrects, str):
            raise ValidationError(
                self.env._("corrects must be the key of the record to correct, not %(value)r.", value=corrects)
            )
        original = corrected.get((line.company_id, corrects))
        if not original or original["line"] != line.id:
            raise ValidationError(
                self.env._(
                    "corrects %(key)r: no usage record with that key on contract line %(line)s.",
                    key=corrects,
                    line=line.id,
                )
            )
        if quantity >= 0 or -quantity > original["net"] + 1e-9:
            raise ValidationError(
                self.env._(
                    "A correction takes back usage: its quantity is negative and at most %(net)s "
                    "(what is left of %(key)s), not %(value)s.",
                    net=original["net"],
                    key=corrects,
                    value=quantity,
                )
            )
        original["net"] += quantity  # a second correction of it in the same batch sees what is left
        return original

    @api.model
    def _revcycle_insert(self, rows):
        """Insert ``rows`` at once; a key the company has already (or twice in the batch) is skipped. Returns the
        created keys and the skipped ones, in the batch's order."""
        if not rows:
            return [], []
        self.env["revcycle.contract.line"].flush_model()
        uid = self.env.uid
        now = fields.Datetime.now()
        values = SQL(", ").join(
            SQL(
                "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                row["company_id"],
                row["contract_id"],
                row["contract_line_id"],
                row["date"],
                row["quantity"],
                row["key"],
                row["source"] or None,
                row["corrected_id"] or None,
                uid,
                now,
                uid,
                now,
            )
            for row in rows
        )
        inserted = self.env.execute_query(
            SQL(
                """INSERT INTO revcycle_usage_record
                   (company_id, contract_id, contract_line_id, date, quantity, idempotency_key, source, corrected_id,
                    create_uid, create_date, write_uid, write_date)
               VALUES %s
               ON CONFLICT (company_id, idempotency_key) DO NOTHING
               RETURNING company_id, idempotency_key""",
                values,
            )
        )
        self.invalidate_model()
        created = {(company_id, key) for company_id, key in inserted}
        duplicates = []
        for row in rows:
            pair = (row["company_id"], row["key"])
            if pair in created:
                created.discard(pair)  # a key twice in the batch: the first is created, the second a duplicate
            else:
                duplicates.append(row["key"])
        return inserted, duplicates

    # -- rating bookkeeping ----------------------------------------------------------------------------------------
    def _revcycle_rating_write(self, vals):
        """The rating links records to the rating that billed them: the one write of a record after its creation."""
        return self.with_context(revcycle_usage_rating=_RATING_TOKEN).write(vals)
