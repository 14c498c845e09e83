//! The two dense kernels of a rolling optimisation — the definiteness check's Cholesky factor
//! and the update of the covariance's sums of cross-products — written once, register-blocked,
//! and compiled twice: for the baseline x86-64 (SSE2) and, chosen at run time when the CPU has
//! it, for AVX (four doubles a register). Both versions do the same operations in the same
//! order on each element (a multiply, then an add; no fused multiply-add, which rounds once
//! instead of twice), so their results are the same bit for bit; only the width of the
//! registers differs.

/// Rows of a column of the Cholesky factor updated together in registers (four AVX registers,
/// eight SSE2 ones). A column of the factor's buffer holds this many padding rows after its
/// `n` rows, so that every strip is whole.
pub(crate) const STRIP: usize = 16;

use crate::isa::Isa;

/// Factorises in place the symmetric matrix whose lower triangle is held column by column in
/// `m` (column `j` at `m[j·ld ..]`, `ld ≥ n + STRIP`, the padding rows zero): nalgebra's
/// `Cholesky::new`, the same operations in the same order on each element (column by column,
/// each entry less, in turn, its row's entry of every earlier column times its own entry
/// there, then divided by the square root of the pivot). `false` if a pivot is not positive
/// (the factor is then partly computed).
pub(crate) fn cholesky_in_place(m: &mut [f64], n: usize, ld: usize, isa: Isa) -> bool {
    assert!(ld >= n + STRIP && m.len() >= n * ld);
    match isa {
        Isa::Baseline => cholesky_columns(m, n, ld),
        // SAFETY: only `Isa::best` makes an `Isa::Avx`, on a CPU that has AVX.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx(_) => unsafe { cholesky_avx(m, n, ld) },
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn cholesky_avx(m: &mut [f64], n: usize, ld: usize) -> bool {
    cholesky_columns(m, n, ld)
}

/// Left-looking, column by column. Each strip of `STRIP` entries of column `j` stays in
/// registers while every earlier column `k` is subtracted from it (`y += (−l_jk) · l_ik`, `k`
/// from 0 up), which is the order nalgebra's column updates give each entry.
#[inline(always)]
fn cholesky_columns(m: &mut [f64], n: usize, ld: usize) -> bool {
    for j in 0..n {
        let (left, right) = m.split_at_mut(j * ld);
        let col_j = &mut right[..ld];
        let mut s = j;
        while s < n {
            let strip: &mut [f64; STRIP] = (&mut col_j[s..s + STRIP]).try_into().expect("whole");
            let mut acc = *strip;
            for col_k in left.chunks_exact(ld) {
                let factor = -col_k[j];
                let x: &[f64; STRIP] = col_k[s..s + STRIP].try_into().expect("whole");
                for (y, x) in acc.iter_mut().zip(x) {
                    *y += factor * x;
                }
            }
            *strip = acc;
            s += STRIP;
        }
        let pivot = col_j[j];
        if pivot.is_nan() || pivot <= 0.0 {
            return false;
        }
        let denom = pivot.sqrt();
        col_j[j] = denom;
        col_j[j + 1..n].iter_mut().for_each(|v| *v /= denom);
    }
    true
}

/// `cross[j][k] += Σ plus_ij plus_ik − Σ minus_ij minus_ik` on the upper triangle (`k ≥ j`) of
/// the row-major n × n `cross`, `plus` and `minus` being rows of n values. Each entry's sum
/// starts at zero, adds `(±y_j)·y_k` row by row (`plus`, then `minus`), and is then added to
/// the entry: 4 × 8 (or 4 × 4) blocks of entries are summed in registers over all the rows.
pub(crate) fn add_cross_products(
    cross: &mut [f64],
    n: usize,
    plus: &[f64],
    minus: &[f64],
    isa: Isa,
) {
    assert_eq!(cross.len(), n * n);
    match isa {
        Isa::Baseline => cross_products(cross, n, plus, minus),
        // SAFETY: only `Isa::best` makes an `Isa::Avx`, on a CPU that has AVX.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx(_) => unsafe { cross_products_avx(cross, n, plus, minus) },
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn cross_products_avx(cross: &mut [f64], n: usize, plus: &[f64], minus: &[f64]) {
    cross_products(cross, n, plus, minus)
}

/// Rows of a block of `cross`.
const ROWS: usize = 4;

#[inline(always)]
fn cross_products(cross: &mut [f64], n: usize, plus: &[f64], minus: &[f64]) {
    if n == 0 {
        return;
    }
    let mut j0 = 0;
    while j0 + ROWS <= n {
        let mut k0 = j0;
        while k0 + 8 <= n {
            block::<8>(cross, n, j0, k0, plus, minus);
            k0 += 8;
        }
        if k0 + 4 <= n {
            block::<4>(cross, n, j0, k0, plus, minus);
            k0 += 4;
        }
        entries(cross, n, j0..j0 + ROWS, k0, plus, minus);
        j0 += ROWS;
    }
    entries(cross, n, j0..n, j0, plus, minus);
}

/// One `ROWS × W` block of `cross` at `(j0, k0)`, its entries below the diagonal left alone.
#[inline(always)]
fn block<const W: usize>(
    cross: &mut [f64],
    n: usize,
    j0: usize,
    k0: usize,
    plus: &[f64],
    minus: &[f64],
) {
    let mut acc = [[0.0f64; W]; ROWS];
    for (rows, sign) in [(plus, 1.0), (minus, -1.0)] {
        for y in rows.chunks_exact(n) {
            let a: [f64; ROWS] = std::array::from_fn(|p| sign * y[j0 + p]);
            let b: &[f64; W] = y[k0..k0 + W].try_into().expect("whole");
            for (acc, a) in acc.iter_mut().zip(a) {
                for (acc, b) in acc.iter_mut().zip(b) {
                    *acc += a * b;
                }
            }
        }
    }
    for (p, acc) in acc.iter().enumerate() {
        let row = &mut cross[(j0 + p) * n + k0..(j0 + p) * n + k0 + W];
        for (q, (c, a)) in row.iter_mut().zip(acc).enumerate() {
            if k0 + q >= j0 + p {
                *c += a;
            }
        }
    }
}

/// The entries `(j, k)`, `j` in `js`, `k` from `max(k0, j)` to `n`, one at a time (the edges
/// the blocks leave).
#[inline(always)]
fn entries(
    cross: &mut [f64],
    n: usize,
    js: std::ops::Range<usize>,
    k0: usize,
    plus: &[f64],
    minus: &[f64],
) {
    for j in js {
        for k in k0.max(j)..n {
            let mut acc = 0.0;
            for (rows, sign) in [(plus, 1.0), (minus, -1.0)] {
                for y in rows.chunks_exact(n) {
                    acc += sign * y[j] * y[k];
                }
            }
            cross[j * n + k] += acc;
        }
    }
}

/// `Σ row_i x_i` of each row, the sum `Iterator::sum` gives of the products (its neutral
/// element, then each product added first to last, `zip` stopping at the shorter): the
/// `a.iter().zip(b).map(|(a, b)| a * b).sum()` of each row, bit for bit. Four rows are summed
/// at a time, as independent chains, so that each add need not wait for the last.
pub(crate) fn dots(rows: &[&[f64]], x: &[f64]) -> Vec<f64> {
    let dot = |r: &[f64]| -> f64 { r.iter().zip(x).map(|(a, b)| a * b).sum() };
    let zero: f64 = std::iter::empty::<f64>().sum();
    let mut out = Vec::with_capacity(rows.len());
    let mut fours = rows.chunks_exact(4);
    for r in &mut fours {
        let len = x.len().min(r[0].len());
        if r.iter().any(|r| x.len().min(r.len()) != len) {
            out.extend(r.iter().map(|r| dot(r)));
            continue;
        }
        let mut s = [zero; 4];
        let (r0, r1, r2, r3) = (&r[0][..len], &r[1][..len], &r[2][..len], &r[3][..len]);
        for ((((a, b), c), d), x) in r0.iter().zip(r1).zip(r2).zip(r3).zip(&x[..len]) {
            s[0] += a * x;
            s[1] += b * x;
            s[2] += c * x;
            s[3] += d * x;
        }
        out.extend(s);
    }
    out.extend(fours.remainder().iter().map(|r| dot(r)));
    out
}

/// `Σ_t row[idx_t] · x_t` of each row, the sum `Iterator::sum` gives of
/// `idx.iter().zip(x).map(|(&j, x)| row[j] * x)`, bit for bit; four rows at a time, as
/// independent chains.
pub(crate) fn gathered_dots(rows: &[&[f64]], idx: &[usize], x: &[f64]) -> Vec<f64> {
    let zero: f64 = std::iter::empty::<f64>().sum();
    let mut out = Vec::with_capacity(rows.len());
    let mut fours = rows.chunks_exact(4);
    for r in &mut fours {
        let mut s = [zero; 4];
        for (&j, x) in idx.iter().zip(x) {
            s[0] += r[0][j] * x;
            s[1] += r[1][j] * x;
            s[2] += r[2][j] * x;
            s[3] += r[3][j] * x;
        }
        out.extend(s);
    }
    out.extend(
        fours
            .remainder()
            .iter()
            .map(|r| idx.iter().zip(x).map(|(&j, x)| r[j] * x).sum::<f64>()),
    );
    out
}

/// Whether every value is finite: `v − v` is 0 for a finite `v` and NaN for ±∞ and NaN, and a
/// sum with a NaN in it is NaN. Eight sums side by side, so that the pass runs on whole
/// registers (AVX when the CPU has it).
pub(crate) fn all_finite(v: &[f64], isa: Isa) -> bool {
    match isa {
        Isa::Baseline => all_finite_lanes(v),
        // SAFETY: only `Isa::best` makes an `Isa::Avx`, on a CPU that has AVX.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx(_) => unsafe { all_finite_avx(v) },
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn all_finite_avx(v: &[f64]) -> bool {
    all_finite_lanes(v)
}

// `x - x` on purpose: 0 for a finite `x`, NaN otherwise.
#[allow(clippy::eq_op)]
#[inline(always)]
fn all_finite_lanes(v: &[f64]) -> bool {
    let mut acc = [0.0f64; 8];
    let mut chunks = v.chunks_exact(8);
    for c in &mut chunks {
        for (a, x) in acc.iter_mut().zip(c) {
            *a += x - x;
        }
    }
    let rest = chunks.remainder().iter().fold(0.0, |a, x| a + (x - x));
    acc.iter().fold(rest, |a, x| a + x) == 0.0
}

/// Whether two slices hold equal values (`==` on each pair: `NaN` equals nothing, `0.0`
/// equals `-0.0`), compared a chunk at a time without a branch per value.
pub(crate) fn same_values(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.chunks(32)
            .zip(b.chunks(32))
            .all(|(a, b)| a.iter().zip(b).fold(true, |same, (a, b)| same & (a == b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(len: usize, seed: f64) -> Vec<f64> {
        (0..len)
            .map(|i| ((i as f64 * 12.9898 + seed).sin() * 43758.5453).fract() * 0.04)
            .collect()
    }

    /// Every ISA this CPU runs.
    fn isas() -> Vec<Isa> {
        let mut v = vec![Isa::Baseline];
        if Isa::best() != Isa::Baseline {
            v.push(Isa::best());
        }
        v
    }

    /// The definition, one entry at a time, in the order the kernel promises.
    fn cross_reference(cross: &mut [f64], n: usize, plus: &[f64], minus: &[f64]) {
        for j in 0..n {
            for k in j..n {
                let mut acc = 0.0;
                // (The kernel's `sign · y_j` is exactly `y_j` or `−y_j`.)
                for y in plus.chunks_exact(n) {
                    acc += y[j] * y[k];
                }
                for y in minus.chunks_exact(n) {
                    acc += (-y[j]) * y[k];
                }
                cross[j * n + k] += acc;
            }
        }
    }

    #[test]
    fn cross_products_are_the_definition_bit_for_bit_on_every_isa() {
        for n in [1, 3, 4, 7, 8, 12, 13, 21, 100] {
            let (plus, minus) = (noise(9 * n, 1.0), noise(5 * n, 2.0));
            let start = noise(n * n, 3.0);
            let mut want = start.clone();
            cross_reference(&mut want, n, &plus, &minus);
            for isa in isas() {
                let mut got = start.clone();
                add_cross_products(&mut got, n, &plus, &minus, isa);
                let bits = |v: &[f64]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&got), bits(&want), "n = {n}, {isa:?}");
            }
        }
    }

    #[test]
    fn cholesky_is_the_same_on_every_isa() {
        for n in [1, 5, 16, 17, 40, 100] {
            // A Gram matrix of noise plus a ridge: positive definite.
            let r = noise(3 * n * n, 4.0);
            let ld = n + STRIP;
            let mut a = vec![0.0; n * ld];
            for j in 0..n {
                for i in j..n {
                    let v: f64 = (0..3 * n).map(|t| r[t * n + i] * r[t * n + j]).sum();
                    a[j * ld + i] = v + if i == j { 1e-3 } else { 0.0 };
                }
            }
            let factors: Vec<Vec<u64>> = isas()
                .into_iter()
                .map(|isa| {
                    let mut m = a.clone();
                    assert!(cholesky_in_place(&mut m, n, ld, isa));
                    m.iter().map(|v| v.to_bits()).collect()
                })
                .collect();
            assert!(factors.windows(2).all(|f| f[0] == f[1]), "n = {n}");
        }
    }

    #[test]
    fn dots_are_iterator_sums_bit_for_bit() {
        let m = noise(10 * 30, 6.0);
        let mut x = noise(30, 7.0);
        x[3] = 0.0;
        // Rows of different lengths (`zip` stops at the shorter), and signed zeros.
        let mut rows: Vec<&[f64]> = m.chunks(30).collect();
        rows[2] = &rows[2][..17];
        let zeros = [-0.0; 30];
        rows.push(&zeros);
        let got = dots(&rows, &x);
        let want: Vec<f64> = rows
            .iter()
            .map(|r| r.iter().zip(&x).map(|(a, b)| a * b).sum())
            .collect();
        let bits = |v: &[f64]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&got), bits(&want));
    }

    #[test]
    fn gathered_dots_are_iterator_sums_bit_for_bit() {
        let m = noise(7 * 20, 8.0);
        let rows: Vec<&[f64]> = m.chunks(20).collect();
        let idx = [19, 0, 3, 3, 11, 7];
        let mut x = noise(idx.len(), 9.0);
        x[1] = -0.0;
        let got = gathered_dots(&rows, &idx, &x);
        let want: Vec<f64> = rows
            .iter()
            .map(|r| idx.iter().zip(&x).map(|(&j, x)| r[j] * x).sum())
            .collect();
        let bits = |v: &[f64]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&got), bits(&want));
    }

    #[test]
    fn all_finite_finds_every_infinity_and_nan() {
        let v = noise(37, 10.0);
        for isa in isas() {
            assert!(all_finite(&v, isa) && all_finite(&[], isa));
            for bad in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN] {
                for at in [0, 8, 31, 36] {
                    let mut w = v.clone();
                    w[at] = bad;
                    assert!(!all_finite(&w, isa), "{bad} at {at}, {isa:?}");
                }
            }
            assert!(all_finite(
                &[f64::MAX, -f64::MAX, f64::MIN_POSITIVE / 2.0],
                isa
            ));
        }
    }

    #[test]
    fn same_values_is_slice_equality() {
        let a = noise(70, 5.0);
        let mut b = a.clone();
        assert!(same_values(&a, &b));
        b[69] = -b[69];
        assert!(!same_values(&a, &b));
        assert!(!same_values(&a, &a[1..]));
        assert!(same_values(&[0.0], &[-0.0]) && !same_values(&[f64::NAN], &[f64::NAN]));
    }
}
