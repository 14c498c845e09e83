#!/usr/bin/env python3
"""Reference fills and NAV for folio's `next_open` execution, computed with numpy and pandas.

A hand-built table of two assets over six days, with opening and closing prices, and a script of
orders decided at a close (day -> list of (asset, units)). Under `next_open` an order decided at the
close of day t fills at the OPEN of day t + 1; the fill price is the open times (1 + slippage) for a
buy, (1 − slippage) for a sale; the commission is commission_bps of the traded value at the fill
price plus a fixed fee per fill; cash falls by units × fill price + commission. NAV at each close is
cash + Σ units × close, and the daily return r_t = NAV_t / NAV_{t−1} − 1 with NAV_{−1} the initial
cash. An order decided on the last day never fills.

The table, orders and costs are written with the expected fills, NAV and returns to
tests/fixtures/next_open_reference.json, which tests/next_open.rs feeds to folio's engine.

Usage (from the repository root): python3 tools/next_open_reference.py   (numpy, pandas)
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
OUT = "tests/fixtures/next_open_reference.json"

DATES = pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05",
                        "2024-01-08", "2024-01-09"])
TICKERS = ["AAA", "BBB"]
OPEN = np.array([[10.0, 50.0], [10.4, 49.0], [11.1, 47.5], [10.8, 48.2],
                 [10.2, 51.0], [10.9, 52.3]])
CLOSE = np.array([[10.2, 49.5], [10.9, 48.0], [11.0, 47.9], [10.5, 49.8],
                  [10.6, 51.6], [11.3, 52.0]])
# decided at the close of day: [(asset, units)]
ORDERS = {0: [(0, 300.0), (1, 80.0)], 2: [(0, -120.0), (1, 25.0)], 3: [(1, -105.0)],
          5: [(0, 10.0)]}
INITIAL_CASH = 10_000.0
COMMISSION_BPS = 10.0
SLIPPAGE_BPS = 5.0
FIXED_FEE = 1.0


def main():
    n_days, n_assets = CLOSE.shape
    slip, comm = SLIPPAGE_BPS * 1e-4, COMMISSION_BPS * 1e-4
    cash = INITIAL_CASH
    units = np.zeros(n_assets)
    trades = []
    nav = []
    for t in range(n_days):
        for asset, q in ORDERS.get(t - 1, []):
            price = OPEN[t, asset] * (1 + slip if q > 0 else 1 - slip)
            commission = abs(q) * price * comm + FIXED_FEE
            cash -= q * price + commission
            units[asset] += q
            trades.append({"date": str(DATES[t].date()), "asset": asset, "quantity": q,
                           "price": price, "commission": commission})
        nav.append(cash + units @ CLOSE[t])
    nav = pd.Series(nav, index=DATES)
    returns = nav / nav.shift(1, fill_value=INITIAL_CASH) - 1
    out = {
        "generated_by": "tools/next_open_reference.py",
        "versions": {"numpy": np.__version__, "pandas": pd.__version__},
        "dates": [str(d.date()) for d in DATES],
        "tickers": TICKERS,
        "open": OPEN.tolist(),
        "close": CLOSE.tolist(),
        "orders": {str(k): [[a, q] for a, q in v] for k, v in ORDERS.items()},
        "initial_cash": INITIAL_CASH,
        "commission_bps": COMMISSION_BPS,
        "slippage_bps": SLIPPAGE_BPS,
        "fixed_fee": FIXED_FEE,
        "trades": trades,
        "nav": nav.tolist(),
        "returns": returns.tolist(),
    }
    (ROOT / OUT).write_text(json.dumps(out, indent=1) + "\n")
    print(nav.to_string())
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
