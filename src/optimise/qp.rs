//! The quadratic-programming core: `min ½ x'Px + q'x` subject to equality rows, inequality
//! rows and finite bounds, solved to the exact optimum.
//!
//! Method: an interior-point solve ([clarabel]) finds the optimum to about 1e-9 and, with it,
//! which constraints bind (the active set: a dual larger than its slack). On that active set
//! the optimum is the solution of one linear system, the KKT conditions with the binding
//! constraints as equalities; it is solved directly and accepted only if it is primal
//! feasible and every multiplier has the right sign, which proves it optimal (the problem is
//! convex). If not, a primal-dual active-set step (release a bound whose multiplier has the
//! wrong sign, fix a variable that left its bounds) gives the next set to try. A warm start
//! begins that iteration from a given active set (the last rebalance's) and skips the
//! interior-point solve when it reaches a proven optimum, as it usually does on a rolling
//! window.

use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultSettingsBuilder, DefaultSolver, IPSolver, NonnegativeConeT, SolverStatus,
    SupportedConeT, ZeroConeT,
};
use nalgebra::{DMatrix, DVector};

use super::kernels;

/// Tolerance of the optimality proof (primal feasibility and multiplier signs), relative to
/// the problem's scale.
const PROOF_TOL: f64 = 1e-9;

/// A convex QP; a bound may be infinite.
#[derive(Debug, Clone)]
pub(crate) struct Qp {
    /// Symmetric positive semi-definite, row-major n × n.
    pub p: Vec<f64>,
    pub q: Vec<f64>,
    /// Rows `a'x = b`.
    pub eq: Vec<(Vec<f64>, f64)>,
    /// Rows `g'x ≤ h`.
    pub ineq: Vec<(Vec<f64>, f64)>,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
}

/// Which constraints bind at a solution.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ActiveSet {
    pub at_lower: Vec<bool>,
    pub at_upper: Vec<bool>,
    pub ineq: Vec<bool>,
}

/// How a solution was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SolveMethod {
    /// From the warm start's active set, a few KKT solves (an active-set iteration) proved
    /// the optimum: no interior point.
    WarmStart,
    /// Interior point, then the exact solve on the active set it found.
    InteriorPoint,
    /// Interior point only: the exact solve on its active set was not proven optimal (a
    /// degenerate problem); accurate to the interior point's tolerance (about 1e-9).
    InteriorPointUnpolished,
    /// A closed form or a greedy rule with no solver.
    Direct,
}

impl SolveMethod {
    /// The name written in tables.
    ///
    /// ```
    /// assert_eq!(folio::optimise::SolveMethod::WarmStart.name(), "warm_start");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            SolveMethod::WarmStart => "warm_start",
            SolveMethod::InteriorPoint => "interior_point",
            SolveMethod::InteriorPointUnpolished => "interior_point_unpolished",
            SolveMethod::Direct => "direct",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct QpSolution {
    pub x: Vec<f64>,
    pub method: SolveMethod,
}

/// Why a QP has no solution.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum QpFailure {
    Infeasible,
    Unbounded,
    Solver(String),
}

impl Qp {
    fn n(&self) -> usize {
        self.q.len()
    }

    fn scale(&self) -> f64 {
        let p = self.p.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let q = self.q.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        p.max(q).max(1e-12)
    }

    /// Solves, trying `warm` first.
    pub fn solve(&self, warm: Option<&ActiveSet>) -> Result<QpSolution, QpFailure> {
        if let Some(active) = warm {
            if let Some(x) = self.exact_on(active) {
                return Ok(QpSolution {
                    x,
                    method: SolveMethod::WarmStart,
                });
            }
        }
        let (x, active) = self.interior_point()?;
        match self.exact_on(&active) {
            Some(exact) => Ok(QpSolution {
                x: exact,
                method: SolveMethod::InteriorPoint,
            }),
            None => Ok(QpSolution {
                x,
                method: SolveMethod::InteriorPointUnpolished,
            }),
        }
    }

