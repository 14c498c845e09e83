//! Corporate actions for backtests on raw prices: which prices a run trades (`adjusted` or
//! `raw`), the `split` and `dividend` columns raw prices need, and split coefficients cleaned
//! of float noise.
//!
//! With `prices = "raw"` folio trades and values the raw `close` (and raw `open` for
//! `next_open`) and applies the corporate actions itself: a split multiplies the units held, a
//! cash dividend is paid on the ex-date (see [`crate::engine`]). The table then carries the
//! actions as its `split` and `dividend` fields, checked and with snapped coefficients (see
//! [`snap_split`]), and [`PriceTable::corporate_actions`](super::PriceTable::corporate_actions)
//! lists the (day, asset) cells that hold one.

use serde::{Deserialize, Serialize};

use super::load::Frame;
use super::{DataError, Matrix};

/// Which prices a run trades and values.
///
/// ```
/// use folio::data::PriceBasis;
/// assert_eq!(PriceBasis::default(), PriceBasis::Adjusted);
/// assert_eq!("raw".parse::<PriceBasis>().unwrap(), PriceBasis::Raw);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceBasis {
    /// The file's adjusted close (`adj_close`, else `close`, else `price`), which already holds
    /// splits and reinvested dividends: no corporate action is applied.
    #[default]
    Adjusted,
    /// The raw `close` (and `open`), with the file's `split` and `dividend` columns applied by
    /// the engine.
    Raw,
}

impl std::str::FromStr for PriceBasis {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "adjusted" => Ok(PriceBasis::Adjusted),
            "raw" => Ok(PriceBasis::Raw),
            _ => Err(format!("unknown prices `{s}`, expected adjusted or raw")),
        }
    }
}

impl std::fmt::Display for PriceBasis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PriceBasis::Adjusted => "adjusted",
            PriceBasis::Raw => "raw",
        })
    }
}

/// Largest denominator of the ratios a split coefficient snaps to.
const MAX_DENOMINATOR: u32 = 10;
/// Largest numerator of the ratios a split coefficient snaps to.
const MAX_NUMERATOR: u32 = 1000;
/// Relative distance within which a coefficient snaps to a ratio of small integers.
const RATIO_TOLERANCE: f64 = 1e-5;
/// Relative distance within which a coefficient snaps to a multiple of 0.001.
const DECIMAL_TOLERANCE: f64 = 1e-6;

/// A split coefficient without its float noise.
///
/// Vendors store split coefficients as floats computed from prices, so a 7-for-1 split reads
/// 7.00000700001 (AAPL, 2014-06-09) and a 3-for-2 reads 1.499999. Applying them as read would
/// leave noise positions (700.0007 shares for 100). A coefficient within 1e-5 (relative) of a
/// ratio p/q of small integers (q ≤ 10, p ≤ 1000: 2, 3/2, 7, 1/10, 4/3, …) becomes that ratio;
/// otherwise, one within 1e-6 of a multiple of 0.001 becomes that decimal (spin-off
/// adjustments quoted to three decimals, such as 1.0499999475 → 1.05); any other coefficient
/// (1.06883283454, 250/99 = 2.52525252525) is a genuine odd ratio and is kept as read.
///
/// ```
/// use folio::data::snap_split;
/// assert_eq!(snap_split(7.00000700001), 7.0);
/// assert_eq!(snap_split(1.499999), 1.5);
/// assert_eq!(snap_split(0.333333), 1.0 / 3.0);
/// assert_eq!(snap_split(1.0499999475), 1.05);
/// assert_eq!(snap_split(1.06883283454), 1.06883283454);
/// assert_eq!(snap_split(1.0), 1.0);
/// ```
pub fn snap_split(c: f64) -> f64 {
    if !(c.is_finite() && c > 0.0) {
        return c;
    }
    let mut best: Option<(f64, f64)> = None;
    for q in 1..=MAX_DENOMINATOR {
        let p = (c * q as f64).round();
        if p < 1.0 || p > MAX_NUMERATOR as f64 {
            continue;
        }
        let ratio = p / q as f64;
        let err = (c - ratio).abs() / ratio;
        if err <= RATIO_TOLERANCE && best.is_none_or(|(_, e)| err < e) {
            best = Some((ratio, err));
        }
    }
    if let Some((ratio, _)) = best {
        return ratio;
    }
    let decimal = (c * 1000.0).round() / 1000.0;
    if decimal > 0.0 && (c - decimal).abs() / decimal <= DECIMAL_TOLERANCE {
        return decimal;
    }
    c
}

