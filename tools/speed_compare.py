#!/usr/bin/env python3
"""The jobs of benches/README.md's comparison table, run with vectorbt, bt and PyPortfolioOpt,
and with folio (end to end, as a process) so the ratios can be reproduced side by side.

Universe: the first 100 tickers in alphabetical order of data/sp500_daily.parquet with an
adj_close on every trading day of 2005-01-03 .. 2021-04-21 (4,103 days). Every job starts with
1,000,000 in cash, trades at the close without costs (the engines differ in how they charge
them) and is checked by its final value, printed beside the time:

- read: the file's date, ticker and adj_close columns for those 100 names, as a wide
  date x ticker panel (pyarrow + pandas; folio: `folio data inspect`-free, inside `folio run`).
- buy_and_hold: equal weights bought on the first day, never rebalanced.
- monthly: equal weights, rebalanced on the first trading day of each month.
- momentum: each month, the 20 names with the best return over the past 231 days ending 21 days
  before, in equal weights (12-1 momentum, no liquidity screen). folio's rating kind rates only
  names with the whole lookback of history and counts its days its own way, so its final value
  differs from vectorbt's and bt's (which agree); the buy-and-hold and monthly values of all
  three agree to the cent.
- min_variance / max_sharpe: PyPortfolioOpt, long-only, re-optimised on the first trading day of
  each month from 2006-01 on, on the 252 daily returns before it (sample covariance; mean
  historical return for max-Sharpe, risk-free rate 0). folio runs the same two jobs as its
  `mean_variance` kind (its first solve is the first month-start with 252 returns, 184 solves;
  it prints the final NAV of trading the weights, PyPortfolioOpt only solves).

Times are wall-clock seconds (time.perf_counter), best of --reps, excluding the Python
imports; the panel is read once and shared by the in-process jobs. folio is timed as whole
processes (`folio run` on generated strategy files), so its figures include reading the
Parquet file, and again with `--cache DIR` (the prepared table read from folio's cache, filled
by an untimed first run); the in-process figures of folio are its criterion benches (benches/).

Usage (from the repository root, after `cargo build --release`):
    python3 -m venv /tmp/speedvenv
    /tmp/speedvenv/bin/pip install vectorbt==1.2.0 bt==1.4.1 pyportfolioopt==1.6.0 pyarrow pandas
    /tmp/speedvenv/bin/python tools/speed_compare.py [--folio target/release/folio] [--reps 3]
"""

import argparse
import os
import platform
import subprocess
import tempfile
import time
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
FILE = ROOT / "data/sp500_daily.parquet"
FROM, TO = "2005-01-03", "2021-04-21"
CASH = 1_000_000.0


def best_of(reps, job):
    times, out = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = job()
        times.append(time.perf_counter() - t0)
    return min(times), out


def universe():
    table = pq.read_table(FILE, columns=["date", "ticker", "adj_close"])
    df = table.to_pandas()
    panel = df.pivot(index="date", columns="ticker", values="adj_close")
    panel.index = pd.to_datetime(panel.index)
    span = panel.loc[FROM:TO]
    complete = sorted(c for c in span.columns if span[c].notna().all())
    return complete[:100]


def read(tickers):
    table = pq.read_table(FILE, columns=["date", "ticker", "adj_close"])
    keep = pc.is_in(table["ticker"], value_set=pa_array(tickers))
    table = table.filter(keep)
    df = table.to_pandas()
    df = df[(df["date"] >= pd.Timestamp(FROM).date()) & (df["date"] <= pd.Timestamp(TO).date())]
    panel = df.pivot(index="date", columns="ticker", values="adj_close")
    panel.index = pd.to_datetime(panel.index)
    return panel[tickers]


def pa_array(values):
    import pyarrow as pa

    return pa.array(values)


def month_starts(index):
    m = index.to_period("M")
    return np.r_[True, m[1:] != m[:-1]]


def momentum_weights(prices, lookback=231, skip=21, top=20):
    """Target weights on each month's first day: the `top` best 12-1 momentum names."""
    p = prices.to_numpy()
    w = np.full(p.shape, np.nan)
    for t in np.flatnonzero(month_starts(prices.index)):
        if t < lookback + skip:
            continue
        mom = p[t - skip] / p[t - skip - lookback] - 1.0
        best = np.argsort(-mom, kind="stable")[:top]
        row = np.zeros(p.shape[1])
        row[best] = 1.0 / top
        w[t] = row
    return pd.DataFrame(w, index=prices.index, columns=prices.columns)


def equal_weights(prices, days):
    w = np.full(prices.shape, np.nan)
    w[days] = 1.0 / prices.shape[1]
    return pd.DataFrame(w, index=prices.index, columns=prices.columns)


def vbt_job(prices, weights):
    import vectorbt as vbt

    def job():
        pf = vbt.Portfolio.from_orders(
            prices,
            size=weights,
            size_type="targetpercent",
            group_by=True,
            cash_sharing=True,
            call_seq="auto",
            init_cash=CASH,
            freq="1D",
        )
        return float(pf.value().iloc[-1])

    return job


def bt_job(prices, kind):
    import bt

    def job():
        if kind == "buy_and_hold":
            algos = [bt.algos.RunOnce(), bt.algos.SelectAll(), bt.algos.WeighEqually(),
                     bt.algos.Rebalance()]
        elif kind == "monthly":
            algos = [bt.algos.RunMonthly(run_on_first_date=True), bt.algos.SelectAll(),
                     bt.algos.WeighEqually(), bt.algos.Rebalance()]
        else:
            w = momentum_weights(prices).dropna(how="all")
            algos = [bt.algos.WeighTarget(w), bt.algos.Rebalance()]
        strategy = bt.Strategy(kind, algos)
        result = bt.run(bt.Backtest(strategy, prices, initial_capital=CASH, integer_positions=False,
                                    progress_bar=False))
        return float(result[kind].prices.iloc[-1] / 100.0 * CASH)

    return job