    /// The active set read off a point by its slacks alone.
    pub fn active_from(&self, x: &[f64]) -> ActiveSet {
        let tol = 1e-10;
        ActiveSet {
            at_lower: x
                .iter()
                .zip(&self.lower)
                .map(|(x, l)| x - l <= tol)
                .collect(),
            at_upper: x
                .iter()
                .zip(&self.upper)
                .zip(&self.lower)
                .map(|((x, u), l)| u - x <= tol && u > l)
                .collect(),
            ineq: self
                .ineq
                .iter()
                .map(|(g, h)| h - dot(g, x) <= tol)
                .collect(),
        }
    }

    fn interior_point(&self) -> Result<(Vec<f64>, ActiveSet), QpFailure> {
        let n = self.n();
        // Rows: equalities (zero cone), then inequalities, upper bounds, lower bounds (≥ 0 slack).
        let mut rows: Vec<(Vec<(usize, f64)>, f64)> = Vec::new();
        for (a, b) in &self.eq {
            rows.push((sparse(a), *b));
        }
        for (g, h) in &self.ineq {
            rows.push((sparse(g), *h));
        }
        // Infinite bounds are left out; `bound_row` maps each bound to its row.
        let mut bound_row = [vec![None; n], vec![None; n]];
        for (j, (u, slot)) in self.upper.iter().zip(&mut bound_row[0]).enumerate() {
            if u.is_finite() {
                *slot = Some(rows.len());
                rows.push((vec![(j, 1.0)], *u));
            }
        }
        for (j, (l, slot)) in self.lower.iter().zip(&mut bound_row[1]).enumerate() {
            if l.is_finite() {
                *slot = Some(rows.len());
                rows.push((vec![(j, -1.0)], -l));
            }
        }
        let a = csc_from_rows(&rows, n);
        let b: Vec<f64> = rows.iter().map(|r| r.1).collect();
        let p = csc_upper(&self.p, n);
        let mut cones: Vec<SupportedConeT<f64>> = Vec::new();
        if !self.eq.is_empty() {
            cones.push(ZeroConeT(self.eq.len()));
        }
        cones.push(NonnegativeConeT(rows.len() - self.eq.len()));
        let settings = DefaultSettingsBuilder::default()
            .verbose(false)
            .max_iter(400)
            .tol_gap_abs(1e-11)
            .tol_gap_rel(1e-11)
            .tol_feas(1e-11)
            .tol_ktratio(1e-9)
            .build()
            .map_err(|e| QpFailure::Solver(e.to_string()))?;
        let mut solver = DefaultSolver::new(&p, &self.q, &a, &b, &cones, settings)
            .map_err(|e| QpFailure::Solver(e.to_string()))?;
        solver.solve();
        let sol = &solver.solution;
        match sol.status {
            SolverStatus::Solved | SolverStatus::AlmostSolved => {}
            SolverStatus::PrimalInfeasible | SolverStatus::AlmostPrimalInfeasible => {
                return Err(QpFailure::Infeasible);
            }
            SolverStatus::DualInfeasible | SolverStatus::AlmostDualInfeasible => {
                return Err(QpFailure::Unbounded);
            }
            other => return Err(QpFailure::Solver(format!("{other:?}"))),
        }
        let binding = |k: usize| sol.z[k] > sol.s[k];
        let m_eq = self.eq.len();
        let m_in = self.ineq.len();
        let active = ActiveSet {
            ineq: (0..m_in).map(|i| binding(m_eq + i)).collect(),
            at_upper: bound_row[0]
                .iter()
                .map(|r| r.is_some_and(binding))
                .collect(),
            at_lower: bound_row[1]
                .iter()
                .map(|r| r.is_some_and(binding))
                .collect(),
        };
        Ok((sol.x.clone(), active))
    }

