"""Golden values for folio's optimiser with liquidity: ADV caps and a turnover penalty / limit,
solved independently with cvxpy + CLARABEL (tight tolerances) on real windows of
data/sp500_daily.parquet.

For each window (a decision day, a number of daily returns before it, a set of tickers listed on
every day of it) the script computes with pandas:
  - returns r = adj_close.pct_change() over the window,
  - mu = (prod(1 + r)) ** (252 / N) - 1   (historical, compounded: PyPortfolioOpt's),
  - Sigma = r.cov() * 252                  (sample covariance, annual),
  - ADV_i = mean(close * volume) over the ADV_WINDOW days ending on the decision day,
  - cap_i = participation * ADV_i * days / portfolio_value,
and solves, with w_prev the equal weights and norm1 written as cvxpy's own atom (cvxpy, not
folio, chooses how to reformulate it):
  min_variance     min w'Sigma w + lam * |w - w_prev|_1                   s.t. sum w = 1, 0 <= w <= min(1, cap) [, |w - w_prev|_1 <= tau]
  max_utility      min rho/2 w'Sigma w - mu'w + lam * |w - w_prev|_1      (same constraints)
  efficient_return min w'Sigma w + lam * |w - w_prev|_1  s.t. mu'w >= target (same constraints)
The portfolio value is chosen so that some caps bind, tau so that the limit binds (a share of the
turnover without it) and the target so that it binds; the script checks each binds. Writes
tests/fixtures/optimiser_liquidity_reference.json (checked by tests/optimise_liquidity.rs).

Run: python3 tools/optimiser_liquidity_reference.py   (needs pandas, pyarrow, cvxpy, clarabel)
"""
import json

import cvxpy as cp
import numpy as np
import pandas as pd
import pyarrow.parquet as pq

ADV_WINDOW = 20
PARTICIPATION, DAYS = 0.1, 2.0
WINDOWS = [
    # decision day, daily returns, number of assets, first ticker taken (every 3rd after it)
    ("2008-10-31", 126, 30, 0),
    ("2015-06-30", 100, 24, 1),
    ("2020-03-31", 150, 45, 2),
]
TOL = dict(tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12, tol_ktratio=1e-10,
           max_iter=500)

table = pq.read_table("data/sp500_daily.parquet",
                      columns=["date", "ticker", "close", "adj_close", "volume"],
                      filters=[("date", ">=", pd.Timestamp("2007-06-01").date()),
                               ("date", "<=", pd.Timestamp("2020-04-30").date())]).to_pandas()
table["date"] = pd.to_datetime(table["date"])
adj = table.pivot(index="date", columns="ticker", values="adj_close")
close = table.pivot(index="date", columns="ticker", values="close")
volume = table.pivot(index="date", columns="ticker", values="volume").astype(float)


def solve(sigma, mu, prev, upper, kind, lam, tau=None, rho=None, target=None):
    n = len(mu)
    w = cp.Variable(n)
    turnover = cp.norm1(w - prev)
    if kind == "max_utility":
        obj = rho / 2 * cp.quad_form(w, sigma) - mu @ w + lam * turnover
    else:
        obj = cp.quad_form(w, sigma) + lam * turnover
    cons = [cp.sum(w) == 1, w >= 0, w <= upper]
    if tau is not None:
        cons.append(turnover <= tau)
    if target is not None:
        cons.append(mu @ w >= target)
    prob = cp.Problem(cp.Minimize(obj), cons)
    prob.solve(solver=cp.CLARABEL, **TOL)
    assert prob.status == "optimal", prob.status
    return np.asarray(w.value), float(prob.value)


def max_return(mu, prev, upper, tau):
    w = cp.Variable(len(mu))
    prob = cp.Problem(cp.Maximize(mu @ w), [cp.sum(w) == 1, w >= 0, w <= upper,
                                          cp.norm1(w - prev) <= tau])
    prob.solve(solver=cp.CLARABEL, **TOL)
    return float(prob.value)


