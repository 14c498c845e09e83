#!/usr/bin/env python3
"""Reference values for folio's deflated Sharpe ratio, computed independently with scipy.

Bailey, D. H. and López de Prado, M. (2014), "The Deflated Sharpe Ratio: Correcting for
Selection Bias, Backtest Overfitting and Non-Normality", Journal of Portfolio Management 40(5):

    PSR(SR*) = Phi( (SR - SR*) sqrt(T - 1) / sqrt(1 - g3 SR + (g4 - 1) / 4 SR^2) )
    SR0      = sqrt(V) ((1 - gamma) Phi^-1(1 - 1/N) + gamma Phi^-1(1 - 1/(N e)))
    DSR      = PSR(SR0)

with SR the per-period Sharpe ratio (mean / sample std), g3 and g4 the skewness and (non-excess)
kurtosis of the returns (population moments, scipy's defaults), V the sample variance of the N
trials' Sharpe ratios, gamma the Euler-Mascheroni constant. With a risk-free rate, SR, g3 and g4
are those of the excess returns r - rf, rf the daily rate (1 + annual)^(1/252) - 1 (the metric
table's Sharpe ratio, per day).

Inputs: SPY's daily returns 2010-01-04 .. 2020-12-31 from data/spy.csv as the "best" trial, and
two sets of trial Sharpe ratios, at a risk-free rate of 0, and one at an annual rate of 0.02. Writes tests/fixtures/dsr_reference.json, which
tests/sweep.rs compares with folio::sweep::deflated_sharpe (relative error 1e-9).

Usage (from the repository root):
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install scipy pandas numpy
    /tmp/venv/bin/python tools/dsr_reference.py
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

ROOT = Path(__file__).resolve().parent.parent


def psr(returns, threshold):
    sr = returns.mean() / returns.std(ddof=1)
    g3 = stats.skew(returns)
    g4 = stats.kurtosis(returns, fisher=False)
    t = len(returns)
    z = (sr - threshold) * np.sqrt(t - 1) / np.sqrt(1 - g3 * sr + (g4 - 1) / 4 * sr**2)
    return float(stats.norm.cdf(z)), float(sr)


def expected_max(trials):
    n = len(trials)
    v = np.var(trials, ddof=1)
    gamma = np.euler_gamma
    return float(np.sqrt(v) * ((1 - gamma) * stats.norm.ppf(1 - 1 / n)
                               + gamma * stats.norm.ppf(1 - 1 / (n * np.e))))


def main():
    spy = pd.read_csv(ROOT / "data" / "spy.csv", parse_dates=["date"]).set_index("date")["SPY"]
    spy = spy.loc["2010-01-04":"2020-12-31"]
    returns = spy.pct_change().dropna().to_numpy()
    cases = []
    # Trial Sharpe ratios (per day): a spread of 20 and of 1,000 hypothetical trials, over an
    # annual risk-free rate of 0; then 20 trials over 0.02.
    for n, spread, annual_rf in [(20, 0.02, 0.0), (1000, 0.03, 0.0), (20, 0.02, 0.02)]:
        trials = [spread * (k / (n - 1) - 0.5) * 2 for k in range(n)]
        daily_rf = (1 + annual_rf) ** (1 / 252) - 1
        excess = returns - daily_rf
        sr0 = expected_max(trials)
        dsr, sr = psr(excess, sr0)
        p0, _ = psr(excess, 0.0)
        cases.append({"trials": trials, "annual_rf": annual_rf, "daily_rf": daily_rf,
                      "sharpe": sr, "prob_above_zero": p0,
                      "expected_max_sharpe": sr0, "deflated": dsr})
    out = {"returns": returns.tolist(), "cases": cases}
    path = ROOT / "tests" / "fixtures" / "dsr_reference.json"
    path.write_text(json.dumps(out))
    print(f"wrote {path}: {[(c['expected_max_sharpe'], c['deflated']) for c in cases]}")


if __name__ == "__main__":
    main()