    /// The optimum on an active set, if the KKT conditions prove it optimal. When the binding
    /// constraints are redundant (two assets, one at each bound, and the budget row), the KKT
    /// matrix is singular; releasing one bound at a time removes the redundancy.
    fn exact_on(&self, active: &ActiveSet) -> Option<Vec<f64>> {
        let n = self.n();
        if active.at_lower.len() != n
            || active.at_upper.len() != n
            || active.ineq.len() != self.ineq.len()
        {
            return None;
        }
        // A primal-dual active-set iteration: a bound whose multiplier has the wrong sign is
        // released, a free variable beyond a bound is fixed there (likewise for rows), until
        // the KKT conditions hold. Only a proven optimum is returned.
        let mut set = active.clone();
        for _ in 0..(2 * n + 10).min(60) {
            match self.kkt_solve(&set) {
                Ok(Kkt::Optimal(x)) => return Some(x),
                Ok(Kkt::NotOptimal(Some(next))) => set = next,
                Ok(Kkt::NotOptimal(None)) => return None,
                Err(Singular) => {
                    return (0..n)
                        .filter(|&j| set.at_lower[j] || set.at_upper[j])
                        .find_map(|j| {
                            let mut released = set.clone();
                            released.at_lower[j] = false;
                            released.at_upper[j] = false;
                            match self.kkt_solve(&released) {
                                Ok(Kkt::Optimal(x)) => Some(x),
                                _ => None,
                            }
                        });
                }
            }
        }
        None
    }

