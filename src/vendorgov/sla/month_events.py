"""Reading a month's service events for the measurement: every contract's in one query, typed
into the columns measure.measure_months() takes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from vendorgov import db
from vendorgov.settings import get_settings
from vendorgov.sla.measure import EVENT_COLUMNS, Month

# The events a month's measurement needs: those reported in the month, and those of the month
# before that were still open (no response or no resolution) when the month began, which a
# `_within` clause may measure in this month (measure.py). Done-before-the-month events of the
# previous month can never count, so they are not read.
_MONTH_EVENTS = (
    "SELECT contract, id, " + ", ".join(EVENT_COLUMNS) + " FROM service_event "
    "WHERE reported_at >= {} AND reported_at < {} AND (reported_at >= {} "
    "OR responded_at IS NULL OR responded_at >= {} OR resolved_at IS NULL OR resolved_at >= {})"
)


async def month_events(contract_ids: list[int], month: Month) -> pd.DataFrame:
    """The events of the contracts that the month can measure, as one DataFrame."""
    zone = get_settings().zone
    start = month.start_utc(zone).to_pydatetime()
    template = _MONTH_EVENTS
    args = [month.previous().start_utc(zone).to_pydatetime(), month.end_utc(zone).to_pydatetime()]
    args += [start] * 3
    if len(contract_ids) == 1:
        template += " AND contract = {}"
        args.append(contract_ids[0])
    # In chunks, each turned into typed columns before the next is read, so that the rows
    # never all exist as Python tuples at once: that made a ten times larger month take
    # fifteen times longer.
    frames = [_events_frame(rows, contract_ids) async for rows in db.fetch_chunks(template, *args)]
    return pd.concat(frames, ignore_index=True) if frames else _events_frame([], contract_ids)


def _shared(values: Sequence[str | None]) -> np.ndarray:
    """The values with one string object per distinct value: the driver makes one per row,
    and ten million rows hold a handful of categories."""
    codes, uniques = pd.factorize(np.array(values, dtype=object), use_na_sentinel=False)
    return uniques[codes]


def _events_frame(rows: list, contract_ids: list[int]) -> pd.DataFrame:
    """Typed columns of event rows. Categories and priorities stay Python strings: the
    measurement only tells them apart, and making a million of them Arrow strings (pandas'
    default) cost more than the rest of the measuring."""
    names = ["contract", "id", *EVENT_COLUMNS]
    # The rows as one 2-D object array, sliced into columns: numpy's loop in C, a quarter of
    # the time of zip(*rows), which also woke the garbage collector for every 700 tuples.
    table = np.array(rows, dtype=object) if len(rows) else np.empty((0, len(names)), object)
    values = {name: table[:, place] for place, name in enumerate(names)}
    frame = pd.DataFrame(
        {
            "contract": np.array(values["contract"], dtype=np.int64),
            "id": np.array(values["id"], dtype=np.int64),
            **{c: pd.Series(_shared(values[c]), dtype=object) for c in ("category", "priority")},
            **{
                c: pd.to_datetime(
                    pd.Series(values[c], dtype=object), utc=True, format="ISO8601", cache=False
                )
                for c in ("reported_at", "responded_at", "resolved_at")
            },
            "satisfaction": _numbers(values["satisfaction"]),
            "complaint": np.array(values["complaint"], dtype=bool),
        }
    )
    if len(contract_ids) > 1:
        frame = frame[frame["contract"].isin(contract_ids)]
    return frame


def _numbers(values: np.ndarray) -> np.ndarray:
    """Floats of an object column of numbers (int, float or Decimal), None as NaN."""
    return np.where(pd.isna(values), np.nan, values).astype(np.float64)
