#!/usr/bin/env python3
"""Reference values for folio's exponentially weighted and CAPM estimators, maximum utility at
the investor presets and Tobin's allocation, computed independently with PyPortfolioOpt and numpy.

Input: data/ppo_stock_prices.csv restricted to 2014-09-19 .. 2018-04-11 (the window in which all
20 tickers have a price, as in tools/ppo_reference.py) and data/spy.csv (SPY, on the same dates) as
the market. With PyPortfolioOpt it computes

    ema_span_500     expected_returns.ema_historical_return(prices, span=500)          (compounded)
    ema_span_60      expected_returns.ema_historical_return(prices, span=60)
    ema_span_60_arithmetic   the same with compounding=False
    capm_spy         expected_returns.capm_return(prices, market_prices=spy, risk_free_rate=0.02)
    capm_equal       expected_returns.capm_return(prices, risk_free_rate=0.02)  (market = the
                     equal-weighted average of the 20 columns, PyPortfolioOpt's default)
    exp_cov_span_180 risk_models.exp_cov(prices, span=180)
    exp_cov_span_60  risk_models.exp_cov(prices, span=60)

and, on the historical mean and sample covariance of the same window (as tools/ppo_reference.py),
EfficientFrontier(mu, S).max_quadratic_utility(risk_aversion=λ) for the investor presets
conservative λ = 10, normal λ = 3, aggressive λ = 1 (Clarabel at 1e-14), and Tobin's split of
wealth between cash and the tangency portfolio (EfficientFrontier(mu, S).max_sharpe(0.02)):
y = (μ_T − rf) / (λ σ_T²) with numpy, capped to [0, 1] (no borrowing), weights y · w_T.

Every PyPortfolioOpt estimate is also recomputed here with plain numpy (pandas' adjust=True EWM
weights (1 − α)^k / Σ, α = 2 / (span + 1); betas from the ddof-1 covariance with the market) and
must agree to 1e-12 relative; every max-utility solution must satisfy its KKT conditions (checked
with numpy on the solver's active set, to 1e-9). The script exits non-zero, writing nothing, if a
check fails.

Writes tests/fixtures/ppo_estimators_reference.json, which tests/estimators.rs compares against.

Usage (from the repository root):
    python3 -m venv /tmp/ppo && /tmp/ppo/bin/pip install pyportfolioopt==1.6.0 cvxpy==1.9.3 \\
        clarabel==0.11.1 pandas==3.1.1 numpy==2.4.6 scikit-learn==1.9.1 scipy==1.17.1
    /tmp/ppo/bin/python tools/ppo_estimators_reference.py
"""

import json
import sys
from importlib.metadata import version
from pathlib import Path

import cvxpy as cp
import numpy as np
import pandas as pd
import pypfopt
from pypfopt import EfficientFrontier, expected_returns, risk_models

ROOT = Path(__file__).resolve().parent.parent
DATA = "data/ppo_stock_prices.csv"
MARKET = "data/spy.csv"
OUT = "tests/fixtures/ppo_estimators_reference.json"
START = "2014-09-19"
FREQ = 252
RF = 0.02
SOLVER = "CLARABEL"
SOLVER_OPTIONS = {"tol_gap_abs": 1e-14, "tol_gap_rel": 1e-14, "tol_feas": 1e-14,
                  "tol_ktratio": 1e-10, "max_iter": 500}
PRESETS = {"conservative": 10.0, "normal": 3.0, "aggressive": 1.0}
ACTIVE_TOL = 1e-7

failures = []


def check(ok, msg):
    if not ok:
        failures.append(msg)
        print("CHECK FAILED:", msg, file=sys.stderr)


