from piccolo.columns import Date, Integer, Timestamptz, Varchar
from piccolo.table import Table


class CalendarDay(Table, tablename="calendar_day"):
    """A day that is not what its weekday says (§3a): a public holiday on a weekday, or a make-up
    working day (调休) on a weekend. Days not listed follow Monday to Friday."""

    day = Date(unique=True)
    kind = Varchar(length=10)  # holiday, workday
    name = Varchar(length=100, default="")
    # package: seeded from chinese_calendar; admin: set or changed by an administrator.
    source = Varchar(length=10, default="package")
    updated_by = Varchar(length=150, default="")
    updated_at = Timestamptz()


class CalendarYear(Table, tablename="calendar_year"):
    """A year whose days have been seeded from the package, so that an administrator's later
    changes (a day removed included) are never seeded over."""

    year = Integer(unique=True)
    seeded_at = Timestamptz()
    package_days = Integer(default=0)