def ppo_job(prices, objective):
    from pypfopt import EfficientFrontier, expected_returns, risk_models

    returns = prices.pct_change(fill_method=None)
    days = [t for t in np.flatnonzero(month_starts(prices.index))
            if prices.index[t] >= pd.Timestamp("2006-01-01")]

    def job():
        last = None
        for t in days:
            window = returns.iloc[t - 252:t]
            S = risk_models.sample_cov(window, returns_data=True)
            if objective == "min_variance":
                ef = EfficientFrontier(None, S)
                ef.min_volatility()
            else:
                mu = expected_returns.mean_historical_return(window, returns_data=True)
                ef = EfficientFrontier(mu, S)
                ef.max_sharpe(risk_free_rate=0.0)
            last = ef.weights
        return len(days), float(np.sum(last > 1e-6))

    return job


FOLIO_TOML = """
name = "speed comparison: {kind}"
[data]
path = "{file}"
tickers = [{tickers}]
from = {start}
to = {end}
missing = "error"
[backtest]
initial_cash = 1_000_000
execution = "same_close"
[strategy]
{strategy}
"""

FOLIO_STRATEGY = {
    "buy_and_hold": 'kind = "buy_and_hold"',
    "monthly": 'kind = "index"\nweighting = "equal"\nrebalance = { calendar = "monthly" }',
    "momentum": 'kind = "rating"\ntop = 20\nweighting = "equal"\n'
                'rebalance = { calendar = "monthly" }\n'
                '[[strategy.groups]]\nname = "growth"\n'
                'indicators = [{ kind = "momentum", lookback = 231, skip = 21 }]',
    # PyPortfolioOpt's jobs: long-only, sample covariance of the last 252 returns, re-solved on
    # the first trading day of each month once a window is full (184 solves), risk-free rate 0.
    "min_variance": 'kind = "mean_variance"\nobjective = "min_variance"\nwindow = 252\n'
                    'risk_free_rate = 0.0\nrebalance = { calendar = "monthly" }',
    "max_sharpe": 'kind = "mean_variance"\nobjective = "max_sharpe"\nwindow = 252\n'
                  'risk_free_rate = 0.0\nrebalance = { calendar = "monthly" }',
}


def folio_job(binary, tickers, kind, workdir, cache=None):
    path = Path(workdir) / f"{kind}.toml"
    path.write_text(FOLIO_TOML.format(
        kind=kind, file=FILE, tickers=", ".join(f'"{t}"' for t in tickers), start=FROM, end=TO,
        strategy=FOLIO_STRATEGY[kind]))
    command = [binary, "run", str(path)] + (["--cache", str(cache)] if cache else [])

    def job():
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        line = next((l for l in out.splitlines() if "final" in l.lower() and "nav" in l.lower()),
                    "")
        return " ".join(line.replace("│", " ").replace("┆", " ").split())

    return job


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--folio", default=str(ROOT / "target/release/folio"))
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--skip", default="", help="comma-separated engines to skip")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))

    print(f"python {platform.python_version()}, pandas {pd.__version__}, numpy {np.__version__}, "
          f"pyarrow {version('pyarrow')}, vectorbt {version('vectorbt')}, bt {version('bt')}, "
          f"pyportfolioopt {version('pyportfolioopt')}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cpus, {platform.platform()}")
    tickers = universe()
    t_read, prices = best_of(args.reps, lambda: read(tickers))
    print(f"universe: {len(tickers)} tickers ({tickers[0]} .. {tickers[-1]}) x {len(prices)} days")
    rows = [("read", "pyarrow+pandas", t_read, f"{prices.shape}")]
    days = {"buy_and_hold": np.arange(len(prices)) == 0,
            "monthly": month_starts(prices.index)}
    weights = {k: equal_weights(prices, d) for k, d in days.items()}
    weights["momentum"] = momentum_weights(prices)
    warnings.simplefilter("ignore")
    for kind in ["buy_and_hold", "monthly", "momentum"]:
        if "vectorbt" not in skip:
            vbt_job(prices, weights[kind])()  # numba compiles on the first call
            t, v = best_of(args.reps, vbt_job(prices, weights[kind]))
            rows.append((kind, "vectorbt", t, f"final value {v:,.2f}"))
        if "bt" not in skip:
            t, v = best_of(args.reps, bt_job(prices, kind))
            rows.append((kind, "bt", t, f"final value {v:,.2f}"))
    if "pypfopt" not in skip:
        for objective in ["min_variance", "max_sharpe"]:
            t, (n, held) = best_of(args.reps, ppo_job(prices, objective))
            rows.append((objective, "PyPortfolioOpt", t, f"{n} solves, last holds {held:.0f}"))
    if "folio" not in skip and Path(args.folio).exists():
        with tempfile.TemporaryDirectory() as d:
            for kind in FOLIO_STRATEGY:
                t, v = best_of(args.reps, folio_job(args.folio, tickers, kind, d))
                rows.append((kind, "folio run (process)", t, v))
            # The same runs reading the prepared table from folio's cache (--cache DIR): the
            # first run fills it, untimed.
            cache = Path(d) / "cache"
            for kind in FOLIO_STRATEGY:
                job = folio_job(args.folio, tickers, kind, d, cache)
                job()
                t, v = best_of(args.reps, job)
                rows.append((kind, "folio run --cache", t, v))
    print(f"\n{'job':<14}{'engine':<22}{'seconds':>10}  check")
    for job, engine, t, check in rows:
        print(f"{job:<14}{engine:<22}{t:>10.4f}  {check}")


if __name__ == "__main__":
    main()