def rel_err(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def ewm_weights(t, span):
    """pandas ewm(span, adjust=True).mean() weights of the last value, oldest first."""
    decay = 1.0 - 2.0 / (span + 1.0)
    w = decay ** np.arange(t - 1, -1, -1, dtype=float)
    return w / w.sum()


def kkt_max_utility(mu, S, lam, w):
    """Exact max mu'w - lam/2 w'Sw s.t. sum w = 1, 0 <= w <= 1 on the active set of w."""
    n = len(w)
    at0 = np.abs(w) < ACTIVE_TOL
    at1 = np.abs(w - 1) < ACTIVE_TOL
    F = ~(at0 | at1)
    if at1.any():  # a vertex: all in one asset
        x = at1.astype(float)
        g = lam * S @ x - mu
        nu_hi = np.min(g[at0])
        nu_lo = np.max(g[at1])
        return x, bool(nu_lo <= nu_hi + 1e-10)
    nf = int(F.sum())
    K = np.zeros((nf + 1, nf + 1))
    K[:nf, :nf] = lam * S[np.ix_(F, F)]
    K[:nf, nf] = -1.0
    K[nf, :nf] = 1.0
    sol = np.linalg.solve(K, np.concatenate([mu[F], [1.0]]))
    x = np.zeros(n)
    x[F] = sol[:nf]
    g = lam * S @ x - mu - sol[nf]
    return x, bool(np.all(g[at0] >= -1e-10) and np.all(x[F] > 0))


def main():
    prices = pd.read_csv(ROOT / DATA, parse_dates=["date"], index_col="date").loc[START:]
    check(not prices.isna().any().any(), "NaN in the price window")
    tickers = list(prices.columns)
    spy = pd.read_csv(ROOT / MARKET, parse_dates=["date"], index_col="date")
    spy = spy.reindex(prices.index)
    check(not spy.isna().any().any(), "SPY lacks a date of the window")

    P = prices.to_numpy()
    R = P[1:] / P[:-1] - 1.0
    t = R.shape[0]
    m = spy.to_numpy()[:, 0]
    Rm = m[1:] / m[:-1] - 1.0

    out_est = {}
    # exponentially weighted mean returns
    for name, span, comp in [("ema_span_500", 500, True), ("ema_span_60", 60, True),
                             ("ema_span_60_arithmetic", 60, False)]:
        ppo = expected_returns.ema_historical_return(prices, span=span, compounding=comp).to_numpy()
        mean = ewm_weights(t, span) @ R
        mine = (1 + mean) ** FREQ - 1 if comp else mean * FREQ
        check(rel_err(ppo, mine) < 1e-12, f"{name}: numpy disagrees ({rel_err(ppo, mine):.1e})")
        out_est[name] = {"kind": "ewm_return", "span": span, "compounded": comp,
                         "values": ppo.tolist()}
    # CAPM
    for name, market in [("capm_spy", spy), ("capm_equal", None)]:
        ppo = expected_returns.capm_return(prices, market_prices=market, risk_free_rate=RF).to_numpy()
        mk = Rm if market is not None else R.mean(axis=1)
        X = np.column_stack([R, mk])
        C = np.cov(X, rowvar=False, ddof=1)
        beta = C[:-1, -1] / C[-1, -1]
        mkt_mean = np.prod(1 + mk) ** (FREQ / t) - 1
        mine = RF + beta * (mkt_mean - RF)
        check(rel_err(ppo, mine) < 1e-12, f"{name}: numpy disagrees ({rel_err(ppo, mine):.1e})")
        out_est[name] = {"kind": "capm", "market": MARKET + ":SPY" if market is not None else None,
                         "risk_free_rate": RF, "values": ppo.tolist()}
    # exponentially weighted covariance
    for name, span in [("exp_cov_span_180", 180), ("exp_cov_span_60", 60)]:
        ppo = risk_models.exp_cov(prices, span=span).to_numpy()
        Xc = R - R.mean(axis=0)
        w = ewm_weights(t, span)
        mine = (Xc * w[:, None]).T @ Xc * FREQ
        check(rel_err(ppo, mine) < 1e-12, f"{name}: numpy disagrees ({rel_err(ppo, mine):.1e})")
        check(np.linalg.eigvalsh(mine).min() > 0, f"{name}: not positive definite")
        out_est[name] = {"kind": "ewm_cov", "span": span, "values": ppo.tolist()}

    # maximum utility at the presets, and Tobin's split
    mu_s = expected_returns.mean_historical_return(prices)
    S_df = risk_models.sample_cov(prices)
    mu, S = mu_s.to_numpy(), S_df.to_numpy()
    ef = EfficientFrontier(mu_s, S_df, solver=SOLVER, solver_options=dict(SOLVER_OPTIONS))
    ef.max_sharpe(risk_free_rate=RF)
    check(ef._opt.status == "optimal", f"max_sharpe: status {ef._opt.status}")
    wt = np.array(ef.weights, dtype=float)
    ret_t, vol_t, _ = ef.portfolio_performance(risk_free_rate=RF)
    check(abs(ret_t - mu @ wt) < 1e-12 and abs(vol_t - np.sqrt(wt @ S @ wt)) < 1e-12,
          "tangency performance")

    presets = {}
    for profile, lam in PRESETS.items():
        ef = EfficientFrontier(mu_s, S_df, solver=SOLVER, solver_options=dict(SOLVER_OPTIONS))
        ef.max_quadratic_utility(risk_aversion=lam)
        check(ef._opt.status == "optimal", f"{profile}: status {ef._opt.status}")
        w = np.array(ef.weights, dtype=float)
        exact, ok = kkt_max_utility(mu, S, lam, w)
        diff = float(np.max(np.abs(w - exact)))
        check(ok and diff < 1e-9, f"{profile}: KKT ({ok}, {diff:.1e})")
        y = (mu @ wt - RF) / (lam * (wt @ S @ wt))
        share = min(max(y, 0.0), 1.0)
        presets[profile] = {
            "risk_aversion": lam,
            "max_utility_weights": w.tolist(),
            "max_utility_max_abs_diff_vs_kkt": diff,
            "tobin_uncapped_share": float(y),
            "tobin_risky_share": float(share),
            "tobin_weights": (share * wt).tolist(),
            "tobin_expected_return": float(RF + share * (mu @ wt - RF)),
            "tobin_volatility": float(share * np.sqrt(wt @ S @ wt)),
        }

    out = {
        "generated_by": "tools/ppo_estimators_reference.py",
        "versions": {"pypfopt": pypfopt.__version__, "cvxpy": cp.__version__,
                     "clarabel": version("clarabel"), "pandas": pd.__version__,
                     "numpy": np.__version__},
        "data": DATA,
        "market": MARKET,
        "from": START,
        "to": str(prices.index[-1].date()),
        "rows": len(prices),
        "tickers": tickers,
        "risk_free_rate": RF,
        "estimates": out_est,
        "tangency_weights": wt.tolist(),
        "presets": presets,
    }
    for name, e in out_est.items():
        v = np.asarray(e["values"])
        print(f"{name:24s} {v.ravel()[:4]}")
    for p, v in presets.items():
        print(f"{p:13s} λ={v['risk_aversion']:4.1f}  tobin share {v['tobin_uncapped_share']:.6f}  "
              f"max utility held {sum(x > 1e-9 for x in v['max_utility_weights'])}")
    if failures:
        print(f"{len(failures)} check(s) failed; {OUT} not written", file=sys.stderr)
        sys.exit(1)
    (ROOT / OUT).write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
