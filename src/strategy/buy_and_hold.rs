//! Buy-and-hold: invest once, never rebalance; `kind = "buy_and_hold"` and its parameters.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::{Built, Context, Decision, Input, InvalidParam, Planning, Strategy, StrategyKind};
use crate::data::PriceTable;

/// Buy-and-hold: on the first day, buy the given weights (equal by default) and never trade
/// again. Passive and cheap: one set of fills, no turnover.
///
/// Source: the passive strategy of the investment literature (e.g. Bodie, Kane & Marcus,
/// *Investments*, ch. on passive management); with equal weights it is the "1/N" portfolio
/// left to drift.
///
/// ```
/// use folio::strategy::BuyAndHold;
/// let s = BuyAndHold::with_weights(vec![0.6, 0.4]);
/// assert_eq!(s.weights(), Some(&[0.6, 0.4][..]));
/// assert!(BuyAndHold::equal().weights().is_none());
/// ```
#[derive(Debug, Clone)]
pub struct BuyAndHold {
    weights: Option<Vec<f64>>,
    bought: bool,
}

impl BuyAndHold {
    /// Equal weights over the assets that can be bought on the first day: listed and, with an
    /// index membership, members (on a ragged table, the first day any asset is).
    ///
    /// ```
    /// let _ = folio::strategy::BuyAndHold::equal();
    /// ```
    pub fn equal() -> Self {
        BuyAndHold {
            weights: None,
            bought: false,
        }
    }

    /// Given weights, one per asset in column order (≥ 0, summing to at most 1).
    ///
    /// ```
    /// let _ = folio::strategy::BuyAndHold::with_weights(vec![1.0]);
    /// ```
    pub fn with_weights(weights: Vec<f64>) -> Self {
        BuyAndHold {
            weights: Some(weights),
            bought: false,
        }
    }

    /// The given weights, or `None` for equal weights.
    ///
    /// ```
    /// assert!(folio::strategy::BuyAndHold::equal().weights().is_none());
    /// ```
    pub fn weights(&self) -> Option<&[f64]> {
        self.weights.as_deref()
    }
}

impl Strategy for BuyAndHold {
    fn decide(&mut self, ctx: &Context<'_>) -> Decision {
        if self.bought {
            return Decision::Hold;
        }
        let m = &ctx.market;
        let eligible = (0..m.n_assets()).filter(|&j| m.is_eligible(j)).count();
        if eligible == 0 {
            return Decision::Hold; // nothing listed (and a member) yet: wait for the first
        }
        self.bought = true;
        Decision::TargetWeights(self.weights.clone().unwrap_or_else(|| {
            (0..m.n_assets())
                .map(|j| {
                    if m.is_eligible(j) {
                        1.0 / eligible as f64
                    } else {
                        0.0
                    }
                })
                .collect()
        }))
    }
}

/// Parameters of `kind = "buy_and_hold"`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BuyAndHoldSpec {
    /// `"equal"` (default) or a table `TICKER = weight`.
    #[serde(default)]
    pub weights: WeightsSpec,
}

/// Portfolio weights: equal, or given per ticker.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(untagged)]
pub enum WeightsSpec {
    /// 1/N over the assets.
    #[default]
    Equal,
    /// A weight per ticker; tickers left out get 0.
    Given(BTreeMap<String, f64>),
}

impl<'de> Deserialize<'de> for WeightsSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = WeightsSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("\"equal\" or a table of TICKER = weight")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<WeightsSpec, E> {
                match s {
                    "equal" => Ok(WeightsSpec::Equal),
                    _ => Err(E::custom(format!(
                        "unknown weights `{s}`, expected \"equal\" or a table of TICKER = weight"
                    ))),
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<WeightsSpec, A::Error> {
                let mut w = BTreeMap::new();
                while let Some((k, v)) = map.next_entry::<String, f64>()? {
                    w.insert(k, v);
                }
                Ok(WeightsSpec::Given(w))
            }
        }
        d.deserialize_any(V)
    }
}

impl StrategyKind for BuyAndHoldSpec {
    type Params = Self;

    fn plan(params: Self, planning: &mut Planning<'_>) -> crate::Result<Self> {
        // It buys once, at the day's price: no signal from past prices.
        planning.takes_raw_prices();
        Ok(params)
    }

    fn build(&self, input: &Input<'_>) -> crate::Result<Built> {
        Ok(Built::new(match &self.weights {
            WeightsSpec::Equal => BuyAndHold::equal(),
            WeightsSpec::Given(given) => {
                BuyAndHold::with_weights(resolve_weights(given, &input.loaded.table)?)
            }
        }))
    }
}

/// Turns `TICKER = weight` into one weight per column, checking names and values.
fn resolve_weights(
    given: &BTreeMap<String, f64>,
    table: &PriceTable,
) -> Result<Vec<f64>, InvalidParam> {
    let err = |message: String| InvalidParam::strategy("weights", message);
    let mut w = vec![0.0; table.n_assets()];
    for (ticker, &v) in given {
        let j = table
            .ticker_index(ticker)
            .ok_or_else(|| err(format!("ticker `{ticker}` is not among the loaded tickers")))?;
        if !(v.is_finite() && v >= 0.0) {
            return Err(err(format!(
                "weight of `{ticker}` is {v}; weights must be ≥ 0"
            )));
        }
        w[j] = v;
    }
    let total: f64 = w.iter().sum();
    if total > 1.0 + 1e-9 {
        return Err(err(format!("weights sum to {total}, more than 1")));
    }
    if total <= 0.0 {
        return Err(err("weights sum to 0: nothing would be bought".into()));
    }
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Matrix, PriceTable};
    use crate::engine::{BacktestConfig, Execution, run};

    fn table() -> PriceTable {
        let d0 = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        PriceTable::new(
            (0..3).map(|i| d0 + chrono::Days::new(i)).collect(),
            vec!["A".into(), "B".into()],
            Matrix::from_rows(3, 2, vec![10.0, 50.0, 11.0, 40.0, 12.0, 45.0]).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn buys_once_and_drifts() {
        let cfg = BacktestConfig {
            initial_cash: 100.0,
            execution: Execution::SameClose,
            ..Default::default()
        };
        let r = run(&table(), &mut BuyAndHold::equal(), &cfg).unwrap();
        // 5 units of A, 1 unit of B.
        assert_eq!(r.nav, vec![100.0, 95.0, 105.0]);
        assert_eq!(r.trades.len(), 2);
        assert_eq!(r.decisions, 1);
    }

    #[test]
    fn next_close_buys_a_day_later() {
        let cfg = BacktestConfig {
            initial_cash: 100.0,
            ..Default::default()
        };
        let r = run(
            &table(),
            &mut BuyAndHold::with_weights(vec![1.0, 0.0]),
            &cfg,
        )
        .unwrap();
        assert_eq!(r.nav[0], 100.0);
        assert_eq!(r.trades[0].price, 11.0);
        assert!((r.nav[2] - 100.0 * 12.0 / 11.0).abs() < 1e-9);
    }
}
