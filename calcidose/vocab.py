"""Constants shared across calcidose's layers, defined once.

(``units`` keeps its own copy of the Julian year for its registry; it is the base of every
quantity and imports nothing of calcidose.)
"""

from __future__ import annotations

from typing import Final

#: Days in a year: the Julian year, as UCUM's ``a`` and pint define it (an age in years, times
#: this, is the age in days that the tables' age bounds are compared with).
DAYS_PER_YEAR: Final = 365.25
