#!/usr/bin/env python3
"""Independent reference for tests/raw_prices.rs: raw prices with corporate actions, on the
bundled data, computed with pandas.

Five names with splits and dividends (AAPL, KO, JNJ, XOM, MSFT), 2012-01-03 .. 2015-12-31,
1,000,000 of cash bought in equal parts (200,000 each) at the first close, no costs.

- `nav_raw_drip`: the portfolio on raw `close`, with each split coefficient (snapped to the
  nearest ratio p/q, q <= 10, with fractions.Fraction.limit_denominator) multiplying the units,
  and each cash dividend (units held at the previous close x dividend) reinvested in the same
  name at the ex-date's close, without costs: what folio's `prices = "raw"` with
  `reinvest_dividends = true` should give.
- `nav_adjusted`: the textbook buy-and-hold on `adj_close`: sum_i 200,000 x adj_i,t / adj_i,0.
- `vendor`: how the vendor's adj_close treats a dividend, measured: on each ex-date, the
  adj_close return is compared with (a) the total return of reinvesting at the ex-date close,
  (close_t + d) / close_{t-1} - 1, and (b) the CRSP/Yahoo back-adjustment, which scales earlier
  prices by 1 - d / close_{t-1} and so gives close_t / (close_{t-1} - d) - 1.

Usage (from the repository root):
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install pandas pyarrow numpy
    /tmp/venv/bin/python tools/raw_prices_reference.py > tests/fixtures/raw_prices_reference.json
"""

import json
import sys
from fractions import Fraction

import numpy as np
import pandas as pd

TICKERS = ["AAPL", "KO", "JNJ", "XOM", "MSFT"]
FROM, TO = "2012-01-03", "2015-12-31"
CASH = 1_000_000.0


def snap(c):
    f = Fraction(c).limit_denominator(10)
    return float(f) if abs(c - float(f)) <= 1e-5 * float(f) else c


def main():
    df = pd.read_parquet(
        "data/sp500_daily.parquet",
        columns=["date", "ticker", "close", "adj_close", "split", "dividend"],
    )
    df["date"] = pd.to_datetime(df["date"])
    df = df[df.ticker.isin(TICKERS) & (df.date >= FROM) & (df.date <= TO)]
    wide = lambda c: df.pivot(index="date", columns="ticker", values=c)[TICKERS]
    close, adj, split, div = wide("close"), wide("adj_close"), wide("split"), wide("dividend")
    assert not close.isna().any().any(), "every name trades every day of the window"

    per_name = CASH / len(TICKERS)
    drip = pd.DataFrame(index=close.index, columns=TICKERS, dtype=float)
    for t in TICKERS:
        units = per_name / close[t].iloc[0]
        for k in range(len(close)):
            if k > 0:
                cash = units * div[t].iloc[k]
                units *= snap(split[t].iloc[k])
                units += cash / close[t].iloc[k]
            drip.iloc[k, TICKERS.index(t)] = units * close[t].iloc[k]
    nav_drip = drip.sum(axis=1)
    nav_adj = (per_name * adj / adj.iloc[0]).sum(axis=1)

    r_drip, r_adj = nav_drip.pct_change().iloc[1:], nav_adj.pct_change().iloc[1:]
    gap = (r_drip - r_adj).abs()
    worst = gap.idxmax()

    # The vendor's dividend method, on every ex-date of the five names.
    ex_drip, ex_crsp = [], []
    for t in TICKERS:
        for k in range(1, len(close)):
            d = div[t].iloc[k]
            if d == 0:
                continue
            c0, c1 = close[t].iloc[k - 1], close[t].iloc[k]
            vendor = adj[t].iloc[k] / adj[t].iloc[k - 1] - 1
            ex_drip.append(abs(vendor - ((c1 + d) / c0 - 1)))
            ex_crsp.append(abs(vendor - (c1 / (c0 - d) - 1)))

    json.dump(
        {
            "tickers": TICKERS,
            "from": FROM,
            "to": TO,
            "initial_cash": CASH,
            "dates": [d.strftime("%Y-%m-%d") for d in close.index],
            "nav_raw_drip": nav_drip.tolist(),
            "nav_adjusted": nav_adj.tolist(),
            "largest_daily_return_gap": float(gap.max()),
            "largest_daily_return_gap_date": worst.strftime("%Y-%m-%d"),
            "largest_gap_before_it": float(gap[gap.index < worst].max()),
            "largest_gap_after_it": float(gap[gap.index > worst].max()),
            "final_nav_relative_gap": float(nav_drip.iloc[-1] / nav_adj.iloc[-1] - 1),
            "vendor": {
                "ex_dates": len(ex_drip),
                "largest_gap_to_reinvesting_at_the_ex_date_close": float(np.max(ex_drip)),
                "largest_gap_to_crsp_back_adjustment": float(np.max(ex_crsp)),
                "aapl_split_2014_06_09_as_stored": float(
                    split.loc["2014-06-09", "AAPL"]
                ),
            },
        },
        sys.stdout,
        indent=1,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
