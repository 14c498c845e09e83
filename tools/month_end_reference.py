"""Golden rebalance days of the month-end schedule, from pandas (an independent implementation).

A month-end schedule is due on the last trading day of each month: the last date of each
calendar month in the calendar (pandas groups the dates by their `M` period and takes the
largest). At the calendar's end, where the next trading day is unknown, the last date counts only
if it is a business month end (`pandas.offsets.BMonthEnd().is_on_offset`): no weekday of its
month follows it. The calendar is data/spy.csv's dates from 2017-11-15; March 2018's last weekday,
2018-03-30, was Good Friday (markets closed), so its last trading day is the 29th. Two ends are
checked: 2018-06-14 (mid-month: not due) and 2018-06-29 (June's last weekday: due).

Run:  python tools/month_end_reference.py > tests/fixtures/month_end_reference.json
"""

import json

import pandas as pd

spy = pd.read_csv("data/spy.csv", parse_dates=["date"])["date"]
cases = []
for end in ["2018-06-14", "2018-06-29"]:
    dates = spy[(spy >= "2017-11-15") & (spy <= end)].reset_index(drop=True)
    months = dates.dt.to_period("M")
    last = dates.groupby(months).max()
    # The calendar's final month is complete only if its last date is a business month end.
    final = dates.iloc[-1]
    if not pd.offsets.BMonthEnd().is_on_offset(final):
        last = last.iloc[:-1]
    due = [int(i) for i in dates.index[dates.isin(set(last))]]
    cases.append({
        "from": str(dates.iloc[0].date()),
        "to": str(dates.iloc[-1].date()),
        "days": len(dates),
        "month_end_due": due,
        "month_end_dates": [str(d.date()) for d in dates[due]],
    })
print(json.dumps(cases, indent=1))
