#!/usr/bin/env python3
"""Reference values for folio's mean-variance optimiser, computed independently with PyPortfolioOpt.

Input: data/ppo_stock_prices.csv (PyPortfolioOpt's own test fixture, 20 tickers, adjusted close),
restricted to 2014-09-19 .. 2018-04-11, the window in which all 20 tickers have a price (896
rows, 895 daily simple returns, no missing cell). With PyPortfolioOpt's defaults it computes

    mu      = expected_returns.mean_historical_return(prices)      # prod(1 + r)^(252 / n) - 1
    S       = risk_models.sample_cov(prices)                        # cov(r, ddof=1) * 252
    S_lw    = risk_models.CovarianceShrinkage(prices).ledoit_wolf() # sklearn Ledoit-Wolf (ddof=0,
                                                                    # target = mean variance * I) * 252

and solves, each on a fresh EfficientFrontier with weight bounds (0, 1) unless stated:

    min_variance               EfficientFrontier(mu, S).min_volatility()
    max_sharpe                 EfficientFrontier(mu, S).max_sharpe(risk_free_rate=0.02)
    efficient_return           EfficientFrontier(mu, S).efficient_return(0.20)
    efficient_risk             EfficientFrontier(mu, S).efficient_risk(0.25)
    max_utility                EfficientFrontier(mu, S).max_quadratic_utility(risk_aversion=2)
                                   (100 % AMZN: a vertex of the simplex)
    max_utility_risk_aversion_10   the same with risk_aversion=10 (an interior solution)
    min_variance_ledoit_wolf   EfficientFrontier(mu, S_lw).min_volatility()
    market_neutral_return      EfficientFrontier(mu, S, weight_bounds=(-1, 1))
                                   .efficient_return(0.20, market_neutral=True)

with the Clarabel interior-point solver at tight tolerances: 1e-14 for the quadratic programs,
1e-10 for efficient_risk (a second-order cone in cvxpy; tighter, Clarabel says
"optimal_inaccurate"). Clarabel's defaults leave errors of ~3e-7 in the weights, and cvxpy's
default OSQP is first-order. The raw solver weights are written (never clean_weights(), which
rounds), with portfolio_performance(risk_free_rate=0.02). (Checked beforehand: on the full file
this PyPortfolioOpt under pandas 3 reproduces the min_volatility / max_sharpe figures of
PyPortfolioOpt's own test suite to ~1e-15, so pandas 3 needs no pin.)

Every solution is checked here: the solver status is "optimal", weights sum to 1 (0 for market
neutral) and respect the bounds to 1e-8, targets are met to 1e-6, and the weights agree with an
exact solution obtained with numpy from the KKT equations on the solver's active set (whose
multipliers are checked for sign, so that active set is optimal): to 1e-9 for the quadratic
programs (they agree to ~1e-12), to 1e-7 for efficient_risk (4e-8; its return agrees to 1e-12).
Each problem records that difference (max_abs_diff_vs_kkt) and the tickers at a bound. mu, S,
S_lw and the shrinkage are also recomputed with numpy (relative error 1e-12). Ledoit-Wolf here
is sklearn's: it shrinks the 1/n (not 1/(n-1)) covariance of the demeaned returns towards
(trace / N) * I. The script exits non-zero, writing nothing, if any check fails.

Writes tests/fixtures/ppo_reference.json, which folio's Rust tests compare against.

Usage (from the repository root):
    python3 -m venv /tmp/ppo && /tmp/ppo/bin/pip install pyportfolioopt==1.6.0 cvxpy==1.9.3 \\
        clarabel==0.11.1 pandas==3.1.1 numpy==2.4.6 scikit-learn==1.9.1 scipy==1.17.1 packaging==26.3
    /tmp/ppo/bin/python tools/ppo_reference.py
"""

import json
import sys
from importlib.metadata import version
from pathlib import Path

import cvxpy as cp
import numpy as np
import pandas as pd
import pypfopt
import sklearn
from pypfopt import EfficientFrontier, expected_returns, risk_models

ROOT = Path(__file__).resolve().parent.parent
DATA = "data/ppo_stock_prices.csv"
OUT = "tests/fixtures/ppo_reference.json"
START = "2014-09-19"
FREQ = 252
RF = 0.02
SOLVER = "CLARABEL"
# Clarabel's defaults (1e-8) leave errors of ~3e-7 in the weights. The quadratic programs converge
# ("optimal") at 1e-14; efficient_risk, whose variance bound cvxpy turns into a second-order cone,
# reports "optimal_inaccurate" below 1e-10, where its weights are within 4e-8 of the exact solution
# (its return within 1e-12), so it gets 1e-10 and a looser KKT check.
SOLVER_OPTIONS_QP = {"tol_gap_abs": 1e-14, "tol_gap_rel": 1e-14, "tol_feas": 1e-14,
                     "tol_ktratio": 1e-10, "max_iter": 500}
