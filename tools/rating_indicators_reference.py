#!/usr/bin/env python3
"""Reference values of folio's rating indicators other than momentum, computed independently with
pandas and numpy on the prices of strategies/rating_conservative.toml over a short window.

Input: data/sp500_daily.parquet (adj_close for returns, raw close and volume for traded value) and
data/spy.csv (the benchmark), 2009-06-01 .. 2010-12-31 (the test runs folio with --from/--to set
to this window, so both start their history on the same day). For a few tickers, on each
quarterly decision day t (the first trading day of a quarter) with enough history:

    traded_value_63       mean over the last 63 days of close x volume
    zero_volume_share_63  share of the last 63 days with volume == 0
    volatility_126        std(ddof=1) of the last 126 daily returns x sqrt(252)
    max_drawdown_252      min over the last 253 prices p_k of p_k / max(p up to k) - 1
    beta_252              cov(r, r_SPY) / var(r_SPY) over the last 252 daily returns

(pandas rolling windows; the drawdown with numpy). The tickers are large caps plus those with
zero-volume days in the window (VIAC, WELL), so the zero-volume share is not always 0.
Writes tests/fixtures/rating_indicators_reference.json, compared by tests/rating.rs with the
ratings.csv folio writes for the same file and window.

Usage (from the repository root):
    /tmp/ppo/bin/pip install pandas==3.1.1 numpy==2.4.6 pyarrow==26.0.1
    /tmp/ppo/bin/python tools/rating_indicators_reference.py
"""

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow

ROOT = Path(__file__).resolve().parent.parent
DATA = "data/sp500_daily.parquet"
BENCH = "data/spy.csv"
OUT = "tests/fixtures/rating_indicators_reference.json"
FROM, TO = "2009-06-01", "2010-12-31"
TICKERS = ["AAPL", "KO", "XOM", "JPM", "VIAC", "WELL"]
YEAR = 252


def main():
    raw = pd.read_parquet(ROOT / DATA, columns=["date", "ticker", "close", "adj_close", "volume"])
    raw["date"] = pd.to_datetime(raw["date"])
    raw = raw[(raw["date"] >= FROM) & (raw["date"] <= TO)]
    calendar = pd.DatetimeIndex(sorted(raw["date"].unique()))
    raw = raw[raw["ticker"].isin(TICKERS)]
    wide = {c: raw.pivot(index="date", columns="ticker", values=c).reindex(calendar)[TICKERS]
            for c in ["close", "adj_close", "volume"]}
    for c, w in wide.items():
        if w.isna().any().any():
            sys.exit(f"{c}: missing values for {list(w.columns[w.isna().any()])}")
    adj, close = wide["adj_close"], wide["close"]
    volume = wide["volume"].astype(float)
    spy = pd.read_csv(ROOT / BENCH, parse_dates=["date"], index_col="date")["SPY"]
    spy = spy.reindex(calendar)
    if spy.isna().any():
        sys.exit("SPY lacks a date of the calendar")

    ret = adj.pct_change()
    spy_ret = spy.pct_change()
    ind = {
        "traded_value_63": (close * volume).rolling(63).mean(),
        "zero_volume_share_63": (volume == 0).astype(float).rolling(63).mean(),
        "volatility_126": ret.rolling(126).std(ddof=1) * np.sqrt(YEAR),
        "beta_252": ret.apply(lambda c: c.rolling(252).cov(spy_ret)).div(spy_ret.rolling(252).var(),
                                                                   axis=0),
    }
    p = adj.to_numpy()
    dd = np.full(p.shape, np.nan)
    for t in range(252, len(calendar)):
        w = p[t - 252:t + 1]
        dd[t] = np.min(w / np.maximum.accumulate(w, axis=0) - 1, axis=0)
    ind["max_drawdown_252"] = pd.DataFrame(dd, index=calendar, columns=TICKERS)

    quarter = calendar.to_period("Q")
    firsts = [i for i in range(len(calendar)) if i == 0 or quarter[i] != quarter[i - 1]]
    days = [i for i in firsts if i >= 252]  # every indicator defined
    values = {}
    if any(v.iloc[days].isna().any().any() for v in ind.values()):
        sys.exit("an indicator is undefined on a decision day")
    for i in days:
        d = str(calendar[i].date())
        values[d] = {t: {k: float(v.iloc[i][t]) for k, v in ind.items()} for t in TICKERS}
    zero = [(d, t) for d, row in values.items() for t, v in row.items()
            if v["zero_volume_share_63"] > 0]
    if not zero:
        sys.exit("no zero-volume share above 0: the check would be weak")

    out = {
        "generated_by": "tools/rating_indicators_reference.py",
        "versions": {"pandas": pd.__version__, "numpy": np.__version__,
                     "pyarrow": pyarrow.__version__},
        "strategy": "strategies/rating_conservative.toml",
        "from": FROM,
        "to": TO,
        "calendar_days": len(calendar),
        "values": values,
    }
    (ROOT / OUT).write_text(json.dumps(out, indent=1) + "\n")
    print(f"{len(calendar)} days, decision days {list(values)}, zero-volume shares > 0 at {zero}")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
