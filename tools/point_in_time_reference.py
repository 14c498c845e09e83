#!/usr/bin/env python3
"""Independent reference for tests/point_in_time.rs: a small ragged universe, simulated by hand.

Four assets over eight days, written out in the CSV the test also loads:
  A  trades every day;
  B  lists on day 2 (no price before);
  C  delists after day 4 (its last price), while held;
  D  has a one-day gap on day 5 (filled with the day-4 price under `missing = "listed"`), and
     leaves the index on day 6 (membership end_date 2024-01-07 = first day out).

Strategy: an equal-weight index over the assets that are listed and members, bought on day 0,
rebalanced to equal weights whenever the set of eligible assets changes, at the same close,
without costs, from 1,000 of cash. A delisted position is closed at its last price (delisting
return 0). The script prints, per day: NAV, cash, units, and the trades, as JSON.

Run: python3 tools/point_in_time_reference.py > tests/fixtures/point_in_time_reference.json
"""
import json
import math

NAN = float("nan")
DATES = [f"2024-01-0{d}" for d in range(1, 9)]
TICKERS = ["A", "B", "C", "D"]
PRICES = [
    # A,   B,    C,    D
    [10.0, NAN, 20.0, 50.0],
    [11.0, NAN, 22.0, 50.0],
    [12.0, 30.0, 24.0, 55.0],
    [12.0, 33.0, 20.0, 55.0],
    [13.0, 33.0, 16.0, 60.0],
    [13.0, 36.0, NAN, NAN],  # C delisted; D's gap
    [14.0, 36.0, NAN, 66.0],
    [14.0, 40.0, NAN, 66.0],
]
MEMBER_UNTIL = {"D": 6}  # D is a member on days 0..5 only


def csv():
    rows = ["date,ticker,close"]
    for t, d in enumerate(DATES):
        for j, k in enumerate(TICKERS):
            p = PRICES[t][j]
            # C's rows stop after day 4; D's day-5 row is missing (a gap).
            if not math.isnan(p):
                rows.append(f"{d},{k},{p}")
    return "\n".join(rows) + "\n"


def simulate():
    # The gap inside D's interval is filled with the last price.
    prices = [row[:] for row in PRICES]
    prices[5][3] = prices[4][3]
    last_day = {"A": 7, "B": 7, "C": 4, "D": 7}
    first_day = {"A": 0, "B": 2, "C": 0, "D": 0}
    cash, units = 1000.0, [0.0] * 4
    eligible_before = None
    days, trades = [], []
    for t, d in enumerate(DATES):
        # Delisting: a position whose last price was yesterday is closed at that price.
        for j, k in enumerate(TICKERS):
            if last_day[k] == t - 1 and units[j] != 0.0:
                cash += units[j] * prices[t - 1][j]
                trades.append({"date": d, "ticker": k, "quantity": -units[j],
                               "price": prices[t - 1][j], "kind": "delisting"})
                units[j] = 0.0
        listed = [first_day[k] <= t <= last_day[k] for k in TICKERS]
        member = [t < MEMBER_UNTIL.get(k, 99) for k in TICKERS]
        eligible = [l and m for l, m in zip(listed, member)]
        if eligible != eligible_before:
            nav = cash + sum(u * prices[t][j] for j, u in enumerate(units) if u != 0.0)
            n = sum(eligible)
            target = [nav / n if e else 0.0 for e in eligible]
            # Sells first, then buys (no costs, so the order does not change the numbers).
            for selling in (True, False):
                for j, k in enumerate(TICKERS):
                    value = units[j] * prices[t][j] if units[j] != 0.0 else 0.0
                    delta = target[j] - value
                    if (delta < 0) == selling and abs(delta) > 1e-10 * nav:
                        q = -units[j] if target[j] == 0.0 else delta / prices[t][j]
                        cash -= q * prices[t][j]
                        units[j] += q
                        trades.append({"date": d, "ticker": k, "quantity": q,
                                       "price": prices[t][j], "kind": "order"})
            eligible_before = eligible
        nav = cash + sum(u * prices[t][j] for j, u in enumerate(units) if u != 0.0)
        days.append({"date": d, "nav": nav, "cash": cash, "units": units[:],
                     "weights": [(u * prices[t][j] / nav if u != 0.0 else 0.0)
                                 for j, u in enumerate(units)]})
    return days, trades


if __name__ == "__main__":
    days, trades = simulate()
    membership = "ticker,start_date,end_date\nA,2020-01-01,\nB,2020-01-01,\nC,2020-01-01,\nD,2020-01-01,2024-01-07\n"
    print(json.dumps({"prices_csv": csv(), "membership_csv": membership,
                      "days": days, "trades": trades}, indent=1))
