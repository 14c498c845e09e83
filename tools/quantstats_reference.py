#!/usr/bin/env python3
"""Reference values for folio's tearsheet figures, computed independently with quantstats.

Writes tests/fixtures/quantstats_reference.json: for several real daily return series taken
from data/ (with their dates), the inputs and what quantstats (and pandas / scipy where
quantstats has no such figure or a different convention, as noted) says of them.
tests/tearsheet_reference.rs feeds the same inputs to folio::metrics::Tearsheet and compares.

Conventions (see src/metrics/tearsheet.rs):
- period returns: quantstats' comp() of the days on or after the window start (the first of
  the month / year, or the last day less k months by dateutil's relativedelta, as quantstats
  does); a k-month window is None when the series starts after the window does. 3Y/5Y/10Y are
  annualised as (1 + R)^(252 / n) - 1 (quantstats uses 35 and 59 months and calendar years).
- best / worst / win rates: quantstats with aggregate "ME" / "YE" (calendar month and year).
- longest drawdown / recovery (trading days): quantstats' drawdown_details gives each
  drawdown's first and last underwater day; folio counts from the peak (the day before the
  first underwater day, or the initial capital) to the first day back at the peak.
- Ulcer index: quantstats' ulcer_index; Omega: quantstats' omega with required_return = the
  annual risk-free rate; gain to pain, tail ratio, skew, kurtosis: quantstats.
- probabilistic Sharpe ratio: Bailey & Lopez de Prado with scipy's population moments on
  the daily excess returns over the risk-free rate (quantstats' own subtracts 3 from an
  already-excess kurtosis).

Usage (from the repository root):
    python3 -m venv /tmp/qsvenv && /tmp/qsvenv/bin/pip install quantstats scipy pandas numpy
    /tmp/qsvenv/bin/python tools/quantstats_reference.py
"""

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import quantstats as qs
from dateutil.relativedelta import relativedelta
from scipy import stats

warnings.filterwarnings("ignore")

ROOT = Path(__file__).resolve().parent.parent
DAYS = 252


def clean(x):
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else x


def daily_rate(annual):
    return (1.0 + annual) ** (1.0 / DAYS) - 1.0


def window(r, months, annual):
    last = r.index[-1]
    start = last - relativedelta(months=months)
    if r.index[0] > start:
        return None
    part = r[r.index >= start]
    total = qs.stats.comp(part)
    if annual:
        return (1.0 + total) ** (DAYS / len(part)) - 1.0
    return total


def drawdown_days(r):
    """Longest drawdown (peak to recovery or end) and longest recovery (trough to recovery),
    in trading days, from quantstats' drawdown_details: its `start` is the first day under
    water (the peak is the close before, or the initial capital), `valley` the trough and
    `end` the last day under water (the series' last day if it has not recovered)."""
    dd = qs.stats.to_drawdown_series(r)
    details = qs.stats.drawdown_details(dd)
    pos = {d: i for i, d in enumerate(r.index)}
    n = len(r)
    longest, recovery = 0, None
    for _, row in details.iterrows():
        s, v, e = (pos[pd.Timestamp(row[k])] for k in ("start", "valley", "end"))
        recovered = e + 1 < n and dd.iloc[e + 1] == 0
        longest = max(longest, (e + 2 - s) if recovered else (n - s))
        if recovered:
            recovery = max(recovery or 0, e - v + 1)
    return longest, recovery


def psr(returns, rf_daily):
    x = np.asarray(returns) - rf_daily
    n = len(x)
    sr = x.mean() / x.std(ddof=1)
    g3 = stats.skew(x)
    g4 = stats.kurtosis(x, fisher=False)
    return stats.norm.cdf(sr * math.sqrt(n - 1) / math.sqrt(1 - g3 * sr + (g4 - 1) / 4 * sr * sr))


def figures(r, rf):
    rf_d = daily_rate(rf)
    last = r.index[-1]
    months = qs.utils.aggregate_returns(r, "ME")
    years = qs.utils.aggregate_returns(r, "YE")
    longest, recovery = drawdown_days(r)
    return {
        "mtd": qs.stats.comp(r[r.index >= last.replace(day=1)]),
        "return_3m": window(r, 3, False),
        "return_6m": window(r, 6, False),
        "ytd": qs.stats.comp(r[r.index >= last.replace(month=1, day=1)]),
        "return_1y": window(r, 12, False),
        "return_3y_annual": window(r, 36, True),
        "return_5y_annual": window(r, 60, True),
        "return_10y_annual": window(r, 120, True),
        "best_day": qs.stats.best(r),
        "worst_day": qs.stats.worst(r),
        "best_month": months.max(),
        "worst_month": months.min(),
        "best_year": years.max(),
        "worst_year": years.min(),
        "win_rate_day": qs.stats.win_rate(r),
        "win_rate_month": qs.stats.win_rate(r, aggregate="ME"),
        "win_rate_year": qs.stats.win_rate(r, aggregate="YE"),
        "longest_drawdown_days": longest,
        "longest_recovery_days": recovery,
        "skew": qs.stats.skew(r),
        "kurtosis": qs.stats.kurtosis(r),
        "tail_ratio": qs.stats.tail_ratio(r),
        "omega": qs.stats.omega(r, rf=0.0, required_return=rf),
        "ulcer_index": qs.stats.ulcer_index(r),
        "gain_to_pain": qs.stats.gain_to_pain_ratio(r),
        "probabilistic_sharpe": psr(r.values, rf_d),
    }


def main():
    prices = pd.read_csv(ROOT / "data" / "sample_prices.csv", parse_dates=["date"])
    wide = prices.pivot(index="date", columns="ticker", values="adj_close")
    spy = pd.read_csv(ROOT / "data" / "spy.csv", parse_dates=["date"]).set_index("date")["SPY"]
    series = {
        "AAPL": wide["AAPL"].pct_change(),
        "KO": wide["KO"].pct_change(),
        "equal_weight_5": wide[["JPM", "XOM", "PFE", "GE", "T"]].pct_change().mean(axis=1),
        "SPY": spy.pct_change(),
    }
    cases = []
    for name, start, end, rf in [
        ("AAPL", "2010-01-05", "2021-04-21", 0.0),
        ("KO", "2017-03-01", "2021-04-21", 0.02),
        ("equal_weight_5", "2012-06-15", "2020-11-30", 0.01),
        ("SPY", "2019-07-01", "2020-12-31", 0.0),
    ]:
        r = series[name].loc[start:end].dropna()
        cases.append({
            "name": name,
            "risk_free_rate": rf,
            "dates": [d.strftime("%Y-%m-%d") for d in r.index],
            "returns": [float(x) for x in r.values],
            "expected": {k: clean(v) for k, v in figures(r, rf).items()},
        })
    out = ROOT / "tests" / "fixtures" / "quantstats_reference.json"
    out.write_text(json.dumps({
        "made_by": "tools/quantstats_reference.py",
        "quantstats": qs.__version__,
        "cases": cases,
    }, indent=1) + "\n")
    print(f"wrote {out} ({len(cases)} cases)")


if __name__ == "__main__":
    main()
