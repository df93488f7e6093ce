"""Usage records: what a customer used on a metered contract line, reported by an integration.

Ingestion (``revcycle_report_usage``) checks every record, writes the valid ones in one bulk INSERT and returns what
it refused and which keys it had already: a record is refused alone (the others of the batch are written), never
silently. The idempotency key is unique per company in the database, so a batch sent twice, or by two callers at once,
is counted once. Records are append-only: a wrong quantity is corrected by a correction record (negative quantity,
naming the key it corrects), rated with the period it corrects (docs/domain.md, "Usage billing").
"""

import csv
import io
import math
from collections import namedtuple
from datetime import date as date_type
from datetime import datetime, time, timedelta

import psycopg2.extensions
from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.sql import constraint_definition

MAX_RECORDS_PER_CALL = 50000
# a CSV call of 50,000 records with long keys stays under this; Odoo refuses requests above 128 MB before
MAX_CSV_CHARS = 32 * 1024 * 1024
MAX_KEY_LENGTH = 255
MAX_SOURCE_LENGTH = 64
MAX_QUANTITY = 1e12
RECORD_KEYS = {"contract_line_id", "date", "quantity", "key", "source", "corrects"}
REQUIRED_CSV_COLUMNS = ("contract_line_id", "date", "quantity", "key")
# an ordinary record (no correction) is checked by _ordinary_row; anything else by the full checks, which say why
ORDINARY_KEYS = frozenset(RECORD_KEYS - {"corrects"})
# COPY's text format: a backslash, tab, newline or carriage return inside a value is escaped
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
COPY_NULL = "\\N"
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


def _copy_line(row):
    """A row to insert as a line of COPY's text format (the staging table's columns, in order)."""
    source = row["source"].translate(COPY_ESCAPES) if row["source"] else COPY_NULL
    values = (
        row["company_id"],
        row["contract_id"],
        row["contract_line_id"],
        row["date"].isoformat(" "),
        repr(row["quantity"]),
        row["key"].translate(COPY_ESCAPES),
        source,
        row["corrected_id"] or COPY_NULL,
    )
    return "\t".join(map(str, values)) + "\n"


def _copy(cr, statement, text):
    """COPY ``text`` into a table; as Odoo's own COPY (models.py, ir_model_data): no wait callback meanwhile."""
    callback = psycopg2.extensions.get_wait_callback()
    psycopg2.extensions.set_wait_callback(None)
    try:
        cr.copy_expert(statement, io.StringIO(text))
    finally:
        psycopg2.extensions.set_wait_callback(callback)


def _ordinary_row(record, open_lines, numbers_as_text):
    """The row to insert of an ordinary record, or None when it is not one: the common case of a call of thousands
    (a metered line open on the record's day, a 'YYYY-MM-DD HH:MM:SS' date, a quantity of 0 or more, no correction)
    checked in a few comparisons. A None goes through the full checks (``_revcycle_check_record``), which accept it
    or refuse it with the reason: this function only ever says yes to what they accept.

    ``open_lines``: {line id: (company id, contract id, start, end, pause from, pause to, lock date)} of the metered
    lines of active contracts the caller may read."""
    if type(record) is not dict or not record.keys() <= ORDINARY_KEYS:
        return None
    line_id = record.get("contract_line_id")
    facts = open_lines.get(line_id) if type(line_id) is int else None
    key = record.get("key")
    source = record.get("source") or ""
    if (
        facts is None
        or type(key) is not str
        or not 0 < len(key) <= MAX_KEY_LENGTH
        or key.isspace()
        or "\0" in key
        or type(source) is not str
        or len(source) > MAX_SOURCE_LENGTH
        or "\0" in source
    ):
        return None
    quantity = record.get("quantity")
    if type(quantity) is int or type(quantity) is float:
        quantity = float(quantity)
    elif numbers_as_text and type(quantity) is str:
        try:
            quantity = float(quantity)
        except ValueError:
            return None
    else:
        return None
    if not 0.0 <= quantity <= MAX_QUANTITY:  # also false for nan
        return None
    value = record.get("date")
    if type(value) is not str or len(value) != 19 or value[10] != " ":
        return None
    try:
        used_at = datetime.fromisoformat(value)
    except ValueError:
        return None
    if used_at.tzinfo is not None:  # "2026-02-01 00:30+01" is 19 characters too: the full checks convert it to UTC
        return None
    day = used_at.date()
    company_id, contract_id, start, end, pause_from, pause_to, lock_date = facts
    if (
        not 1900 <= used_at.year <= 2999
        or day < start
        or (end and day > end)
        or (pause_from and pause_from <= day <= pause_to)
        or (lock_date and day <= lock_date)
    ):
        return None
    return {
        "company_id": company_id,
        "contract_id": contract_id,
        "contract_line_id": line_id,
        "date": used_at,
        "quantity": quantity,
        "key": key,
        "source": source,
        "corrected_id": None,
    }


