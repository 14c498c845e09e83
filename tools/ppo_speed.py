#!/usr/bin/env python3
"""How long PyPortfolioOpt takes for the job folio's criterion bench times: a rolling monthly
minimum-variance re-optimisation, 100 assets, 252-day window, 15 years (180 solves).

Data: data/sp500_daily.parquet (long: date, ticker, adj_close, ...; 1999-11-01 .. 2021-04-21).
The file ends in April 2021, so the 15 years are the rebalance months 2006-01 .. 2020-12 (not
2007-01 .. 2021-12). Universe: the first 100 tickers in alphabetical order that have an adj_close
on every trading day from the first price any window needs (253 trading days before the first
rebalance day) to 2020-12-31. At the first trading day of each month, the window is the 252
daily simple returns that end on the previous trading day's close (prices of the 253 previous
trading days), and each solve is

    S = risk_models.sample_cov(window, returns_data=True)     # cov(ddof=1) * 252, PSD check
    w = EfficientFrontier(None, S).min_volatility()           # long-only, weights in [0, 1]

with cvxpy's default solver (OSQP for this QP) unless --solver is given. Timed with
time.perf_counter: the whole loop (returns from the price panel + 180 x (slice window,
sample_cov, build EfficientFrontier, solve)), excluding the parquet read and the pivot to a wide
panel. Repeated --reps times (default 3); prints best and median seconds and ms per solve, and a
check value of the weights (mean number of holdings > 1e-6, mean of the last solve's volatility).

Usage (from the repository root):
    python3 -m venv /tmp/ppo && /tmp/ppo/bin/pip install pyportfolioopt==1.6.0 cvxpy==1.9.3 \\
        clarabel==0.11.1 osqp==1.1.3 pandas==3.1.1 numpy==2.4.6 scikit-learn==1.9.1 \\
        scipy==1.17.1 packaging==26.3 pyarrow==26.0.1
    /tmp/ppo/bin/python tools/ppo_speed.py                      # default solver (OSQP)
    /tmp/ppo/bin/python tools/ppo_speed.py --solver CLARABEL    # interior point
"""

import argparse
import os
import platform
import statistics
import time
import warnings
from importlib.metadata import version
from pathlib import Path

import cvxpy as cp
import numpy as np
import pandas as pd
import pypfopt
from pypfopt import EfficientFrontier, risk_models

ROOT = Path(__file__).resolve().parent.parent


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--assets", type=int, default=100)
    ap.add_argument("--window", type=int, default=252)
    ap.add_argument("--first-month", default="2006-01")
    ap.add_argument("--months", type=int, default=180)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--solver", default=None, help="cvxpy solver name (default: cvxpy's choice)")
    args = ap.parse_args()

    df = pd.read_parquet(ROOT / "data/sp500_daily.parquet", columns=["date", "ticker", "adj_close"])
    panel = df.pivot(index="date", columns="ticker", values="adj_close")
    panel.index = pd.to_datetime(panel.index)
    panel = panel.sort_index()
    dates = panel.index

    first = pd.Period(args.first_month, "M")
    months = [first + k for k in range(args.months)]
    month_of = dates.to_period("M")
    rebal = []
    for m in months:
        idx = np.flatnonzero(month_of == m)
        if len(idx) == 0:
            raise SystemExit(f"no trading day in {m}")
        rebal.append(int(idx[0]))
    start = rebal[0] - args.window - 1          # first price needed
    end = int(np.flatnonzero(month_of == months[-1])[-1])  # last day of the last month
    if start < 0:
        raise SystemExit("not enough history before the first rebalance")
    span = panel.iloc[start:end + 1]
    complete = sorted(c for c in span.columns if span[c].notna().all())
    if len(complete) < args.assets:
        raise SystemExit(f"only {len(complete)} complete tickers")
    tickers = complete[:args.assets]
    prices = panel[tickers]

    print(f"pypfopt {pypfopt.__version__}, cvxpy {cp.__version__}, osqp {version('osqp')}, "
          f"clarabel {version('clarabel')}, pandas {pd.__version__}, numpy {np.__version__}, "
          f"python {platform.python_version()}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cpus; "
          f"OMP/OPENBLAS threads: {os.environ.get('OMP_NUM_THREADS', 'default')}/"
          f"{os.environ.get('OPENBLAS_NUM_THREADS', 'default')}")
    print(f"universe: {len(tickers)} of {len(complete)} complete tickers, {tickers[0]} .. {tickers[-1]}")
    print(f"prices used: {dates[start].date()} .. {dates[end].date()}; "
          f"rebalances: {len(rebal)} ({dates[rebal[0]].date()} .. {dates[rebal[-1]].date()}), "
          f"window {args.window} returns; solver: {args.solver or 'cvxpy default'}")

    def run():
        returns = prices.pct_change(fill_method=None)  # row i: return from day i-1 to day i
        out = []
        for i in rebal:
            window = returns.iloc[i - args.window:i]       # returns ending at day i-1's close
            S = risk_models.sample_cov(window, returns_data=True)
            ef = EfficientFrontier(None, S, solver=args.solver)
            ef.min_volatility()
            out.append((ef.weights, ef._opt.solver_stats.solver_name, S))
        return out

    times = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an inaccurate solve or a non-PSD matrix fails loudly
        for _ in range(args.reps):
            t0 = time.perf_counter()
            out = run()
            times.append(time.perf_counter() - t0)

    solvers = sorted({s for _, s, _ in out})
    holdings = np.mean([(w > 1e-6).sum() for w, _, _ in out])
    sums = max(abs(w.sum() - 1) for w, _, _ in out)
    vols = [float(np.sqrt(w @ S.to_numpy() @ w)) for w, _, S in out]
    print(f"solver used: {', '.join(solvers)}; mean holdings > 1e-6: {holdings:.2f}; "
          f"max |sum w - 1|: {sums:.1e}; mean in-sample vol: {np.mean(vols):.6f}; "
          f"last solve vol: {vols[-1]:.6f}")
    best, med = min(times), statistics.median(times)
    n = len(rebal)
    print("runs (s): " + ", ".join(f"{t:.3f}" for t in times))
    print(f"best {best:.3f} s ({1000 * best / n:.2f} ms/solve), "
          f"median {med:.3f} s ({1000 * med / n:.2f} ms/solve), {n} solves")


if __name__ == "__main__":
    main()
