//! Liquidity-aware fills: square-root market impact, a quoted spread per asset, a cap on each
//! fill's share of the day's volume (the rest carried to the next day or cancelled), and
//! borrow fees and availability over time.
//!
//! Everything here is off by default ([`Liquidity::default`]), and then the engine runs the
//! frictionless instance of [`Frictions`], which compiles to the plain fills.

use serde::Serialize;

use super::EngineError;
use crate::data::{BorrowFile, Matrix, PriceTable, SpreadFile};
use crate::numeric;

/// Square-root market impact (Almgren et al. 2005; bt's `SqrtCostModel`): trading `q` units
/// at mid price `m` costs `k · σ · √(|q| / ADV) · |q| · m`, where σ is the sample standard
/// deviation (n − 1) of the asset's daily close-to-close returns over the `vol_window`
/// returns before the fill day and ADV its mean daily volume (units) over the `adv_window`
/// days before the fill day. Both use only days before the fill (the fill day's own close and
/// volume are not known when it trades), and only days the asset has a price and a volume; an
/// asset with fewer than 2 such returns or a zero ADV cannot be traded that day (the order
/// waits for the next day, unless a volume cap's `leftover` is `cancel`).
///
/// ```
/// let m = folio::engine::SqrtImpact { k: 0.5, vol_window: 20, adv_window: 20 };
/// // 10,000 units at 50 with σ = 2 %, ADV = 1,000,000: 0.5 × 0.02 × √0.01 × 500,000.
/// assert!((m.cost(0.02, 1e6, -1e4, 50.0) - 500.0).abs() < 1e-9);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SqrtImpact {
    /// The impact coefficient (about 1 in the square-root-law literature).
    pub k: f64,
    /// Daily returns in σ's window (default 20).
    pub vol_window: usize,
    /// Days in ADV's window (default 20).
    pub adv_window: usize,
}

impl SqrtImpact {
    /// The impact cost of `units` (signed) at `mid`, given σ (daily) and ADV (units).
    pub fn cost(&self, sigma: f64, adv: f64, units: f64, mid: f64) -> f64 {
        let q = units.abs();
        self.k * sigma * (q / adv).sqrt() * q * mid
    }
}

/// What happens to the part of an order a fill could not take.
///
/// ```
/// assert_eq!("carry".parse::<folio::engine::Leftover>().unwrap(), folio::engine::Leftover::Carry);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Leftover {
    /// It is ordered again the next day (until filled, or replaced by a new decision).
    #[default]
    Carry,
    /// It is dropped.
    Cancel,
}

impl std::str::FromStr for Leftover {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "carry" => Ok(Leftover::Carry),
            "cancel" => Ok(Leftover::Cancel),
            _ => Err(format!("unknown leftover `{s}`, expected carry or cancel")),
        }
    }
}

/// A cap on each day's fills of an asset: at most `max_share` of the fill day's volume (as
/// zipline's default volume-share slippage, 2.5 %). A day without volume fills nothing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Participation {
    /// Largest share of the day's volume a day's fills of one asset may take, in (0, 1].
    pub max_share: f64,
    /// What happens to the rest of the order.
    pub leftover: Leftover,
}

/// The liquidity settings of a backtest: all off by default.
///
/// ```
/// assert!(folio::engine::Liquidity::default().is_off());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Liquidity {
    /// Square-root market impact.
    pub impact: Option<SqrtImpact>,
    /// Volume participation cap.
    pub participation: Option<Participation>,
    /// Quoted spreads per ticker: each fill pays half the spread on its value (tickers not in
    /// the file pay none). See [`SpreadFile::shared`].
    #[serde(skip)]
    pub spreads: Option<&'static SpreadFile>,
    /// Borrow fees and availability per ticker over time (tickers not in the file, and days
    /// before a ticker's first row, use `Financing::borrow_fee_rate` and can be borrowed).
    #[serde(skip)]
    pub borrow: Option<&'static BorrowFile>,
}

impl Liquidity {
    /// Whether every feature is off (the engine then fills as it always has).
    pub fn is_off(&self) -> bool {
        self.impact.is_none()
            && self.participation.is_none()
            && self.spreads.is_none()
            && self.borrow.is_none()
    }

    /// Whether the fills read the `volume` column.
    pub fn needs_volume(&self) -> bool {
        self.impact.is_some() || self.participation.is_some()
    }