/// The `split` and `dividend` columns of a long file read for `prices = "raw"`: both must be
/// there, and each row in use must hold a positive, finite split coefficient and a finite
/// dividend ≥ 0, or the error names the file, row and column.
pub(super) fn check_columns(
    frame: &Frame,
    used: &[(usize, usize, usize)],
) -> Result<(), DataError> {
    for (name, expected, ok) in [
        (
            "split",
            "a positive split coefficient (1 = no split)",
            (|v: f64| v.is_finite() && v > 0.0) as fn(f64) -> bool,
        ),
        (
            "dividend",
            "a cash dividend per share ≥ 0 (0 = none)",
            |v: f64| v.is_finite() && v >= 0.0,
        ),
    ] {
        let column = frame
            .find_column(name)
            .ok_or_else(|| DataError::RawNeedsColumn {
                path: frame.path.clone(),
                column: name.to_string(),
                found: frame.names().join(", "),
            })?;
        let values = frame.numbers(&column)?;
        for &(i, _, _) in used {
            match values[i] {
                None => {
                    return Err(DataError::EmptyCell {
                        at: frame.cell(i, &column),
                    });
                }
                Some(v) if !ok(v) => {
                    return Err(DataError::BadCorporateAction {
                        at: frame.cell(i, &column),
                        expected,
                        value: v,
                    });
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}

/// Checks a table's `split` and `dividend` fields against its listed intervals and snaps the
/// split coefficients: returns the cleaned split matrix and the (day, asset) cells that hold a
/// split or a dividend, in day order. Outside an asset's listed interval the fields are
/// ignored; inside it a missing value means no action.
pub(super) fn clean(
    split: &Matrix,
    dividend: &Matrix,
    listed: impl Fn(usize, usize) -> bool,
    describe: impl Fn(usize, usize) -> String,
) -> Result<(Matrix, Vec<(usize, usize)>), DataError> {
    let mut snapped = split.clone();
    let mut events = Vec::new();
    for t in 0..split.rows() {
        for j in 0..split.cols() {
            if !listed(t, j) {
                snapped.set(t, j, 1.0);
                continue;
            }
            let (s, d) = (split.get(t, j), dividend.get(t, j));
            let s = if s.is_nan() { 1.0 } else { s };
            let d = if d.is_nan() { 0.0 } else { d };
            if !(s.is_finite() && s > 0.0) {
                return Err(DataError::InvalidTable(format!(
                    "split coefficient of {} is {s}; it must be positive and finite",
                    describe(t, j)
                )));
            }
            if !(d.is_finite() && d >= 0.0) {
                return Err(DataError::InvalidTable(format!(
                    "dividend of {} is {d}; it must be finite and ≥ 0",
                    describe(t, j)
                )));
            }
            let s = snap_split(s);
            snapped.set(t, j, s);
            if s != 1.0 || d != 0.0 {
                events.push((t, j));
            }
        }
    }
    Ok((snapped, events))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snaps_the_noisy_coefficients_of_the_bundled_data() {
        for (read, exact) in [
            (7.00000700001, 7.0),
            (3.000003, 3.0),
            (1.499999, 1.5),
            (0.142857, 1.0 / 7.0),
            (0.1, 0.1),
            (1.333333, 4.0 / 3.0),
            (50.0, 50.0),
            (1.1099998779, 1.11),
            (0.955000382, 0.955),
            (1.4869999, 1.487),
        ] {
            assert_eq!(snap_split(read), exact, "{read}");
        }
        // Genuine odd ratios are kept.
        for odd in [1.06883283454, 0.303582270795, 2.52525252525, 0.03125] {
            assert_eq!(snap_split(odd), odd);
        }
    }

    #[test]
    fn clean_lists_events_and_ignores_unlisted_cells() {
        let n = f64::NAN;
        let split = Matrix::from_rows(3, 2, vec![1.0, n, 2.0000001, 1.0, 1.0, 1.0]).unwrap();
        let div = Matrix::from_rows(3, 2, vec![0.0, 5.0, 0.0, 0.0, n, 0.25]).unwrap();
        let (s, events) =
            clean(&split, &div, |t, j| j == 0 || t > 0, |_, _| String::new()).unwrap();
        assert_eq!(events, vec![(1, 0), (2, 1)]);
        assert_eq!(s.get(1, 0), 2.0);
        assert_eq!(s.get(0, 1), 1.0);
        let bad = Matrix::from_rows(3, 2, vec![1.0, 1.0, 0.0, 1.0, 1.0, 1.0]).unwrap();
        assert!(clean(&bad, &div, |_, _| true, |_, _| "X".into()).is_err());
    }
}