    /// Solves the KKT system of an active set: the optimum if the conditions prove it, else
    /// the next active set to try; `Err(Singular)` if the system has no unique solution.
    fn kkt_solve(&self, active: &ActiveSet) -> Result<Kkt, Singular> {
        let n = self.n();
        let mut x = vec![0.0; n];
        let mut free = Vec::with_capacity(n);
        let mut fixed = Vec::with_capacity(n);
        for (j, xj) in x.iter_mut().enumerate() {
            if active.at_lower[j] {
                *xj = self.lower[j];
                fixed.push(j);
            } else if active.at_upper[j] {
                *xj = self.upper[j];
                fixed.push(j);
            } else {
                free.push(j);
            }
        }
        // Binding rows as equalities: the equality rows, then the active inequality rows
        // (with their index: their multiplier must be ≥ 0).
        let binding: Vec<(&Row, Option<usize>)> = self
            .eq
            .iter()
            .map(|r| (r, None))
            .chain(
                self.ineq
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| active.ineq[*i])
                    .map(|(i, r)| (r, Some(i))),
            )
            .collect();
        // A row on fixed variables only determines nothing (an asset at a bound that does not
        // trade: `w_i − u_i + v_i = w_prev_i` with all three fixed). It is left out of the
        // system, checked to hold, and its multiplier chosen below within the signs of its
        // variables' bound multipliers.
        let (rows, fixed_rows): (Vec<_>, Vec<_>) = binding
            .into_iter()
            .partition(|((g, _), _)| free.iter().any(|&j| g[j] != 0.0));
        let (nf, m) = (free.len(), rows.len());
        let dim = nf + m;
        let mut k = DMatrix::<f64>::zeros(dim, dim);
        let mut rhs = DVector::<f64>::zeros(dim);
        // `Σ_j p_ij x_j` over the fixed variables of each free row (four rows at a time).
        let rows_of_free: Vec<&[f64]> = free.iter().map(|&i| &self.p[i * n..(i + 1) * n]).collect();
        let x_fixed: Vec<f64> = fixed.iter().map(|&j| x[j]).collect();
        let at_bounds = kernels::gathered_dots(&rows_of_free, &fixed, &x_fixed);
        for (a, (&i, row)) in free.iter().zip(&rows_of_free).enumerate() {
            for (b, &j) in free.iter().enumerate() {
                k[(a, b)] = row[j];
            }
            rhs[a] = -self.q[i] - at_bounds[a];
        }
        for (r, ((g, h), _)) in rows.iter().enumerate() {
            for (a, &j) in free.iter().enumerate() {
                k[(nf + r, a)] = g[j];
                k[(a, nf + r)] = g[j];
            }
            let at_bounds: f64 = fixed.iter().map(|&j| g[j] * x[j]).sum();
            rhs[nf + r] = h - at_bounds;
        }
        let mut y = Vec::new();
        if dim > 0 {
            let sol = k.lu().solve(&rhs).ok_or(Singular)?;
            if sol.iter().any(|v| !v.is_finite()) {
                return Err(Singular);
            }
            for (a, &j) in free.iter().enumerate() {
                x[j] = sol[a];
            }
            y = sol.as_slice()[nf..].to_vec();
        }
        // The binding rows hold (the solve could be ill-conditioned).
        for ((g, h), _) in rows.iter().chain(&fixed_rows) {
            if (dot(g, &x) - h).abs() > PROOF_TOL * (1.0 + h.abs()) {
                return Ok(Kkt::NotOptimal(None));
            }
        }
        let tol = PROOF_TOL * self.scale();
        let mut next = active.clone();
        // Multipliers of active inequality rows must be ≥ 0 (y enters as +g'y).
        for ((_, ineq), &yi) in rows.iter().zip(&y) {
            if let (Some(i), true) = (ineq, yi < -tol) {
                next.ineq[*i] = false;
            }
        }
        // The gradient of the Lagrangian on fixed variables (their bound multipliers).
        let mut grad = vec![0.0; n];
        let rows_of_fixed: Vec<&[f64]> =
            fixed.iter().map(|&j| &self.p[j * n..(j + 1) * n]).collect();
        for (&j, px) in fixed.iter().zip(kernels::dots(&rows_of_fixed, &x)) {
            grad[j] = px + self.q[j];
            for (((g, _), _), yr) in rows.iter().zip(&y) {
                grad[j] += g[j] * yr;
            }
        }
        // Each row on fixed variables: a multiplier that gives every one of its variables the
        // right sign, if there is one (each variable in one such row at most).
        let mut seen = vec![false; n];
        for ((g, _), ineq) in &fixed_rows {
            let (mut lo, mut hi) = (
                if ineq.is_some() {
                    0.0
                } else {
                    f64::NEG_INFINITY
                },
                f64::INFINITY,
            );
            for j in (0..n).filter(|&j| g[j] != 0.0) {
                if std::mem::replace(&mut seen[j], true) {
                    return Ok(Kkt::NotOptimal(None));
                }
                // At lower: grad + g·y ≥ −tol; at upper: grad + g·y ≤ tol.
                let (bound, at_least) = if active.at_lower[j] {
                    ((-tol - grad[j]) / g[j], g[j] > 0.0)
                } else {
                    ((tol - grad[j]) / g[j], g[j] < 0.0)
                };
                if at_least {
                    lo = lo.max(bound);
                } else {
                    hi = hi.min(bound);
                }
            }
            if lo > hi {
                return Ok(Kkt::NotOptimal(None));
            }
            let yr = 0.0f64.clamp(lo, hi);
            for j in (0..n).filter(|&j| g[j] != 0.0) {
                grad[j] += g[j] * yr;
            }
        }
        for j in 0..n {
            if active.at_lower[j] || active.at_upper[j] {
                if (active.at_lower[j] && grad[j] < -tol) || (active.at_upper[j] && grad[j] > tol) {
                    next.at_lower[j] = false;
                    next.at_upper[j] = false;
                }
            } else {
                // Primal feasibility of what was not forced.
                // (An infinite bound gives no scale: its slack would be infinite.)
                let scale = [self.upper[j], self.lower[j]]
                    .iter()
                    .filter(|b| b.is_finite())
                    .fold(0.0f64, |m, b| m.max(b.abs()));
                let slack = 1e-12 * (1.0 + scale);
                if x[j] < self.lower[j] - slack {
                    next.at_lower[j] = true;
                } else if x[j] > self.upper[j] + slack {
                    next.at_upper[j] = true;
                }
            }
        }
        for (i, (g, h)) in self.ineq.iter().enumerate() {
            if !active.ineq[i] && dot(g, &x) > h + PROOF_TOL * (1.0 + h.abs()) {
                next.ineq[i] = true;
            }
        }
        if next != *active {
            return Ok(Kkt::NotOptimal(Some(next)));
        }
        for (j, xj) in x.iter_mut().enumerate() {
            *xj = xj.clamp(self.lower[j], self.upper[j]);
        }
        Ok(Kkt::Optimal(x))
    }
}

