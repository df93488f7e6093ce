"""Pure revenue-recognition arithmetic: no ORM, plain values in and out (see docs/architecture.md)."""
from .allocation import AllocationError, allocate_by_ssp
from .schedule import (
    METHODS,
    ScheduleEntry,
    ScheduleError,
    build_schedule,
    point_in_time,
    ratable_daily,
    ratable_monthly,
    ratable_with_gaps,
    split_exact,
    term_end,
)
from .position import MeasuredPosition, contract_position_moves, measure_position_moves, split_company
from .delivery import delivered_target, delivery_release
from .change import allocate_change, progress_release, rescale_remaining
from .entry import IncomeAmount, IncomeItem, summarise_income
