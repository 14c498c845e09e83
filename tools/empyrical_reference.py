#!/usr/bin/env python3
"""Reference values for folio's metrics, computed independently with empyrical-reloaded.

Writes tests/fixtures/empyrical_reference.json: for several real daily return series taken
from data/ (and their SPY benchmark returns), the inputs and what empyrical says of them.
tests/metrics_reference.rs feeds the same inputs to folio and compares (relative error 1e-9).

It also writes the NAV of a zero-cost, equal-weight buy-and-hold of the 23 tickers of
strategies/buy_and_hold.toml, computed by the textbook formula
    NAV_t = sum_i (cash_0 / n) * P_i,t / P_i,0
with pandas, which tests/cli.rs compares to `folio run ... --execution same_close`.

Usage (from the repository root):
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install empyrical-reloaded pandas numpy
    /tmp/venv/bin/python tools/empyrical_reference.py
"""

import json
import math
import sys
from pathlib import Path

import empyrical as ep
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
DAYS = 252
TICKERS_23 = ["AAPL", "MSFT", "AMZN", "GOOGL", "JPM", "XOM", "JNJ", "PG", "KO", "PFE", "WMT",
              "INTC", "CSCO", "ORCL", "IBM", "GE", "MRK", "PEP", "HD", "BAC", "CVX", "T", "DIS"]


def daily_rate(annual):
    return (1.0 + annual) ** (1.0 / DAYS) - 1.0


def clean(x):
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else x


def expected(r, b, rf_annual):
    rf = daily_rate(rf_annual)
    r = np.asarray(r, dtype=float)
    b = np.asarray(b, dtype=float)
    active = r - b
    return {
        "total_return": clean(ep.cum_returns_final(r)),
        "cagr": clean(ep.annual_return(r)),
        "annual_volatility": clean(ep.annual_volatility(r)),
        "sharpe": clean(ep.sharpe_ratio(r, risk_free=rf)),
        "sortino": clean(ep.sortino_ratio(r, required_return=rf)),
        "max_drawdown": clean(ep.max_drawdown(r)),
        "calmar": clean(ep.calmar_ratio(r)),
        "var_95": clean(ep.value_at_risk(r, cutoff=0.05)),
        "cvar_95": clean(ep.conditional_value_at_risk(r, cutoff=0.05)),
        "beta": clean(ep.beta(r, b, risk_free=rf)),
        "alpha": clean(ep.alpha(r, b, risk_free=rf)),
        # empyrical has no tracking error; this is numpy's sample std of active returns.
        "tracking_error": clean(np.std(active, ddof=1) * np.sqrt(DAYS)),
        # empyrical's excess Sharpe is per period; annualised by sqrt(252).
        "information_ratio": clean(ep.excess_sharpe(r, b) * np.sqrt(DAYS)),
    }


def main():
    prices = pd.read_csv(ROOT / "data/sample_prices.csv", parse_dates=["date"])
    wide = prices.pivot(index="date", columns="ticker", values="adj_close").sort_index()
    spy = pd.read_csv(ROOT / "data/spy.csv", parse_dates=["date"]).set_index("date")["SPY"]

    def case(name, px, rf_annual):
        px = px.dropna()
        bench = spy.reindex(px.index)
        assert not bench.isna().any(), f"SPY lacks dates of {name}"
        r = px.pct_change().iloc[1:].to_numpy()
        b = bench.pct_change().iloc[1:].to_numpy()
        return {
            "name": name,
            "risk_free_rate": rf_annual,
            "returns": r.tolist(),
            "benchmark": b.tolist(),
            "expected": expected(r, b, rf_annual),
        }

    # Zero-cost equal-weight buy-and-hold, textbook formula.
    p23 = wide[TICKERS_23].loc["2010-01-04":"2021-04-21"]
    assert not p23.isna().any().any()
    cash0 = 1_000_000.0
    nav = (cash0 / len(TICKERS_23) * p23 / p23.iloc[0]).sum(axis=1)

    cases = [
        case("AAPL 2010-2021 vs SPY, rf 0", wide["AAPL"], 0.0),
        case("XOM 2010-2021 vs SPY, rf 2%", wide["XOM"], 0.02),
        case("GOOG 2014-2021 (late listing) vs SPY, rf 1%", wide["GOOG"], 0.01),
        case("equal-weight buy-and-hold of 23 names vs SPY, rf 3%", nav, 0.03),
        case("GE first 30 days vs SPY, rf 0", wide["GE"].iloc[:31], 0.0),
        case("KO 2 days vs SPY, rf 0", wide["KO"].iloc[:3], 0.0),
    ]
    out = {
        "generator": "tools/empyrical_reference.py",
        "versions": {
            "empyrical-reloaded": getattr(ep, "__version__", "unknown"),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "python": sys.version.split()[0],
        },
        "periods_per_year": DAYS,
        "cases": cases,
        "buy_and_hold_23": {
            "tickers": TICKERS_23,
            "initial_cash": cash0,
            "dates": [d.strftime("%Y-%m-%d") for d in nav.index],
            "nav": nav.tolist(),
        },
    }
    path = ROOT / "tests/fixtures/empyrical_reference.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path.relative_to(ROOT)}: {len(cases)} cases")


if __name__ == "__main__":
    main()
