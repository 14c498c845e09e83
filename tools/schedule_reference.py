"""Golden rebalance days of the weekly schedule, from pandas (an independent implementation).

A weekly schedule is due on the first trading day of each week (weeks start on Monday, as
pandas' `W-SUN` periods do, which end on Sunday) and on the calendar's first day. The calendar is
data/spy.csv's dates from 2019-12-02 to 2020-03-31 (a holiday Monday, 2020-01-20 and 2020-02-17,
falls in it, so some weeks start on a Tuesday).

Run:  python tools/schedule_reference.py > tests/fixtures/schedule_reference.json
"""

import json

import pandas as pd

dates = pd.read_csv("data/spy.csv", parse_dates=["date"])["date"]
dates = dates[(dates >= "2019-12-02") & (dates <= "2020-03-31")].reset_index(drop=True)
weeks = dates.dt.to_period("W-SUN")
due = [0] + [t for t in range(1, len(dates)) if weeks[t] != weeks[t - 1]]
print(json.dumps({
    "from": str(dates.iloc[0].date()),
    "to": str(dates.iloc[-1].date()),
    "days": len(dates),
    "weekly_due": due,
}, indent=1))
