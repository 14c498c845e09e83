//! The per-day sums of the record, with an AVX form chosen at run time on x86-64.
//!
//! Every form computes the same IEEE operations in the same order — each value a product
//! (`ledger::value`), each day's sum in asset order from 0, each weight one correctly rounded
//! division, no fused multiply-add — so the results are the same to the bit whichever runs;
//! the AVX form only does four of them at once.

use super::ledger::value;
use crate::data::Matrix;
use crate::isa::Isa;

/// The values at `units` of the `K` days from `day`, each day's summed in asset order from 0:
/// the days side by side, so the additions of different days overlap.
#[inline]
pub(crate) fn sum_days<const K: usize>(
    isa: Isa,
    units: &[f64],
    prices: &Matrix,
    day: usize,
) -> [f64; K] {
    #[cfg(target_arch = "x86_64")]
    if let (Isa::Avx(_), 0) = (isa, K % 4) {
        // SAFETY: only `Isa::best` makes an `Isa::Avx`, on a CPU that has AVX.
        return unsafe { avx::sum_days::<K>(units, prices, day) };
    }
    let _ = isa;
    sum_days_scalar::<K>(units, prices, day)
}

/// [`sum_days`] one value at a time.
#[inline]
pub(crate) fn sum_days_scalar<const K: usize>(
    units: &[f64],
    prices: &Matrix,
    day: usize,
) -> [f64; K] {
    let n = units.len();
    let rows: [&[f64]; K] = std::array::from_fn(|i| &prices.row(day + i)[..n]);
    let mut sums = [0.0; K];
    for (j, &q) in units.iter().enumerate() {
        for i in 0..K {
            sums[i] += value(q, rows[i][j]);
        }
    }
    sums
}

/// Writes `row` = each holding's value at `units` and `prices` divided by `nav` (the values
/// themselves when `nav` is 0): a day's weights.
#[inline]
pub(crate) fn weights_row(isa: Isa, row: &mut [f64], units: &[f64], prices: &[f64], nav: f64) {
    #[cfg(target_arch = "x86_64")]
    if let Isa::Avx(_) = isa {
        // SAFETY: only `Isa::best` makes an `Isa::Avx`, on a CPU that has AVX.
        return unsafe { avx::weights_row(row, units, prices, nav) };
    }
    let _ = isa;
    weights_row_portable(row, units, prices, nav);
}