windows = []
for end, days, n_assets, first in WINDOWS:
    t = adj.index.get_loc(pd.Timestamp(end))
    span = slice(t - days, t + 1)
    px, cl, vo = adj.iloc[span], close.iloc[span], volume.iloc[span]
    ok = [c for c in adj.columns
          if px[c].notna().all() and cl[c].notna().all() and vo[c].notna().all()
          and (vo[c].iloc[-ADV_WINDOW:] > 0).all()]
    tickers = sorted(ok)[first::3][:n_assets]
    assert len(tickers) == n_assets
    px, cl, vo = px[tickers], cl[tickers], vo[tickers]
    rets = px.pct_change().iloc[1:]
    mu = ((1 + rets).prod() ** (252 / len(rets)) - 1).to_numpy()
    sigma = (rets.cov() * 252).to_numpy()
    adv = (cl * vo).iloc[-ADV_WINDOW:].mean().to_numpy()
    prev = np.full(n_assets, 1.0 / n_assets)
    cases = []

    def case(kind, lam, limit_share=None, rho=None, target_share=None):
        # The portfolio value: the largest position of the problem without caps gets a cap of a
        # share of itself (60 %, else 30 %, 15 % until some cap binds at the solution).
        free_w, _ = solve(sigma, mu, prev, np.ones(n_assets), kind, lam, rho=rho)
        k = int(np.argmax(free_w))
        for share in (0.6, 0.3, 0.15):
            value = PARTICIPATION * adv[k] * DAYS / (share * free_w[k])
            cap = PARTICIPATION * adv * DAYS / value
            upper = np.minimum(1.0, cap)
            assert upper.sum() > 1.0
            tau = target = None
            if limit_share is not None:
                w0, _ = solve(sigma, mu, prev, upper, kind, lam, rho=rho)
                tau = limit_share * np.abs(w0 - prev).sum()
            if target_share is not None:
                w0, _ = solve(sigma, mu, prev, upper, "min_variance", lam, tau=tau)
                r0 = float(mu @ w0)
                target = r0 + target_share * (max_return(mu, prev, upper, tau) - r0)
            w, obj = solve(sigma, mu, prev, upper, kind, lam, tau=tau, rho=rho, target=target)
            at_cap = int(((upper - w < 1e-7) & (cap < 1.0)).sum())
            if at_cap >= 1:
                break
        assert at_cap >= 1, (end, kind, "no cap binds")
        if tau is not None:
            assert abs(np.abs(w - prev).sum() - tau) < 1e-7, (end, kind, "limit does not bind")
        if target is not None:
            assert abs(mu @ w - target) < 1e-7, (end, kind, "target does not bind")
        cases.append({
            "objective": kind, "penalty": lam, "limit": tau, "risk_aversion": rho,
            "target_return": target, "portfolio_value": value,
            "weights": w.tolist(), "objective_value": obj, "assets_at_cap": at_cap,
        })

    case("min_variance", 0.002)
    case("min_variance", 0.0, limit_share=0.5)
    case("max_utility", 0.01, limit_share=0.6, rho=3.0)
    case("efficient_return", 0.001, limit_share=0.7, target_share=0.5)
    windows.append({
        "decision_day": end, "from": str(px.index[0].date()), "returns": days,
        "tickers": tickers, "previous": prev.tolist(), "expected_returns": mu.tolist(),
        "covariance": sigma.ravel().tolist(), "adv": adv.tolist(), "cases": cases,
    })

out = {
    "source": "tools/optimiser_liquidity_reference.py (pandas + cvxpy " + cp.__version__
              + ", solver CLARABEL, tolerances 1e-12)",
    "data": "data/sp500_daily.parquet",
    "adv_window": ADV_WINDOW, "participation": PARTICIPATION, "days": DAYS,
    "windows": windows,
}
with open("tests/fixtures/optimiser_liquidity_reference.json", "w") as f:
    json.dump(out, f, indent=1)
print("wrote tests/fixtures/optimiser_liquidity_reference.json:",
      sum(len(w["cases"]) for w in windows), "cases")
