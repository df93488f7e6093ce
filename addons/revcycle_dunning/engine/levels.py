"""Which dunning level an invoice has reached.

Levels carry a day offset relative to the due date (negative: a friendly reminder before it). On a given date an
invoice has reached every level whose offset is at most its days past due; it gets the most severe of those it has
not received yet, and never a level it already had. An amount below the level's minimum keeps it back.
"""
import itertools
from dataclasses import dataclass
from datetime import date

from odoo.tools import SQL
from odoo.tools.float_utils import float_compare


@dataclass(frozen=True)
class DunningLevel:
    key: int  # the level's id, or any stable identifier
    sequence: int
    days: int
    min_overdue_amount: float = 0.0


class DunningLevelError(ValueError):
    """A level ladder that cannot be followed; the message says what to fix."""


def days_past_due(due_date: date, on_date: date) -> int:
    """Negative before the due date, 0 on it."""
    return (on_date - due_date).days


def validate_levels(levels):
    """Levels must escalate: a later level (higher sequence) comes strictly later relative to the due date."""
    ordered = sorted(levels, key=lambda level: level.sequence)
    for previous, current in itertools.pairwise(ordered):
        if current.sequence == previous.sequence:
            raise DunningLevelError(f"Two levels share the sequence {current.sequence}; give each its own.")
        if current.days <= previous.days:
            raise DunningLevelError(
                f"The level at sequence {current.sequence} comes at day {current.days}, not after the level before it "
                f"(day {previous.days}); later levels must come later relative to the due date.")


def is_reached(level, days_overdue, open_amount, precision_digits=2):
    """A level is reached once the invoice is at least ``level.days`` past due and its open amount is at least the
    level's minimum."""
    return level.days <= days_overdue and float_compare(
        open_amount, level.min_overdue_amount or 0.0, precision_digits=precision_digits) >= 0


def is_reached_sql(level_days, level_min_amount, days_overdue, open_amount):
    """``is_reached`` in SQL, over SQL expressions (the run's candidate query selects invoices with it)."""
    return SQL("(%s <= %s AND COALESCE(%s, 0) <= %s)", level_days, days_overdue, level_min_amount, open_amount)


def is_covered(sent_sequence, reached_sequence):
    """A reached level is not sent when a level at least as severe was already sent for the invoice."""
    return sent_sequence is not None and sent_sequence >= reached_sequence


def is_covered_sql(sent_sequence, reached_sequence):
    """``is_covered`` in SQL, over SQL expressions."""
    return SQL("(%s >= %s)", sent_sequence, reached_sequence)


def choose_level(days_overdue, levels, already_sent=(), open_amount=0.0, precision_digits=2):
    """The level to send now, or None: the most severe level reached that was not sent yet, and none at all once
    an equal or more severe level has been sent."""
    sent = set(already_sent)
    reached = [
        level for level in sorted(levels, key=lambda level: level.sequence)
        if is_reached(level, days_overdue, open_amount, precision_digits)
    ]
    if not reached:
        return None
    highest = reached[-1]
    max_sent_sequence = max((level.sequence for level in levels if level.key in sent), default=None)
    if is_covered(max_sent_sequence, highest.sequence):
        return None
    return highest


def next_level(levels, current_key):
    """The level after ``current_key`` in the ladder (the first one when nothing was sent), or None."""
    ordered = sorted(levels, key=lambda level: level.sequence)
    if current_key is None:
        return ordered[0] if ordered else None
    keys = [level.key for level in ordered]
    if current_key not in keys:
        return None
    position = keys.index(current_key)
    return ordered[position + 1] if position + 1 < len(ordered) else None


# ----------------------------------------------------------------------
# Escalation one level at a time (issue 18)
# ----------------------------------------------------------------------
#
# An open item (one receivable line: an invoice, or one instalment of it) climbs the ladder a level at a time from
# the last level it was actually sent: a level is never skipped, so a level that puts the customer on hold always
# applies. An item first seen past due starts at the policy's first level after the due date (or the level the
# policy names); reminders before the due date (negative days) go only to items not yet due. A level comes when the
# item is that many days past due AND at least the ladder's gap after the previous notice, so a customer first seen
# 65 days late is not sent four levels on four consecutive days.