    /// Checks the numbers.
    pub(crate) fn validate(&self) -> Result<(), EngineError> {
        let bad = |m: String| Err(EngineError::InvalidConfig(m));
        if let Some(i) = &self.impact {
            if !(i.k.is_finite() && i.k >= 0.0 && i.k <= 100.0) {
                return bad(format!(
                    "impact k must be a number in [0, 100], got {}",
                    i.k
                ));
            }
            if i.vol_window < 2
                || i.adv_window < 1
                || i.vol_window > 10_000
                || i.adv_window > 10_000
            {
                return bad(format!(
                    "impact windows must be 2 to 10,000 returns (vol_window) and 1 to 10,000 days (adv_window), got {} and {}",
                    i.vol_window, i.adv_window
                ));
            }
        }
        if let Some(p) = &self.participation {
            if !(p.max_share > 0.0 && p.max_share <= 1.0) {
                return bad(format!(
                    "participation max_share must be in (0, 1], got {}",
                    p.max_share
                ));
            }
        }
        Ok(())
    }
}

/// What the fills of a day see of the market beyond prices. The engine is generic over it, so
/// that [`Frictionless`] costs nothing.
pub(crate) trait Frictions {
    /// Whether anything is on.
    const ON: bool;
    /// Gets ready for fills on day `t`.
    fn prepare(&mut self, t: usize);
    /// Impact and spread costs of trading `units` at `mid` of asset `j` on the prepared day.
    fn extra(&self, j: usize, units: f64, mid: f64) -> (f64, f64);
    /// The most units of asset `j` (in absolute value) the day can still fill.
    fn cap(&self, j: usize) -> f64;
    /// Uses `units` of that cap.
    fn take(&mut self, j: usize, units: f64);
    /// Whether asset `j` can be borrowed on the prepared day.
    fn can_short(&self, j: usize) -> bool;
    /// The annual borrow rate of asset `j` on day `t`, if a borrow file sets it.
    fn borrow_rate(&self, j: usize, t: usize) -> Option<f64>;
    /// Whether what a cap keeps from filling is carried to the next day.
    fn carries(&self) -> bool;
}

/// No frictions beyond commission and slippage: today's engine.
pub(crate) struct Frictionless;

impl Frictions for Frictionless {
    const ON: bool = false;
    #[inline(always)]
    fn prepare(&mut self, _: usize) {}
    #[inline(always)]
    fn extra(&self, _: usize, _: f64, _: f64) -> (f64, f64) {
        (0.0, 0.0)
    }
    #[inline(always)]
    fn cap(&self, _: usize) -> f64 {
        f64::INFINITY
    }
    #[inline(always)]
    fn take(&mut self, _: usize, _: f64) {}
    #[inline(always)]
    fn can_short(&self, _: usize) -> bool {
        true
    }
    #[inline(always)]
    fn borrow_rate(&self, _: usize, _: usize) -> Option<f64> {
        None
    }
    #[inline(always)]
    fn carries(&self) -> bool {
        false
    }
}

/// Frictions read from the table's volumes and the liquidity files, for one run.
pub(crate) struct Market<'a> {
    impact: Option<SqrtImpact>,
    pub(crate) participation: Option<Participation>,
    prices: &'a Matrix,
    volume: Option<&'a Matrix>,
    /// Half the quoted spread, as a rate, per asset.
    half_spread: Vec<f64>,
    /// Per asset, the borrow rows as (first day index, rate, available).
    borrow: Vec<Vec<(usize, f64, bool)>>,
    /// Prepared day.
    day: usize,
    /// σ and ADV per asset on the prepared day (NaN: unknown).
    sigma: Vec<f64>,
    adv: Vec<f64>,
    /// Units still fillable per asset on the prepared day.
    room: Vec<f64>,
}

