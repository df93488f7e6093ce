"""Pure revenue-recognition arithmetic: no ORM, plain values in and out (see ARCHITECTURE.md)."""
from .allocation import AllocationError, allocate_by_ssp