SOLVER_OPTIONS_SOCP = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10,
                       "tol_ktratio": 1e-10, "max_iter": 500}
SUM_TOL = 1e-8      # sum of weights and bounds
TARGET_TOL = 1e-6   # efficient_return / efficient_risk targets
KKT_TOL = 1e-9      # max |w_solver - w_kkt| (quadratic programs)
KKT_TOL_SOCP = 1e-7  # the same for efficient_risk
ACTIVE_TOL = 1e-7   # a weight this close to a bound is taken to be at it

failures = []


def check(ok, msg):
    if not ok:
        failures.append(msg)
        print("CHECK FAILED:", msg, file=sys.stderr)


# ---------------------------------------------------------------- exact solutions on an active set

def kkt_qp(Q, c, E, e, lo, hi, w):
    """Exact solution of  min 1/2 w'Qw + c'w  s.t.  E w = e, lo <= w <= hi  on the active set of w.

    Assets within ACTIVE_TOL of a bound are fixed there; the rest solve the KKT linear system.
    Returns (w_exact, nu, at_bound, reduced_gradient_ok)."""
    n = len(w)
    at_lo = np.abs(w - lo) < ACTIVE_TOL
    at_hi = np.abs(w - hi) < ACTIVE_TOL
    B = at_lo | at_hi
    F = ~B
    wb = np.where(at_lo, lo, np.where(at_hi, hi, 0.0))
    nf, m = int(F.sum()), E.shape[0]
    if nf == 0 and m == 1:
        # a vertex (e.g. everything in one asset): some nu must give the bound multipliers their signs
        x = wb
        h = (Q @ x + c) / E[0]
        nu_lo = np.max(h[at_hi], initial=-np.inf)   # where E[0] > 0 (true for the rows used here)
        nu_hi = np.min(h[at_lo], initial=np.inf)
        ok = bool(np.all(E[0] > 0) and nu_lo <= nu_hi + 1e-10 and np.allclose(E @ x, e))
        return x, np.array([0.5 * (nu_lo + nu_hi)]), B, ok
    K = np.zeros((nf + m, nf + m))
    K[:nf, :nf] = Q[np.ix_(F, F)]
    K[:nf, nf:] = -E[:, F].T
    K[nf:, :nf] = E[:, F]
    rhs = np.concatenate([-c[F] - Q[np.ix_(F, B)] @ wb[B], e - E[:, B] @ wb[B]])
    sol = np.linalg.solve(K, rhs)
    x = wb.copy()
    x[F] = sol[:nf]
    nu = sol[nf:]
    g = Q @ x + c - E.T @ nu  # bound multipliers: >= 0 at lower bounds, <= 0 at upper bounds
    ok = bool(np.all(g[at_lo] >= -1e-10) and np.all(g[at_hi] <= 1e-10)
              and np.all(x[F] > lo[F]) and np.all(x[F] < hi[F]))
    return x, nu, B, ok


def kkt_efficient_risk(mu, S, target_vol, w):
    """Exact solution of  max mu'w  s.t.  w'Sw <= vol^2, sum w = 1, w >= 0  on the active set of w
    (long-only, no weight at 1): on the free set it is the two-fund frontier point of variance vol^2."""
    B = np.abs(w) < ACTIVE_TOL
    F = ~B
    Sf, mf, one = S[np.ix_(F, F)], mu[F], np.ones(int(F.sum()))
    Si1, Sim = np.linalg.solve(Sf, one), np.linalg.solve(Sf, mf)
    C, A = one @ Si1, one @ Sim
    w_mv = Si1 / C
    z = Sim - (A / C) * Si1          # S z = mu - (A/C) 1, 1'z = 0, w_mv'S z = 0
    t = np.sqrt((target_vol**2 - 1.0 / C) / (z @ Sf @ z))
    x = np.zeros(len(w))
    x[F] = w_mv + t * z
    # -mu + 2 gamma S x - lam 1 - s = 0 with gamma = 1/(2t) > 0, lam = 1/(tC) - A/C, s >= 0 on B
    lam = 1.0 / (t * C) - A / C
    s = -mu + (S @ x) / t - lam
    ok = bool(np.all(s[B] >= -1e-10) and np.all(x[F] > 0) and t > 0)
    return x, B, ok


# ---------------------------------------------------------------- main