impl<'a> Market<'a> {
    /// Resolves the settings against `table`'s tickers and calendar (one allocation per run).
    pub(crate) fn new(table: &'a PriceTable, l: &Liquidity) -> Result<Market<'a>, EngineError> {
        let n = table.n_assets();
        let volume = if l.needs_volume() {
            Some(table.field("volume").ok_or_else(|| {
                EngineError::InvalidConfig(
                    "market impact and volume participation need a `volume` column in the price data"
                        .into(),
                )
            })?)
        } else {
            None
        };
        let half_spread = match &l.spreads {
            Some(s) => table
                .tickers()
                .iter()
                .map(|t| s.spread_bps(t).unwrap_or(0.0) * 0.5e-4)
                .collect(),
            None => vec![0.0; n],
        };
        let dates = table.dates();
        let borrow = match &l.borrow {
            Some(b) => table
                .tickers()
                .iter()
                .map(|t| {
                    b.rows(t)
                        .iter()
                        .map(|r| {
                            (
                                dates.partition_point(|d| *d < r.date),
                                r.annual_rate,
                                r.available,
                            )
                        })
                        .collect()
                })
                .collect(),
            None => Vec::new(),
        };
        Ok(Market {
            impact: l.impact,
            participation: l.participation,
            prices: table.prices(),
            volume,
            half_spread,
            borrow,
            day: 0,
            sigma: vec![f64::NAN; n],
            adv: vec![f64::NAN; n],
            room: vec![f64::INFINITY; n],
        })
    }

    /// The borrow row of asset `j` in force on day `t`.
    fn borrow_row(&self, j: usize, t: usize) -> Option<(f64, bool)> {
        let rows = self.borrow.get(j)?;
        let k = rows.partition_point(|r| r.0 <= t);
        k.checked_sub(1).map(|k| (rows[k].1, rows[k].2))
    }
}

/// σ (sample, n − 1) of the daily returns of column `j` of `prices` over the `window` returns
/// ending the day before `t`, skipping returns without two prices; NaN with fewer than 2.
pub(crate) fn trailing_sigma(prices: &Matrix, j: usize, t: usize, window: usize) -> f64 {
    let from = t.saturating_sub(window).max(1);
    let ret = |i: usize| numeric::simple_return(prices.get(i - 1, j), prices.get(i, j));
    numeric::sample_std((from..t).map(ret).filter(|r| r.is_finite()))
}

/// Mean volume of column `j` over the `window` days before `t`, over the days it has one;
/// NaN without any.
pub(crate) fn trailing_adv(volume: &Matrix, j: usize, t: usize, window: usize) -> f64 {
    numeric::mean(
        (t.saturating_sub(window)..t)
            .map(|i| volume.get(i, j))
            .filter(|v| v.is_finite()),
    )
}

impl Frictions for Market<'_> {
    const ON: bool = true;

    fn prepare(&mut self, t: usize) {
        self.day = t;
        for j in 0..self.room.len() {
            let mut room = f64::INFINITY;
            if let (Some(p), Some(v)) = (&self.participation, self.volume) {
                let today = v.get(t, j);
                room = if today.is_finite() && today > 0.0 {
                    p.max_share * today
                } else {
                    0.0
                };
            }
            if let (Some(m), Some(v)) = (&self.impact, self.volume) {
                self.sigma[j] = trailing_sigma(self.prices, j, t, m.vol_window);
                self.adv[j] = trailing_adv(v, j, t, m.adv_window);
                if !(self.sigma[j].is_finite() && self.adv[j] > 0.0) {
                    room = 0.0;
                }
            }
            self.room[j] = room;
        }
    }

    fn extra(&self, j: usize, units: f64, mid: f64) -> (f64, f64) {
        if units == 0.0 {
            return (0.0, 0.0);
        }
        let impact = match &self.impact {
            Some(m) => m.cost(self.sigma[j], self.adv[j], units, mid),
            None => 0.0,
        };
        (impact, units.abs() * mid * self.half_spread[j])
    }

    fn cap(&self, j: usize) -> f64 {
        self.room[j]
    }

    fn take(&mut self, j: usize, units: f64) {
        self.room[j] = (self.room[j] - units.abs()).max(0.0);
    }

    fn can_short(&self, j: usize) -> bool {
        self.borrow_row(j, self.day).is_none_or(|(_, ok)| ok)
    }

    fn borrow_rate(&self, j: usize, t: usize) -> Option<f64> {
        self.borrow_row(j, t).map(|(r, _)| r)
    }

    fn carries(&self) -> bool {
        // Without a volume cap, the only fill held back is one on a ticker without the
        // history impact needs: it waits for that history.
        self.participation
            .is_none_or(|p| p.leftover == Leftover::Carry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_windows_use_only_days_before_the_fill() {
        let p = Matrix::from_rows(5, 1, vec![10.0, 11.0, 9.9, 10.89, 1000.0]).unwrap();
        // Returns before day 4: +10 %, −10 %, +10 %; mean 1/30, sample variance by hand.
        let r = [0.1, -0.1, 0.1];
        let m = (0.1 - 0.1 + 0.1) / 3.0;
        let var = r.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / 2.0;
        assert!((trailing_sigma(&p, 0, 4, 20) - var.sqrt()).abs() < 1e-12);
        // Window of 2: the last two returns only.
        let s2 = ((0.1f64 - 0.0).powi(2) * 2.0).sqrt();
        assert!((trailing_sigma(&p, 0, 4, 2) - s2).abs() < 1e-12);
        assert!(trailing_sigma(&p, 0, 2, 20).is_nan());
        let v = Matrix::from_rows(4, 1, vec![100.0, f64::NAN, 300.0, 1e9]).unwrap();
        assert_eq!(trailing_adv(&v, 0, 3, 20), 200.0);
        assert_eq!(trailing_adv(&v, 0, 3, 1), 300.0);
        assert!(trailing_adv(&v, 0, 0, 5).is_nan());
    }
}