/// What a KKT solve on an active set found.
enum Kkt {
    /// The conditions hold: the optimum.
    Optimal(Vec<f64>),
    /// They do not; the next active set to try, if any.
    NotOptimal(Option<ActiveSet>),
}

/// A KKT system with no unique solution.
struct Singular;

/// A constraint row `(g, h)`: `g'x = h` or `g'x ≤ h`.
type Row = (Vec<f64>, f64);

pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn sparse(row: &[f64]) -> Vec<(usize, f64)> {
    row.iter()
        .enumerate()
        .filter(|(_, v)| **v != 0.0)
        .map(|(j, v)| (j, *v))
        .collect()
}

fn csc_from_rows(rows: &[(Vec<(usize, f64)>, f64)], n: usize) -> CscMatrix<f64> {
    let mut cols: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    for (r, (entries, _)) in rows.iter().enumerate() {
        for &(j, v) in entries {
            cols[j].push((r, v));
        }
    }
    let mut colptr = Vec::with_capacity(n + 1);
    let (mut rowval, mut nzval) = (Vec::new(), Vec::new());
    colptr.push(0);
    for col in cols {
        for (r, v) in col {
            rowval.push(r);
            nzval.push(v);
        }
        colptr.push(rowval.len());
    }
    CscMatrix::new(rows.len(), n, colptr, rowval, nzval)
}

/// The upper triangle of a dense symmetric matrix, as clarabel wants P.
fn csc_upper(p: &[f64], n: usize) -> CscMatrix<f64> {
    let mut colptr = Vec::with_capacity(n + 1);
    let (mut rowval, mut nzval) = (Vec::new(), Vec::new());
    colptr.push(0);
    for j in 0..n {
        for i in 0..=j {
            let v = p[i * n + j];
            if v != 0.0 {
                rowval.push(i);
                nzval.push(v);
            }
        }
        colptr.push(rowval.len());
    }
    CscMatrix::new(n, n, colptr, rowval, nzval)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn box_qp() -> Qp {
        // min (x0 - 2)² + (x1 - 2)² subject to x0 + x1 = 1, 0 ≤ x ≤ 0.8: x = (0.5, 0.5).
        Qp {
            p: vec![2.0, 0.0, 0.0, 2.0],
            q: vec![-4.0, -4.0],
            eq: vec![(vec![1.0, 1.0], 1.0)],
            ineq: vec![],
            lower: vec![0.0, 0.0],
            upper: vec![0.8, 0.8],
        }
    }

    #[test]
    fn interior_point_then_exact() {
        let s = box_qp().solve(None).unwrap();
        assert_eq!(s.method, SolveMethod::InteriorPoint);
        assert_eq!(s.x, vec![0.5, 0.5]);
    }

    #[test]
    fn a_binding_bound_is_exact_and_warm_start_reuses_it() {
        // Pull x0 up: min (x0 - 3)² + x1² s.t. x0 + x1 = 1, x ≤ 0.8 → x = (0.8, 0.2).
        let mut qp = box_qp();
        qp.q = vec![-6.0, 0.0];
        let s = qp.solve(None).unwrap();
        let close = |x: &[f64]| (x[0] - 0.8).abs() < 1e-15 && (x[1] - 0.2).abs() < 1e-15;
        assert!(close(&s.x), "{:?}", s.x);
        let active = qp.active_from(&s.x);
        assert!(active.at_upper[0]);
        let again = qp.solve(Some(&active)).unwrap();
        assert_eq!(again.method, SolveMethod::WarmStart);
        assert_eq!(again.x, s.x);
        // A wrong warm start is corrected by the active-set iteration, never trusted.
        let wrong = ActiveSet {
            at_lower: vec![true, false],
            at_upper: vec![false, false],
            ineq: vec![],
        };
        assert!(close(&qp.solve(Some(&wrong)).unwrap().x));
    }

    #[test]
    fn infeasible_rows_are_reported() {
        let mut qp = box_qp();
        qp.eq[0].1 = 2.0; // two variables ≤ 0.8 cannot sum to 2
        assert_eq!(qp.solve(None).unwrap_err(), QpFailure::Infeasible);
    }
}