def main():
    prices = pd.read_csv(ROOT / DATA, parse_dates=["date"], index_col="date")
    tickers = list(prices.columns)
    first_full = prices.notna().all(axis=1).idxmax()
    check(str(first_full.date()) == START, f"first complete row is {first_full.date()}, not {START}")
    prices = prices.loc[START:]
    check(not prices.isna().any().any(), "NaN in the price window")
    n_assets = len(tickers)

    mu_s = expected_returns.mean_historical_return(prices)
    S_df = risk_models.sample_cov(prices)
    shrink = risk_models.CovarianceShrinkage(prices)
    S_lw_df = shrink.ledoit_wolf()
    delta = float(shrink.delta)

    # independent numpy recomputation of the inputs
    P = prices.to_numpy()
    R = P[1:] / P[:-1] - 1.0
    n = R.shape[0]
    mu_np = np.exp(np.log1p(R).sum(axis=0) * FREQ / n) - 1.0
    Xc = R - R.mean(axis=0)
    S_np = Xc.T @ Xc / (n - 1) * FREQ
    emp = Xc.T @ Xc / n
    m = np.trace(emp) / n_assets
    d2 = np.sum((emp - m * np.eye(n_assets)) ** 2)
    b2 = min(sum(np.sum((np.outer(x, x) - emp) ** 2) for x in Xc) / n**2, d2)
    delta_np = b2 / d2
    S_lw_np = ((1 - delta_np) * emp + delta_np * m * np.eye(n_assets)) * FREQ
    mu, S, S_lw = mu_s.to_numpy(), S_df.to_numpy(), S_lw_df.to_numpy()
    for name, a, b in [("mu", mu, mu_np), ("sample_cov", S, S_np), ("ledoit_wolf_cov", S_lw, S_lw_np),
                       ("ledoit_wolf_shrinkage", np.array([delta]), np.array([delta_np]))]:
        err = np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))
        check(err < 1e-12 or np.max(np.abs(a - b)) < 1e-15, f"{name}: numpy disagrees (rel {err:.2e})")
    check(list(S_df.columns) == tickers and list(mu_s.index) == tickers, "ticker order")
    check(np.linalg.eigvalsh(S).min() > 0 and np.linalg.eigvalsh(S_lw).min() > 0, "covariance not PD")

    def options(name):
        return SOLVER_OPTIONS_SOCP if name == "efficient_risk" else SOLVER_OPTIONS_QP

    ones = np.ones((1, n_assets))
    lo01, hi01 = np.zeros(n_assets), np.ones(n_assets)
    specs = [
        ("min_variance", {"covariance": "sample"}, S_df, (0, 1),
         lambda ef: ef.min_volatility(),
         lambda w: kkt_qp(2 * S, np.zeros(n_assets), ones, np.array([1.0]), lo01, hi01, w)),
        ("max_sharpe", {"covariance": "sample", "risk_free_rate": RF}, S_df, (0, 1),
         lambda ef: ef.max_sharpe(risk_free_rate=RF),
         None),
        ("efficient_return", {"covariance": "sample", "target_return": 0.20}, S_df, (0, 1),
         lambda ef: ef.efficient_return(0.20),
         lambda w: kkt_qp(2 * S, np.zeros(n_assets), np.vstack([ones, mu]), np.array([1.0, 0.20]),
                          lo01, hi01, w)),
        ("efficient_risk", {"covariance": "sample", "target_volatility": 0.25}, S_df, (0, 1),
         lambda ef: ef.efficient_risk(0.25),
         None),
        ("max_utility", {"covariance": "sample", "risk_aversion": 2}, S_df, (0, 1),
         lambda ef: ef.max_quadratic_utility(risk_aversion=2),
         lambda w: kkt_qp(2 * S, -mu, ones, np.array([1.0]), lo01, hi01, w)),
        # not in the original list: risk_aversion=2 puts everything in AMZN (a vertex), so this one
        # checks an interior maximum-utility solution (5 assets held)
        ("max_utility_risk_aversion_10", {"covariance": "sample", "risk_aversion": 10}, S_df, (0, 1),
         lambda ef: ef.max_quadratic_utility(risk_aversion=10),
         lambda w: kkt_qp(10 * S, -mu, ones, np.array([1.0]), lo01, hi01, w)),
        ("min_variance_ledoit_wolf", {"covariance": "ledoit_wolf"}, S_lw_df, (0, 1),
         lambda ef: ef.min_volatility(),
         lambda w: kkt_qp(2 * S_lw, np.zeros(n_assets), ones, np.array([1.0]), lo01, hi01, w)),
        ("market_neutral_return", {"covariance": "sample", "target_return": 0.20, "bounds": [-1, 1]},
         S_df, (-1, 1),
         lambda ef: ef.efficient_return(0.20, market_neutral=True),
         lambda w: kkt_qp(2 * S, np.zeros(n_assets), np.vstack([ones, mu]), np.array([0.0, 0.20]),
                          -hi01, hi01, w)),
    ]

    problems = {}
    for name, params, cov, bounds, solve, exact in specs:
        ef = EfficientFrontier(mu_s, cov, weight_bounds=bounds,
                               solver=SOLVER, solver_options=dict(options(name)))
        out = solve(ef)
        check(ef._opt.status == "optimal", f"{name}: solver status {ef._opt.status}")
        check(list(out.keys()) == tickers, f"{name}: ticker order")
        w = np.array([out[t] for t in tickers], dtype=float)
        check(np.array_equal(w, ef.weights), f"{name}: returned dict differs from ef.weights")
        ret, vol, sharpe = ef.portfolio_performance(risk_free_rate=RF)

        total = 0.0 if name == "market_neutral_return" else 1.0
        check(abs(w.sum() - total) < SUM_TOL, f"{name}: sum of weights {w.sum()!r}")
        check(w.min() >= bounds[0] - SUM_TOL and w.max() <= bounds[1] + SUM_TOL, f"{name}: bounds")
        if "target_return" in params:
            check(abs(ret - params["target_return"]) < TARGET_TOL, f"{name}: return {ret!r}")
        if "target_volatility" in params:
            check(abs(vol - params["target_volatility"]) < TARGET_TOL, f"{name}: volatility {vol!r}")

        if name == "max_sharpe":
            # min y'Sy s.t. (mu - rf)'y = 1, y >= 0, then w = y / sum(y)
            y = w / (w @ (mu - RF))
            yx, _, at_bound, ok = kkt_qp(2 * S, np.zeros(n_assets), (mu - RF)[None, :],
                                         np.array([1.0]), lo01, np.full(n_assets, np.inf), y)
            w_exact = yx / yx.sum()
        elif name == "efficient_risk":
            w_exact, at_bound, ok = kkt_efficient_risk(mu, S, params["target_volatility"], w)
        else:
            w_exact, nu, at_bound, ok = exact(w)
            if name in ("efficient_return", "market_neutral_return"):
                ok = ok and nu[1] > 0  # the return constraint binds with a positive multiplier
        diff = float(np.max(np.abs(w - w_exact)))
        check(ok, f"{name}: KKT conditions fail on the solver's active set")
        tol = KKT_TOL_SOCP if name == "efficient_risk" else KKT_TOL
        check(diff < tol, f"{name}: solver weights differ from the KKT solution by {diff:.2e}")

        problems[name] = {
            **params,
            "weights": w.tolist(),
            "expected_return": float(ret),
            "volatility": float(vol),
            "sharpe_rf_0_02": float(sharpe),
            "at_bound": [t for t, b in zip(tickers, at_bound) if b],
            "max_abs_diff_vs_kkt": diff,
            "solver_options": options(name),
        }

    out = {
        "generated_by": "tools/ppo_reference.py",
        "versions": {
            "pypfopt": pypfopt.__version__,
            "cvxpy": cp.__version__,
            "clarabel": version("clarabel"),
            "pandas": pd.__version__,
            "numpy": np.__version__,
            "sklearn": sklearn.__version__,
        },
        "solver": SOLVER,
        "data": DATA,
        "from": START,
        "to": str(prices.index[-1].date()),
        "rows": len(prices),
        "tickers": tickers,
        "frequency": FREQ,
        "expected_returns": mu.tolist(),
        "sample_cov": S.tolist(),
        "ledoit_wolf_cov": S_lw.tolist(),
        "ledoit_wolf_shrinkage": delta,
        "problems": problems,
    }

    print(f"{DATA}: {out['from']} .. {out['to']}, {out['rows']} rows, {n} returns, "
          f"Ledoit-Wolf shrinkage {delta:.6f}")
    print(f"{'':26s}" + " ".join(f"{t:>7s}" for t in tickers))
    print(f"{'mu':26s}" + " ".join(f"{x:7.4f}" for x in mu))
    for name, p in problems.items():
        print(f"{name:26s}" + " ".join(f"{x:7.4f}" for x in p["weights"]))
        print(f"{'':26s}return {p['expected_return']:.6f}  vol {p['volatility']:.6f}  "
              f"sharpe {p['sharpe_rf_0_02']:.6f}  |w - w_kkt| {p['max_abs_diff_vs_kkt']:.1e}")

    if failures:
        print(f"{len(failures)} check(s) failed; {OUT} not written", file=sys.stderr)
        sys.exit(1)
    path = ROOT / OUT
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
