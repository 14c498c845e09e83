#!/usr/bin/env python3
"""Reference values of folio's numeric kernels (src/numeric.rs), computed independently with
numpy, pandas and statsmodels on real prices from data/.

Input: data/sample_prices.csv (adj_close of AAPL, JNJ and XOM, the first 300 trading days) and
data/spy.csv (SPY on the same dates, the x of the regressions). For each ticker:

    prices            the adjusted closes (the input folio reads)
    simple_returns    pandas pct_change (without the leading NaN)
    mean              numpy mean of the returns
    sample_variance   numpy var(ddof=1) of the returns
    sample_std        numpy std(ddof=1)
    rolling_mean_20   pandas rolling(20).mean() of the returns (NaN until the window is full)
    rolling_std_20    pandas rolling(20).std(ddof=1)
    ols               statsmodels OLS of the returns on a constant and SPY's returns:
                      params (alpha, beta)
    rolling_beta_60   pandas rolling(60) cov(r, spy) / var(spy)
    max_drawdown      min of p / cummax(p) - 1 (numpy)
    drawdown          p / cummax(p) - 1 at each day (numpy)
    normalised        w / w.sum() of the last prices taken as weights (numpy)

and a few edge cases: a constant series (variance 0) and weights with a zero sum.
Writes tests/fixtures/numeric_reference.json, compared by tests/numeric_reference.rs.

Usage (from the repository root):
    python3 -m venv /tmp/numvenv
    /tmp/numvenv/bin/pip install numpy==2.4.6 pandas==3.1.1 statsmodels==0.15.0
    /tmp/numvenv/bin/python tools/numeric_reference.py
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels
import statsmodels.api as sm

ROOT = Path(__file__).resolve().parent.parent
PRICES = "data/sample_prices.csv"
BENCH = "data/spy.csv"
OUT = "tests/fixtures/numeric_reference.json"
TICKERS = ["AAPL", "JNJ", "XOM"]
DAYS = 300
WINDOW = 20
BETA_WINDOW = 60


def floats(x):
    """A list of floats with NaN as None (JSON null)."""
    return [None if np.isnan(v) else float(v) for v in np.asarray(x, dtype=float)]


def main():
    raw = pd.read_csv(ROOT / PRICES, parse_dates=["date"])
    wide = raw.pivot(index="date", columns="ticker", values="adj_close")[TICKERS].iloc[:DAYS]
    if wide.isna().any().any():
        raise SystemExit("a ticker lacks a price on one of the first days")
    spy = pd.read_csv(ROOT / BENCH, parse_dates=["date"], index_col="date")["SPY"]
    spy = spy.reindex(wide.index)
    if spy.isna().any():
        raise SystemExit("SPY lacks a date of the calendar")
    spy_ret = spy.pct_change().iloc[1:]

    cases = []
    for t in TICKERS:
        p = wide[t]
        r = p.pct_change().iloc[1:]
        values = p.to_numpy()
        peak = np.maximum.accumulate(values)
        fit = sm.OLS(r.to_numpy(), sm.add_constant(spy_ret.to_numpy())).fit()
        beta = r.rolling(BETA_WINDOW).cov(spy_ret) / spy_ret.rolling(BETA_WINDOW).var()
        weights = values[-5:]
        cases.append({
            "name": t,
            "prices": floats(values),
            "benchmark_returns": floats(spy_ret),
            "simple_returns": floats(r),
            "mean": float(np.mean(r)),
            "sample_variance": float(np.var(r, ddof=1)),
            "sample_std": float(np.std(r, ddof=1)),
            "window": WINDOW,
            "rolling_mean": floats(r.rolling(WINDOW).mean()),
            "rolling_std": floats(r.rolling(WINDOW).std(ddof=1)),
            "ols_alpha": float(fit.params[0]),
            "ols_beta": float(fit.params[1]),
            "beta_window": BETA_WINDOW,
            "rolling_beta": floats(beta),
            "drawdown": floats(values / peak - 1),
            "max_drawdown": float(np.min(values / peak - 1)),
            "weights": floats(weights),
            "normalised": floats(weights / weights.sum()),
        })
    constant = np.full(7, 0.1)
    out = {
        "source": "tools/numeric_reference.py (numpy %s, pandas %s, statsmodels %s)"
        % (np.__version__, pd.__version__, statsmodels.__version__),
        "cases": cases,
        "constant": {
            "values": floats(constant),
            "sample_variance": float(np.var(constant, ddof=1)),
        },
    }
    (ROOT / OUT).write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {OUT}: {len(cases)} cases")


if __name__ == "__main__":
    main()