@dataclass(frozen=True)
class ItemHistory:
    """What an item was sent so far: its last level (key) and the date of that notice; ``waiting`` when that notice
    has not been sent yet (draft, or not sent): the item waits for it rather than escalate past it."""
    last_key: int | None = None
    last_date: date | None = None
    waiting: bool = False


def is_pre_due(level):
    return level.days < 0


NEVER_SENT = ItemHistory()


def escalation_level(levels, on_date, due_date, open_amount, history=NEVER_SENT, initial_key=None,
                     precision_digits=2):
    """The level an item gets on ``on_date``, or None. See the module notes for the rules."""
    if history.waiting:
        return None
    ordered = sorted(levels, key=lambda level: level.sequence)
    if not ordered:
        return None
    days = days_past_due(due_date, on_date)
    previous = next((level for level in ordered if level.key == history.last_key), None)
    if history.last_key is not None and previous is None:
        return None  # sent a level of another ladder: the new ladder starts when that history is cleared
    if previous is None:
        if days < 0:
            candidates = [level for level in ordered if is_pre_due(level)]
        else:
            initial = next((level for level in ordered if level.key == initial_key), None)
            candidates = [initial] if initial else [level for level in ordered if not is_pre_due(level)]
    else:
        after = ordered[ordered.index(previous) + 1:]
        # a reminder before the due date only while the item is not due yet: an overdue item goes on to the first
        # level after the due date
        candidates = after if days < 0 else [level for level in after if not is_pre_due(level)]
    if not candidates:
        return None
    candidate = candidates[0]
    if not is_reached(candidate, days, open_amount, precision_digits):
        return None
    if previous is not None and history.last_date is not None:
        gap = candidate.days - previous.days
        if (on_date - history.last_date).days < gap:
            return None
    return candidate


def notice_level(levels):
    """A customer's notice of a run is at the most severe level of its items."""
    return max(levels, key=lambda level: level.sequence) if levels else None


def escalation_sql(ladder, on_date, due_date, open_amount, last_key, last_sequence, last_days, last_date,
                   last_waiting, initial_key):
    """``escalation_level(...) is not None`` in SQL, over SQL expressions: the run's candidate query selects with it
    only the items the engine will give a level today (the gap rule included), so a second run the same day reads
    nothing. ``ladder`` is a subquery of the item's ladder with columns (id, sequence, days, min_overdue_amount);
    the ``last_*`` expressions describe the item's most severe level sent (``last_key`` NULL when none;
    ``last_sequence`` and ``last_days`` NULL when that level is not in this ladder; ``last_waiting`` true when its
    notice is not sent yet). ``open_amount`` may be more than the engine's (gross of credits): then the SQL selects
    a superset, which the engine narrows."""
    days = SQL("(%s - %s)", on_date, due_date)
    first_of_ladder = SQL(
        """CASE WHEN %(last_key)s IS NULL THEN
                     CASE WHEN %(days)s < 0 THEN candidate.days < 0
                          WHEN EXISTS (SELECT 1 FROM %(ladder)s initial WHERE initial.id = %(initial)s)
                               THEN candidate.id = %(initial)s
                          ELSE candidate.days >= 0 END
                ELSE candidate.sequence > %(last_sequence)s AND (%(days)s < 0 OR candidate.days >= 0) END""",
        last_key=last_key, days=days, ladder=ladder, initial=initial_key, last_sequence=last_sequence)
    return SQL(
        """(NOT COALESCE(%(waiting)s, FALSE)
            AND (%(last_key)s IS NULL OR %(last_sequence)s IS NOT NULL)
            AND EXISTS (
                SELECT 1
                  FROM (SELECT candidate.days, candidate.min_overdue_amount
                          FROM %(ladder)s candidate
                         WHERE %(first_of_ladder)s
                         ORDER BY candidate.sequence
                         LIMIT 1) next_level
                 WHERE %(reached)s
                   AND (%(last_key)s IS NULL OR %(last_date)s IS NULL
                        OR (%(on_date)s - %(last_date)s) >= next_level.days - %(last_days)s)))""",
        waiting=last_waiting, last_key=last_key, last_sequence=last_sequence, ladder=ladder,
        first_of_ladder=first_of_ladder, last_date=last_date, on_date=on_date, last_days=last_days,
        reached=is_reached_sql(SQL("next_level.days"), SQL("next_level.min_overdue_amount"), days, open_amount))
