"""Golden cost basis of a position through buys, adds, partial sells, a split, a dividend and a
flip to short, from zipline's own `Position` (zipline-reloaded, an independent implementation).

The case (one asset X, raw closes, a fixed fee of 2 per fill, no slippage, fills at the close
of the decision day), as tests/cost_basis.rs runs it through folio:

  day  close  action              order
  0    10.0                       buy 100
  1    12.0                       buy 100
  2    13.0                       sell 100
  3     6.6   2-for-1 split
  4     6.4   dividend 0.10       (none)
  5     6.0                       buy 200
  6     7.0                       sell 500 (100 short)
  7     6.5                       buy 100 (flat)
  8     6.6

Each day, in folio's order: the day's split or dividend on the position held, then what the
strategy sees at the close (units, cost basis, unrealised P&L = units × (close − basis)), then
the day's fill. zipline applies a fill with `Position.update` and its commission with
`adjust_commission_cost_basis`, a split with `handle_split(ratio = 1 / coefficient)` (which
rounds the basis to cents: the case is chosen so that rounding changes nothing), and pays
dividends in cash without touching the basis.

Run:  python tools/cost_basis_reference.py > tests/fixtures/cost_basis_reference.json
(needs `pip install zipline-reloaded`)
"""

import json
from types import SimpleNamespace

import pandas as pd
from zipline.assets import Equity, ExchangeInfo
from zipline.finance.position import Position

FEE = 2.0
days = [
    # (close, split coefficient, dividend per share, order)
    (10.0, 1.0, 0.0, 100),
    (12.0, 1.0, 0.0, 100),
    (13.0, 1.0, 0.0, -100),
    (6.6, 2.0, 0.0, 0),
    (6.4, 1.0, 0.10, 0),
    (6.0, 1.0, 0.0, 200),
    (7.0, 1.0, 0.0, -500),
    (6.5, 1.0, 0.0, 100),
    (6.6, 1.0, 0.0, 0),
]

X = Equity(1, ExchangeInfo("TEST", "TEST", "US"), symbol="X")
pos = Position(X)
seen = []
for t, (close, split, dividend, order) in enumerate(days):
    if split != 1.0 and pos.amount != 0:
        cash_back = pos.handle_split(X, 1.0 / split)
        assert cash_back == 0.0, "the case must split into whole shares"
    # A cash dividend is paid to cash (Position.earn_dividend): the basis is untouched.
    held = pos.amount != 0
    seen.append({
        "day": t,
        "units": float(pos.amount),
        "cost_basis": float(pos.cost_basis) if held else None,
        "unrealised_pnl": float(pos.amount * (close - pos.cost_basis)) if held else None,
    })
    if order != 0:
        txn = SimpleNamespace(asset=X, amount=order, price=close,
                              dt=pd.Timestamp("2024-01-02") + pd.Timedelta(days=t))
        pos.update(txn)
        pos.adjust_commission_cost_basis(X, FEE)
print(json.dumps({"fee": FEE, "days": seen}, indent=1))
