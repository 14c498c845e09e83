#!/usr/bin/env python3
"""Reference hedge ratios and z-scores for folio's statistical arbitrage, computed independently
with statsmodels and pandas on the prices of strategies/arbitrage_fox_foxa.toml.

Input: data/sp500_daily.parquet, adj_close of FOX (leg A) and FOXA (leg B), 2019-03-13 ..
2021-04-21 (the strategy file's window; folio's default price column is adj_close). With
lookback L = 40, on each day t with at least L prices:

    beta_t  = slope of statsmodels RollingOLS(P_A, add_constant(P_B), window=L) at t
              (checked against pandas: rolling cov(P_A, P_B) / rolling var(P_B), to 1e-9 relative)
    s_k     = P_A,k − beta_t · P_B,k  for the L days k of the window ending at t
    z_t     = (s_t − mean(s)) / std(s, ddof=1)

as described in src/strategy/arbitrage.rs (the spread of the whole window with today's beta).
Writes tests/fixtures/arbitrage_reference.json (dates, beta, z; null while the window is short),
which tests/arbitrage.rs compares with folio's signal.csv and the hedge of each entry's trades.

Usage (from the repository root):
    /tmp/ppo/bin/pip install statsmodels==0.15.0 pandas==3.1.1 numpy==2.4.6 pyarrow==26.0.1
    /tmp/ppo/bin/python tools/arbitrage_reference.py
"""

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow
import statsmodels
import statsmodels.api as sm
from statsmodels.regression.rolling import RollingOLS

ROOT = Path(__file__).resolve().parent.parent
DATA = "data/sp500_daily.parquet"
OUT = "tests/fixtures/arbitrage_reference.json"
A, B = "FOX", "FOXA"
FROM, TO = "2019-03-13", "2021-04-21"
LOOKBACK = 40


def main():
    raw = pd.read_parquet(ROOT / DATA, columns=["date", "ticker", "adj_close"])
    raw = raw[raw["ticker"].isin([A, B])]
    raw["date"] = pd.to_datetime(raw["date"])
    wide = raw.pivot(index="date", columns="ticker", values="adj_close").sort_index()
    wide = wide.loc[FROM:TO]
    if wide.isna().any().any():
        sys.exit("missing prices in the window")
    y, x = wide[A], wide[B]

    fit = RollingOLS(y, sm.add_constant(x), window=LOOKBACK).fit()
    beta = fit.params[B]
    check = y.rolling(LOOKBACK).cov(x) / x.rolling(LOOKBACK).var()
    ok = beta.notna()
    err = float(np.max(np.abs(beta[ok] - check[ok]) / np.abs(check[ok])))
    if err > 1e-9 or not ok.equals(check.notna()):
        sys.exit(f"statsmodels and pandas disagree on beta ({err:.1e})")

    z = pd.Series(np.nan, index=wide.index)
    for t in range(LOOKBACK - 1, len(wide)):
        b = beta.iloc[t]
        s = y.iloc[t + 1 - LOOKBACK:t + 1] - b * x.iloc[t + 1 - LOOKBACK:t + 1]
        z.iloc[t] = (s.iloc[-1] - s.mean()) / s.std(ddof=1)

    def values(series):
        return [None if np.isnan(v) else float(v) for v in series]

    out = {
        "generated_by": "tools/arbitrage_reference.py",
        "versions": {"statsmodels": statsmodels.__version__, "pandas": pd.__version__,
                     "numpy": np.__version__, "pyarrow": pyarrow.__version__},
        "data": DATA,
        "strategy": "strategies/arbitrage_fox_foxa.toml",
        "pair": [A, B],
        "lookback": LOOKBACK,
        "dates": [str(d.date()) for d in wide.index],
        "beta": values(beta),
        "z_score": values(z),
    }
    (ROOT / OUT).write_text(json.dumps(out, indent=1) + "\n")
    print(f"{len(wide)} days, beta {beta.min():.4f} .. {beta.max():.4f}, "
          f"|z| > 2 on {(z.abs() > 2).sum()} days; wrote {OUT}")


if __name__ == "__main__":
    main()