/// [`weights_row`] as the compiler vectorises it for the target (SSE2 on x86-64).
#[inline(always)]
fn weights_row_portable(row: &mut [f64], units: &[f64], prices: &[f64], nav: f64) {
    let (units, prices) = (&units[..row.len()], &prices[..row.len()]);
    if nav != 0.0 {
        for ((w, &q), &p) in row.iter_mut().zip(units).zip(prices) {
            *w = value(q, p) / nav;
        }
    } else {
        for ((w, &q), &p) in row.iter_mut().zip(units).zip(prices) {
            *w = value(q, p);
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx {
    use std::arch::x86_64::*;

    use crate::data::Matrix;

    /// [`super::weights_row`]: the same loop, compiled for AVX (four divisions at once).
    #[target_feature(enable = "avx")]
    pub(super) unsafe fn weights_row(row: &mut [f64], units: &[f64], prices: &[f64], nav: f64) {
        super::weights_row_portable(row, units, prices, nav);
    }

    /// [`super::sum_days`] for `K` a multiple of 4: for each run of four assets, the values of
    /// four days (one vector per day) are transposed into one vector per asset (the four days
    /// side by side), which is added to the days' sums in asset order; the last `n % 4` assets
    /// are added one by one after them.
    #[target_feature(enable = "avx")]
    pub(super) unsafe fn sum_days<const K: usize>(
        units: &[f64],
        prices: &Matrix,
        day: usize,
    ) -> [f64; K] {
        debug_assert!(
            K % 4 == 0 && K <= 16,
            "blocks of four days, at most sixteen"
        );
        let n = units.len();
        let rows: [&[f64]; K] = std::array::from_fn(|i| &prices.row(day + i)[..n]);
        let mut acc = [_mm256_setzero_pd(); 4];
        let mut j = 0;
        while j + 4 <= n {
            // SAFETY: j + 4 <= n, the length of `units` and of every row.
            unsafe {
                let q = _mm256_loadu_pd(units.as_ptr().add(j));
                // `value`: 0 where the units are 0 (all bits of the product cleared).
                let held = _mm256_cmp_pd::<_CMP_NEQ_UQ>(q, _mm256_setzero_pd());
                // (A macro, not a closure: the intrinsics inline only into AVX code.)
                macro_rules! v {
                    ($i:expr) => {
                        _mm256_and_pd(
                            held,
                            _mm256_mul_pd(q, _mm256_loadu_pd(rows[$i].as_ptr().add(j))),
                        )
                    };
                }
                for (g, acc) in acc.iter_mut().enumerate().take(K / 4) {
                    let (v0, v1, v2, v3) = (v!(4 * g), v!(4 * g + 1), v!(4 * g + 2), v!(4 * g + 3));
                    let t0 = _mm256_unpacklo_pd(v0, v1); // d0 j, d1 j, d0 j+2, d1 j+2
                    let t1 = _mm256_unpackhi_pd(v0, v1); // d0 j+1, d1 j+1, d0 j+3, d1 j+3
                    let t2 = _mm256_unpacklo_pd(v2, v3);
                    let t3 = _mm256_unpackhi_pd(v2, v3);
                    let mut a = *acc;
                    a = _mm256_add_pd(a, _mm256_permute2f128_pd::<0x20>(t0, t2)); // asset j
                    a = _mm256_add_pd(a, _mm256_permute2f128_pd::<0x20>(t1, t3)); // j + 1
                    a = _mm256_add_pd(a, _mm256_permute2f128_pd::<0x31>(t0, t2)); // j + 2
                    a = _mm256_add_pd(a, _mm256_permute2f128_pd::<0x31>(t1, t3)); // j + 3
                    *acc = a;
                }
            }
            j += 4;
        }
        let mut sums = [0.0; K];
        for (g, acc) in acc.iter().enumerate().take(K / 4) {
            // SAFETY: 4 * g + 4 <= K.
            unsafe { _mm256_storeu_pd(sums.as_mut_ptr().add(4 * g), *acc) };
        }
        for (j, &q) in units.iter().enumerate().skip(j) {
            for i in 0..K {
                sums[i] += super::value(q, rows[i][j]);
            }
        }
        sums
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bits of each number, every NaN as one (which NaN an operation on two NaNs keeps is
    /// not what is checked).
    fn bits(a: &[f64]) -> Vec<u64> {
        a.iter()
            .map(|x| {
                if x.is_nan() {
                    f64::NAN.to_bits()
                } else {
                    x.to_bits()
                }
            })
            .collect()
    }

    /// The AVX sums and weights equal the one-at-a-time ones to the bit (when the CPU has
    /// AVX), for every width of the table (the last `n % 4` assets apart) and every block of
    /// days, with zero, negative, −0 and NaN units, NaN and zero prices, and huge values whose
    /// sums overflow.
    #[test]
    fn avx_sums_and_weights_equal_the_scalar_ones_to_the_bit() {
        let avx = Isa::best();
        if avx == Isa::Baseline {
            eprintln!("no AVX on this CPU: only the portable forms run");
        }
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for n in 0..14 {
            let days = 40;
            let mut prices = Matrix::filled(days, n, 0.0);
            for t in 0..days {
                for j in 0..n {
                    let r = next();
                    let p = match r % 23 {
                        0 => f64::NAN,
                        1 => 0.0,
                        2 => 1e300,
                        _ => 1.0 + (r >> 11) as f64 / (1u64 << 53) as f64 * 99.0,
                    };
                    prices.set(t, j, p);
                }
            }
            for _ in 0..6 {
                let units: Vec<f64> = (0..n)
                    .map(|_| {
                        let r = next();
                        match r % 11 {
                            0 | 1 => 0.0,
                            2 => -0.0,
                            3 => f64::NAN,
                            4 => -((r >> 40) as f64),
                            _ => (r >> 33) as f64 / 7.0,
                        }
                    })
                    .collect();
                for day in 0..days - 16 {
                    let check = |a: &[u64], b: &[u64]| assert_eq!(a, b, "n {n}, day {day}");
                    check(
                        &bits(&sum_days::<16>(avx, &units, &prices, day)),
                        &bits(&sum_days_scalar::<16>(&units, &prices, day)),
                    );
                    check(
                        &bits(&sum_days::<8>(avx, &units, &prices, day)),
                        &bits(&sum_days_scalar::<8>(&units, &prices, day)),
                    );
                    check(
                        &bits(&sum_days::<4>(avx, &units, &prices, day)),
                        &bits(&sum_days_scalar::<4>(&units, &prices, day)),
                    );
                    // The scalar sums are those of one day alone.
                    let one = sum_days_scalar::<16>(&units, &prices, day);
                    for (i, s) in one.iter().enumerate() {
                        let mut direct = 0.0;
                        for (&q, &p) in units.iter().zip(prices.row(day + i)) {
                            direct += value(q, p);
                        }
                        assert_eq!(bits(&[*s]), bits(&[direct]), "n {n}, day {day} + {i}");
                    }
                    for nav in [one[0] + 1234.5, 0.0, -3.0, f64::NAN] {
                        let (mut a, mut b) = (vec![7.0; n], vec![7.0; n]);
                        weights_row(avx, &mut a, &units, prices.row(day), nav);
                        for ((w, &q), &p) in b.iter_mut().zip(&units).zip(prices.row(day)) {
                            *w = if nav != 0.0 {
                                value(q, p) / nav
                            } else {
                                value(q, p)
                            };
                        }
                        check(&bits(&a), &bits(&b));
                    }
                }
            }
        }
    }
}