class _LineCheckedMany2one(fields.Many2one):
    """A Many2one of a usage record to its line, contract or company without a foreign key of its own: the three
    are checked together by the table's one composite foreign key to the line (``RevcycleUsageRecord.init``),
    which also guarantees that the contract and company stored on the record are the line's."""

    def update_db_foreign_key(self, model, column):
        return


class RevcycleUsageRecord(models.Model):
    _name = "revcycle.usage.record"
    _description = "Usage Record"
    _order = "date desc, id desc"
    _rec_name = "idempotency_key"
    # a high-volume fact table (millions of rows, written by calls of 50,000): no create_uid / write_uid / write_date,
    # whose two foreign keys cost every insert a lookup and a row lock on the reporting user (docs/domain.md, "Usage
    # at volume"); when a record was reported is kept (create_date), which system reported it is its source
    _log_access = False

    # few indexes, each costing every one of a call's thousands of inserts (the unique key's leads with the company)
    company_id = _LineCheckedMany2one("res.company", required=True, readonly=True)
    contract_id = _LineCheckedMany2one("revcycle.contract", required=True, readonly=True, ondelete="restrict")
    contract_line_id = _LineCheckedMany2one(
        "revcycle.contract.line",
        string="Contract Line",
        required=True,
        ondelete="restrict",
        domain=[("revcycle_metered", "=", True)],
    )
    create_date = fields.Datetime(string="Reported On", readonly=True, default=lambda self: self.env.cr.now())
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
        self._revcycle_init_line_key()
        # the rating and the usage summary read by line and date
        tools.create_index(
            self.env.cr, "revcycle_usage_record_line_date_idx", self._table, ["contract_line_id", "date"]
        )
        # the usage not billed yet, by contract: the invoicing job finds the ended contracts with usage reported
        # after their final invoice without reading their billed usage (and Not Billed Yet is read through it)
        tools.create_index(
            self.env.cr,
            "revcycle_usage_record_unrated_idx",
            self._table,
            ["contract_id"],
            where="rating_id IS NULL",
        )

    def _revcycle_init_line_key(self):
        """One composite foreign key (line, contract, company) to the line instead of one per column: one lookup per
        inserted record instead of three, and the record's contract and company are guaranteed to be its line's
        (a line whose contract or company would change under reported usage is refused by the database). The
        unique index on the line's three columns is what a foreign key needs to reference them. Replaces the
        columns' single foreign keys and the log columns of databases made before (issue 22, session 6)."""
        cr = self.env.cr
        tools.create_unique_index(
            cr, "revcycle_contract_line_usage_key_idx", "revcycle_contract_line", ["id", "contract_id", "company_id"]
        )
        cr.execute(
            """ALTER TABLE revcycle_usage_record
                   DROP CONSTRAINT IF EXISTS revcycle_usage_record_company_id_fkey,
                   DROP CONSTRAINT IF EXISTS revcycle_usage_record_contract_id_fkey,
                   DROP CONSTRAINT IF EXISTS revcycle_usage_record_contract_line_id_fkey,
                   DROP COLUMN IF EXISTS create_uid,
                   DROP COLUMN IF EXISTS write_uid,
                   DROP COLUMN IF EXISTS write_date"""
        )
        cr.execute(
            """DELETE FROM ir_model_constraint WHERE type = 'f' AND name IN (
                   'revcycle_usage_record_company_id_fkey', 'revcycle_usage_record_contract_id_fkey',
                   'revcycle_usage_record_contract_line_id_fkey', 'revcycle_usage_record_create_uid_fkey',
                   'revcycle_usage_record_write_uid_fkey')"""
        )
        if not constraint_definition(cr, self._table, "revcycle_usage_record_line_fkey"):
            cr.execute(
                """ALTER TABLE revcycle_usage_record ADD CONSTRAINT revcycle_usage_record_line_fkey
                       FOREIGN KEY (contract_line_id, contract_id, company_id)
                       REFERENCES revcycle_contract_line (id, contract_id, company_id) ON DELETE RESTRICT"""
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
        return self._revcycle_report(records)

    @api.model
    def revcycle_report_usage_csv(self, text):
        """``revcycle_report_usage`` with the records as CSV text, for XML-RPC callers sending large volumes: a
        header row naming the columns (``contract_line_id``, ``date``, ``quantity``, ``key``, optional ``source``
        and ``corrects``, as the dict keys), then one record a row; comma-separated, double quotes around a value
        holding a comma or a quote (doubled). A record as a CSV row is about 10 times lighter to send and to read
        than as an XML-RPC struct; the rows are then checked and written as the dict form's (``_revcycle_report_csv``).

        Same checks and same answer as ``revcycle_report_usage``; a refused record's ``index`` is its row number
        after the header, from 0. Text that is not CSV of the header's columns (a row with more or fewer values)
        is refused whole, naming the line, and nothing is written."""
        if not isinstance(text, str):
            raise ValidationError(
                self.env._(
                    "text must be CSV text (a header row, then one usage record a row), not %(value)s.",
                    value=type(text).__name__,
                )
            )
        if len(text) > MAX_CSV_CHARS:
            raise ValidationError(
                self.env._(
                    "At most %(max)s characters of CSV per call: send the records in batches.", max=MAX_CSV_CHARS
                )
            )
        if "\0" in text:
            raise ValidationError(self.env._("The CSV text holds a NUL character: remove it."))
        self.check_access("create")
        return self._revcycle_report_csv(self._revcycle_csv_header(text), text)

    @api.model
    def _revcycle_csv_header(self, text):
        header_line = text.lstrip("\ufeff").split("\n", 1)[0]
        header = [name.strip() for name in next(csv.reader([header_line.rstrip("\r")]), [])]
        unknown = sorted(set(header) - RECORD_KEYS)
        missing = [name for name in REQUIRED_CSV_COLUMNS if name not in header]
        if unknown or missing or len(set(header)) != len(header):
            raise ValidationError(
                self.env._(
                    "The CSV header must name each column once, from %(allowed)s, with at least %(required)s "
                    "(it is: %(header)s).",
                    allowed=", ".join(sorted(RECORD_KEYS)),
                    required=", ".join(REQUIRED_CSV_COLUMNS),
                    header=header_line[:200],
                )
            )
        return header

    @api.model
    def _revcycle_report_csv(self, header, text):
        """Read the CSV records (Python's csv module, in C) and report them as the dict form does: the same short
        path for ordinary records (``_ordinary_row``), the same full checks for the others, the same COPY insert.

        Measured (issue 22, session 6): for 50,000 rows, parsing, checking and staging them in Python takes about
        0.3 s of CPU, where checking them in one SQL statement took 1.3 s (pattern matches, guarded casts and date
        checks per row) — and that statement had a subquery per row that made a call of 50,000 rows take minutes."""
        reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), strict=True)
        records = []
        try:
            next(reader, None)  # the header, read by _revcycle_csv_header
            for values in reader:
                if len(values) != len(header):
                    raise csv.Error(
                        self.env._(
                            "line %(line)s has %(count)s values for the %(columns)s columns of the header",
                            line=reader.line_num,
                            count=len(values),
                            columns=len(header),
                        )
                    )
                records.append(self._revcycle_csv_record(header, values))
        except csv.Error as error:
            raise ValidationError(
                self.env._(
                    "The CSV text cannot be read (%(error)s, line %(line)s): each row gives one value per header "
                    "column, a value holding a comma or a quote is quoted.",
                    error=error,
                    line=reader.line_num,
                )
            ) from None
        if len(records) > MAX_RECORDS_PER_CALL:
            raise ValidationError(
                self.env._(
                    "At most %(max)s usage records per call (%(count)s given): send them in batches.",
                    max=MAX_RECORDS_PER_CALL,
                    count=len(records),
                )
            )
        # corrections are checked and written after the call's other rows, so that one may name a record reported
        # earlier in the same call (the dict form checks all its records before writing any)
        corrections = [index for index, record in enumerate(records) if "corrects" in record]
        if not corrections:
            return self._revcycle_report(records, numbers_as_text=True)
        others = [index for index, record in enumerate(records) if "corrects" not in record]
        created, duplicates, refused = 0, [], []
        for positions in (others, corrections):
            part = self._revcycle_report_positions([records[index] for index in positions], numbers_as_text=True)
            created += part[0]
            duplicates += [(positions[index], key) for index, key in part[1]]
            refused += [{**item, "index": positions[item["index"]]} for item in part[2]]
        return {
            "created": created,
            "duplicates": [key for _index, key in sorted(duplicates)],
            "refused": sorted(refused, key=lambda item: item["index"]),
        }

    @api.model
    def _revcycle_csv_record(self, header, values):
        """A CSV row as the record the checks read: the header's columns, the line id as a number when it is
        one."""
        record = dict(zip(header, values, strict=True))
        if record.get("corrects") == "":
            del record["corrects"]  # no correction (the full checks read an empty one so): the short path applies
        line_id = record["contract_line_id"].strip()
        if line_id.isascii() and line_id.isdigit():
            record["contract_line_id"] = int(line_id)
        return record

    @api.model
    def _revcycle_report(self, records, numbers_as_text=False):
        created, duplicates, refused = self._revcycle_report_positions(records, numbers_as_text)
        return {"created": created, "duplicates": [key for _index, key in duplicates], "refused": refused}

    @api.model
    def _revcycle_report_positions(self, records, numbers_as_text=False):
        """(created, [(index in ``records``, key) skipped], refusals) of checking and writing ``records``."""
        self.check_access("create")
        rows, refused = self._revcycle_check_batch(records, numbers_as_text)
        created, duplicates = self._revcycle_insert(rows)
        return created, [(rows[position]["index"], rows[position]["key"]) for position in duplicates], refused

    @api.model
    def _revcycle_check_batch(self, records, numbers_as_text=False):
        """(rows to insert, refusals): each record checked against the lines the caller may read. An ordinary
        record takes the short path (``_ordinary_row``); any other is checked in full, which says why it is
        refused."""
        line_ids = {
            record.get("contract_line_id")
            for record in records
            if isinstance(record, dict)
            and isinstance(record.get("contract_line_id"), int)
            and not isinstance(record.get("contract_line_id"), bool)
            and 0 < record["contract_line_id"] < 2**31
        }
        # the caller's record rules apply: a line of another company or salesperson is "unknown"
        lines, lines_by_id, lock_dates, open_lines = self._revcycle_readable_lines(line_ids)
        corrected = self._revcycle_corrected_records(records, lines)
        rows, refused = [], []
        for index, record in enumerate(records):
            row = _ordinary_row(record, open_lines, numbers_as_text)
            if row is None:
                try:
                    row = self._revcycle_check_record(record, lines_by_id, lock_dates, corrected, numbers_as_text)
                except ValidationError as error:
                    key = record.get("key") if isinstance(record, dict) else None
                    key = key if isinstance(key, str) else False  # XML-RPC has no None
                    refused.append({"index": index, "key": key, "reason": error.args[0]})
                    continue
            row["index"] = index
            rows.append(row)
        return rows, refused

    @api.model
    def _revcycle_readable_lines(self, line_ids):
        """What the checks need of the lines ``line_ids`` the caller may read (the caller's record rules apply: a
        line of another company or salesperson is "unknown"): the lines, their LineFacts by id, the lock date of
        their companies, and {line id: (company, contract, start, end, pause from, pause to, lock date)} of those
        usage may be reported on (metered, contract active)."""
        lines = self.env["revcycle.contract.line"].search([("id", "in", list(line_ids))])
        lines_by_id = self._revcycle_line_facts(lines)
        # sudo: reading each company's lock dates, which the caller need not have access to read; the lines are
        # the caller's (searched above with its rules)
        companies = lines.contract_id.company_id.sudo()  # sudo: lock dates only
        lock_dates = {company.id: self._revcycle_lock_date(company) for company in companies}
        open_lines = {
            line.id: (
                line.company_id,
                line.contract_id,
                line.start,
                line.end,
                line.pause_from,
                line.pause_to,
                lock_dates.get(line.company_id),
            )
            for line in lines_by_id.values()
            if line.metered and line.started
        }
        return lines, lines_by_id, lock_dates, open_lines

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
        if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_LENGTH or "\0" in key:
            raise ValidationError(
                self.env._(
                    "key must be the sender's unique id of the record: text of 1 to %(max)s " "characters.",
                    max=MAX_KEY_LENGTH,
                )
            )
        source = record.get("source") or ""
        if not isinstance(source, str) or len(source) > MAX_SOURCE_LENGTH or "\0" in source:
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
        after_term = line.started and line.end and day > line.end
        paused = line.pause_from and line.pause_from <= day <= line.pause_to
        if not (after_term or not line.started or day < line.start or paused):
            return
        names = {
            "line": self.env["product.product"].browse(line.product_id).display_name,
            "contract": self.env["revcycle.contract"].browse(line.contract_id).name,
            "date": day,
        }
        if after_term:
            # the term is over on that day (an expiry, a termination, a contract not renewed): usage of that day is
            # no part of this contract, and billing it would bill a day the customer no longer has
            raise ValidationError(
                self.env._(
                    "%(line)s of %(contract)s is not active on %(date)s: the contract's term ends on %(end)s (its end "
                    "or termination date) and usage after it is not billed. Report usage dated up to %(end)s, or on "
                    "the contract that follows it.",
                    end=line.end,
                    **names,
                )
            )
        # not signed yet, before the start, or in a pause (a day after the end of a started line is refused above)
        raise ValidationError(
            self.env._(
                "%(line)s of %(contract)s is not active on %(date)s: usage counts from the contract's "
                "start (%(start)s) to its end (%(end)s), outside pauses, once it is active.",
                start=line.start,
                end=line.end or "-",
                **names,
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
        """Insert ``rows`` at once; a key the company has already (or twice in the batch) is skipped. Returns how
        many were created and the positions in ``rows`` of the skipped ones.

        The rows are copied into a temporary table (COPY: no statement of thousands of parameters to build and
        parse), then inserted by one INSERT ... SELECT ... ON CONFLICT DO NOTHING, in key order: two callers
        sending overlapping keys at once take their locks in the same order, so one waits for the other instead of
        both deadlocking."""
        if not rows:
            return 0, []
        self.env["revcycle.contract.line"].flush_model()
        self.flush_model()
        cr = self.env.cr
        staged, seen = [], set()
        for row in rows:
            pair = (row["company_id"], row["key"])
            if pair not in seen:  # a key twice in the batch: the first is created, the second a duplicate
                seen.add(pair)
                staged.append(row)
        cr.execute(
            """CREATE TEMPORARY TABLE IF NOT EXISTS revcycle_usage_stage (
                   company_id integer, contract_id integer, contract_line_id integer, date timestamp,
                   quantity double precision, idempotency_key varchar, source varchar, corrected_id integer
               ) ON COMMIT DELETE ROWS"""
        )
        text = "".join(_copy_line(row) for row in staged)
        _copy(cr, "COPY revcycle_usage_stage FROM STDIN", text)
        now = fields.Datetime.now()
        inserted = self.env.execute_query(
            SQL(
                """INSERT INTO revcycle_usage_record
                   (company_id, contract_id, contract_line_id, date, quantity, idempotency_key, source, corrected_id,
                    create_date)
                   SELECT company_id, contract_id, contract_line_id, date, quantity, idempotency_key, source,
                          corrected_id, %s
                     FROM revcycle_usage_stage
                 ORDER BY company_id, idempotency_key
               ON CONFLICT (company_id, idempotency_key) DO NOTHING
               RETURNING company_id, idempotency_key""",
                now,
            )
        )
        cr.execute("TRUNCATE revcycle_usage_stage")  # a second call in the same transaction starts empty
        self.invalidate_model()
        created = {(company_id, key) for company_id, key in inserted}
        duplicates = []
        for position, row in enumerate(rows):
            pair = (row["company_id"], row["key"])
            if pair in created:
                created.discard(pair)  # a key twice in the batch: the first is created, the second a duplicate
            else:
                duplicates.append(position)
        return len(inserted), duplicates

    # -- rating bookkeeping ----------------------------------------------------------------------------------------
    def _revcycle_rating_write(self, vals):
        """The rating links records to the rating that billed them: the one write of a record after its creation."""
        return self.with_context(revcycle_usage_rating=_RATING_TOKEN).write(vals)
