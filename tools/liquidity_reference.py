"""Golden values for folio's square-root market impact, computed independently with pandas.

For a few fills of the bundled sample data (ticker, fill day, units), computes
    impact = k * sigma * sqrt(units / ADV) * units * price
with sigma the sample (ddof=1) standard deviation of the `vol_window` daily returns of adj_close
before the fill day and ADV the mean `volume` of the `adv_window` days before it, and writes
tests/fixtures/liquidity_reference.json (checked by tests/liquidity.rs).

Run: python3 tools/liquidity_reference.py   (needs pandas)
"""
import json
import math

import pandas as pd

K, VOL_WINDOW, ADV_WINDOW = 0.8, 20, 30
FILLS = [("AAPL", "2015-06-01", 100_000.0), ("KO", "2018-03-15", 50_000.0),
         ("GE", "2020-03-16", 2_000_000.0)]

data = pd.read_csv("data/sample_prices.csv", parse_dates=["date"])
out = []
for ticker, day, units in FILLS:
    d = data[data.ticker == ticker].sort_values("date").reset_index(drop=True)
    i = int(d.index[d.date == pd.Timestamp(day)][0])
    returns = d.adj_close.pct_change()
    sigma = returns.iloc[i - VOL_WINDOW:i].std(ddof=1)
    adv = d.volume.iloc[i - ADV_WINDOW:i].mean()
    price = d.adj_close.iloc[i]
    impact = K * sigma * math.sqrt(units / adv) * units * price
    out.append({"ticker": ticker, "date": day, "units": units, "price": price,
                "sigma": sigma, "adv": adv, "impact": impact})
with open("tests/fixtures/liquidity_reference.json", "w") as f:
    json.dump({"k": K, "vol_window": VOL_WINDOW, "adv_window": ADV_WINDOW, "fills": out}, f,
              indent=1)
print(json.dumps(out, indent=1))
