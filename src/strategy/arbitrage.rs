//! The arbitrage strategy: two listings of one asset (or two related assets), traded against
//! each other. Buy the cheap one and sell the dear one at once, close when prices converge.
//!
//! - `parity`: the gap is the relative difference from parity, g = P_A / (ratio · P_B · fx) − 1.
//!   Open when |g| exceeds `entry` plus the round-trip costs of both legs (short the dear leg,
//!   buy the cheap one, equal value on both); close when the gap has come back within `exit`.
//! - `statistical`: a hedge ratio β from an OLS of P_A on P_B over `lookback` days, the spread
//!   s = P_A − β P_B and its z-score over the same window; open at |z| > `entry` (β units of B
//!   per unit of A), close at |z| < `exit`.
//!
//! Either way a position also closes after `max_holding_days`, or at the `stop_loss` (the gap
//! or |z| moving further against it).

use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{
    AuditTable, Built, Decision, Input, InvalidParam, Order, Planning, Strategy, StrategyKind,
};
use crate::data::{RawPanel, SeriesRef};
use crate::engine::{BacktestResult, Context, CostModel};
use crate::numeric;

/// How the two legs are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ArbitrageMode {
    /// Relative gap from a fixed parity.
    #[default]
    Parity,
    /// z-score of a rolling-OLS spread.
    Statistical,
}

/// What the arbitrage strategy is told.
///
/// ```
/// let p: folio::strategy::ArbitrageParams = toml::from_str(r#"
///     pair = ["GOOG", "GOOGL"]
///     entry = 0.01
///     exit = 0.002"#).unwrap();
/// assert_eq!(p.ratio, 1.0);
/// assert!(p.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ArbitrageParams {
    /// The two tickers, A then B.
    pub pair: [String; 2],
    /// `parity` or `statistical`.
    #[serde(default)]
    pub mode: ArbitrageMode,
    /// Parity: one unit of A is worth `ratio` units of B (1 for share classes).
    #[serde(default = "one")]
    pub ratio: f64,
    /// Parity: a series giving the price of B's currency in A's (`FILE` or `FILE:COLUMN`,
    /// relative to the strategy file).
    #[serde(default)]
    pub fx: Option<String>,
    /// Open beyond this: the gap beyond round-trip costs (parity, 0.005 = 0.5 %) or |z|.
    pub entry: f64,
    /// Close within this: |gap| (parity) or |z|.
    pub exit: f64,
    /// Close when the gap (or |z|) reaches this, against the position.
    #[serde(default)]
    pub stop_loss: Option<f64>,
    /// Close after this many trading days.
    #[serde(default)]
    pub max_holding_days: Option<usize>,
    /// Value of each leg as a fraction of NAV (A's leg in statistical mode).
    #[serde(default = "default_size")]
    pub size: f64,
    /// Statistical: days of the OLS and z-score window.
    #[serde(default = "default_lookback")]
    pub lookback: usize,
}

fn one() -> f64 {
    1.0
}

fn default_size() -> f64 {
    0.5
}

fn default_lookback() -> usize {
    60
}

impl ArbitrageParams {
    /// Checks the parameters; the error names the key.
    ///
    /// ```
    /// let p: folio::strategy::ArbitrageParams = toml::from_str(r#"
    ///     pair = ["A", "B"]
    ///     entry = 0.01
    ///     exit = 0.02"#).unwrap();
    /// assert_eq!(p.validate().unwrap_err().0, "exit");
    /// ```
    pub fn validate(&self) -> Result<(), (String, String)> {
        let err = |k: &str, m: String| Err((k.to_string(), m));
        if self.pair[0] == self.pair[1] {
            return err("pair", "the two tickers must differ".into());
        }
        if !(self.ratio.is_finite() && self.ratio > 0.0) {
            return err("ratio", format!("must be > 0, got {}", self.ratio));
        }
        if !(self.entry.is_finite() && self.entry >= 0.0) {
            return err("entry", format!("must be ≥ 0, got {}", self.entry));
        }
        if !(self.exit.is_finite() && self.exit >= 0.0 && self.exit <= self.entry) {
            return err(
                "exit",
                format!("must be in [0, entry = {}], got {}", self.entry, self.exit),
            );
        }
        if let Some(s) = self.stop_loss {
            if !(s.is_finite() && s > self.entry) {
                return err(
                    "stop_loss",
                    format!("must be above entry ({}), got {s}", self.entry),
                );
            }
        }
        if self.max_holding_days == Some(0) {
            return err("max_holding_days", "must be at least 1".into());
        }
        if !(self.size > 0.0 && self.size <= 1.0) {
            return err(
                "size",
                format!("must be a fraction of NAV in (0, 1], got {}", self.size),
            );
        }
        if self.mode == ArbitrageMode::Statistical {
            if self.lookback < 3 {
                return err("lookback", "must be at least 3 days".into());
            }
            if self.fx.is_some() || self.ratio != 1.0 {
                return err("mode", "`ratio` and `fx` belong to parity mode".into());
            }
        }
        Ok(())
    }
}

/// An open position: when, which way, at what signal.
#[derive(Debug, Clone, Copy)]
struct Open {
    day: usize,
    /// +1 when A was dear (short A, long B), −1 when A was cheap.
    side: f64,
}

/// A decision to open or close, kept for the round-trip report.
#[derive(Debug, Clone)]
struct Event {
    date: NaiveDate,
    signal: f64,
    reason: &'static str,
}

/// The arbitrage strategy on columns `a` and `b` of the run.
///
/// ```
/// use folio::data::{Matrix, PriceTable};
/// use folio::engine::{run, BacktestConfig, Execution, Financing};
/// use folio::strategy::{Arbitrage, ArbitrageParams};
/// let d = |i: u64| chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Days::new(i);
/// // A trades 3 % above B on day 1 and back at parity on day 3.
/// let a = [100.0, 103.0, 101.0, 100.0];
/// let prices = a.iter().flat_map(|&x| [x, 100.0]).collect();
/// let table = PriceTable::new((0..4).map(d).collect(), vec!["A".into(), "B".into()],
///     Matrix::from_rows(4, 2, prices).unwrap()).unwrap();
/// let params: ArbitrageParams = toml::from_str("pair = [\"A\", \"B\"]\nentry = 0.01\nexit = 0.001").unwrap();
/// let mut arb = Arbitrage::new(params, 0, 1, None, Default::default());
/// let config = BacktestConfig { execution: Execution::SameClose,
///     financing: Financing { allow_short: true, ..Default::default() }, ..Default::default() };
/// let r = run(&table, &mut arb, &config).unwrap();
/// assert_eq!(r.trades.len(), 4);                        // opened day 1, closed day 3
/// assert!((r.nav[3] - 1_000_000.0 * (1.0 + 0.5 * (1.0 - 100.0 / 103.0))).abs() < 1e-6);
/// ```
#[derive(Debug, Clone)]
pub struct Arbitrage {
    params: ArbitrageParams,
    a: usize,
    b: usize,
    fx: Option<Vec<f64>>,
    round_trip_cost: f64,
    fixed_fee: f64,
    open: Option<Open>,
    hedge: f64,
    events: Vec<Event>,
    signals: Vec<f64>,
}

impl Arbitrage {
    /// The strategy on columns `a` and `b`, with an FX series on the run's calendar if the
    /// listings trade in two currencies, and the run's costs (for the parity entry rule).
    ///
    /// ```
    /// let p: folio::strategy::ArbitrageParams = toml::from_str("pair = [\"A\", \"B\"]\nentry = 0.01\nexit = 0.0").unwrap();
    /// let costs = folio::engine::CostModel { commission_bps: 5.0, slippage_bps: 5.0, fixed_fee: 0.0 };
    /// let arb = folio::strategy::Arbitrage::new(p, 0, 1, None, costs);
    /// assert!((arb.round_trip_cost() - 0.004).abs() < 1e-15);   // 2 legs × 2 sides × 10 bps
    /// ```
    pub fn new(
        params: ArbitrageParams,
        a: usize,
        b: usize,
        fx: Option<Vec<f64>>,
        costs: CostModel,
    ) -> Self {
        let round_trip_cost = 4.0 * (costs.commission_bps + costs.slippage_bps) * 1e-4;
        Arbitrage {
            params,
            a,
            b,
            fx,
            round_trip_cost,
            fixed_fee: costs.fixed_fee,
            open: None,
            hedge: 1.0,
            events: Vec::new(),
            signals: Vec::new(),
        }
    }

    /// Round-trip costs of both legs as a fraction of a leg's value (commission and slippage
    /// in and out on each leg; fixed fees are added per trade, relative to the leg's value).
    ///
    /// ```
    /// let p: folio::strategy::ArbitrageParams = toml::from_str("pair = [\"A\", \"B\"]\nentry = 0.01\nexit = 0.0").unwrap();
    /// let arb = folio::strategy::Arbitrage::new(p, 0, 1, None, Default::default());
    /// assert_eq!(arb.round_trip_cost(), 0.0);
    /// ```
    pub fn round_trip_cost(&self) -> f64 {
        self.round_trip_cost
    }

    /// Today's signal: the parity gap, or the spread's z-score (updating the hedge ratio);
    /// NaN while the window is too short.
    fn signal(&mut self, ctx: &Context<'_>) -> f64 {
        let m = &ctx.market;
        let (a, b) = (self.a, self.b);
        let prices = m.prices_today();
        match self.params.mode {
            ArbitrageMode::Parity => {
                let fx = self.fx.as_deref().map_or(1.0, |f| m.visible(f)[m.today()]);
                prices[a] / (self.params.ratio * prices[b] * fx) - 1.0
            }
            ArbitrageMode::Statistical => {
                let l = self.params.lookback;
                let t = m.today();
                if t + 1 < l {
                    return f64::NAN;
                }
                let h = m.history();
                let pair = |r: usize| {
                    h.row(r)
                        .map_or((f64::NAN, f64::NAN), |row| (row[a], row[b]))
                };
                let window = (t + 1 - l..=t).map(pair);
                let beta = numeric::ols(window.clone().map(|(y, x)| (x, y))).beta;
                let spread = window.map(|(y, x)| y - beta * x);
                let mean = numeric::mean(spread.clone());
                let sd = numeric::sample_std(spread);
                let (y, x) = pair(t);
                if self.open.is_none() {
                    self.hedge = beta;
                }
                if sd > 0.0 && beta.is_finite() {
                    (y - beta * x - mean) / sd
                } else {
                    f64::NAN
                }
            }
        }
    }

    /// The threshold the signal must pass to open a position with legs worth `leg` each.
    fn entry_threshold(&self, leg: f64) -> f64 {
        match self.params.mode {
            ArbitrageMode::Statistical => self.params.entry,
            ArbitrageMode::Parity => {
                self.params.entry + self.round_trip_cost + 4.0 * self.fixed_fee / leg
            }
        }
    }
}

impl Strategy for Arbitrage {
    fn decide(&mut self, ctx: &Context<'_>) -> Decision {
        let signal = self.signal(ctx);
        self.signals.push(signal);
        let (m, p) = (&ctx.market, &ctx.portfolio);
        let (a, b, t) = (self.a, self.b, m.today());
        if self.open.is_some() && !(m.is_listed(a) && m.is_listed(b)) {
            // A leg stopped trading (the engine closed it at its last price): close the other.
            self.open = None;
            self.events.push(Event {
                date: m.date(),
                signal,
                reason: "delisted",
            });
            let q = p.positions();
            let orders: Vec<Order> = [a, b]
                .into_iter()
                .filter(|&j| m.is_listed(j) && q[j] != 0.0)
                .map(|j| Order {
                    asset: j,
                    quantity: -q[j],
                })
                .collect();
            return if orders.is_empty() {
                Decision::Hold
            } else {
                Decision::Orders(orders)
            };
        }
        if !signal.is_finite() {
            return Decision::Hold;
        }
        match self.open {
            None => {
                let leg = self.params.size * p.nav();
                if signal.abs() <= self.entry_threshold(leg) {
                    return Decision::Hold;
                }
                let side = signal.signum();
                let prices = m.prices_today();
                let units_a = leg / prices[a];
                // Units of B per unit of A: equal value at parity, β in statistical mode.
                let hedge = match self.params.mode {
                    ArbitrageMode::Parity => prices[a] / prices[b],
                    ArbitrageMode::Statistical => self.hedge,
                };
                self.open = Some(Open { day: t, side });
                self.events.push(Event {
                    date: m.date(),
                    signal,
                    reason: "open",
                });
                // Short the dear leg, buy the cheap one.
                Decision::Orders(vec![
                    Order {
                        asset: a,
                        quantity: -side * units_a,
                    },
                    Order {
                        asset: b,
                        quantity: side * hedge * units_a,
                    },
                ])
            }
            Some(open) => {
                let against = open.side * signal;
                let reason = if against < self.params.exit {
                    Some("converged")
                } else if self.params.stop_loss.is_some_and(|s| against >= s) {
                    Some("stop loss")
                } else if self
                    .params
                    .max_holding_days
                    .is_some_and(|d| t - open.day >= d)
                {
                    Some("max holding")
                } else {
                    None
                };
                let Some(reason) = reason else {
                    return Decision::Hold;
                };
                self.open = None;
                self.events.push(Event {
                    date: m.date(),
                    signal,
                    reason,
                });
                let q = p.positions();
                Decision::Orders(vec![
                    Order {
                        asset: a,
                        quantity: -q[a],
                    },
                    Order {
                        asset: b,
                        quantity: -q[b],
                    },
                ])
            }
        }
    }

    fn audit(&self, result: &BacktestResult) -> Vec<AuditTable> {
        let header = [
            "entry_decision",
            "entry_fill",
            "entry_signal",
            "exit_decision",
            "exit_fill",
            "exit_signal",
            "exit_reason",
            "holding_days",
            "pnl_a",
            "pnl_b",
            "costs",
            "pnl",
        ];
        let rows = self
            .round_trips(result)
            .iter()
            .map(|r| {
                let opt_date = |d: Option<NaiveDate>| d.map_or(String::new(), |d| d.to_string());
                vec![
                    r.entry.date.to_string(),
                    r.entry_fill.to_string(),
                    r.entry.signal.to_string(),
                    r.exit
                        .as_ref()
                        .map_or(String::new(), |e| e.date.to_string()),
                    opt_date(r.exit_fill),
                    r.exit
                        .as_ref()
                        .map_or(String::new(), |e| e.signal.to_string()),
                    r.exit
                        .as_ref()
                        .map_or("open at the end".into(), |e| e.reason.to_string()),
                    r.holding_days.to_string(),
                    r.pnl[0].to_string(),
                    r.pnl[1].to_string(),
                    r.costs.to_string(),
                    (r.pnl[0] + r.pnl[1]).to_string(),
                ]
            })
            .collect();
        let signal = AuditTable {
            name: "signal".into(),
            header: vec![
                "date".into(),
                match self.params.mode {
                    ArbitrageMode::Parity => "gap".into(),
                    ArbitrageMode::Statistical => "z_score".into(),
                },
            ],
            rows: result
                .dates
                .iter()
                .zip(&self.signals)
                .map(|(d, s)| {
                    vec![
                        d.to_string(),
                        if s.is_finite() {
                            s.to_string()
                        } else {
                            String::new()
                        },
                    ]
                })
                .collect(),
        };
        vec![
            AuditTable {
                name: "round_trips".into(),
                header: header.map(String::from).to_vec(),
                rows,
            },
            signal,
        ]
    }

    fn notes(&self, result: &BacktestResult) -> Vec<String> {
        let trips = self.round_trips(result);
        let closed: Vec<&RoundTrip> = trips.iter().filter(|r| r.exit.is_some()).collect();
        let total = |r: &&RoundTrip| r.pnl[0] + r.pnl[1];
        let wins: f64 = closed.iter().map(total).filter(|&x| x > 0.0).sum();
        let losses: f64 = -closed.iter().map(total).filter(|&x| x < 0.0).sum::<f64>();
        let n = closed.len();
        let in_market = (0..result.nav.len())
            .filter(|&t| {
                result.weights.get(t, self.a) != 0.0 || result.weights.get(t, self.b) != 0.0
            })
            .count();
        let signal = match self.params.mode {
            ArbitrageMode::Parity => "gap",
            ArbitrageMode::Statistical => "z-score",
        };
        vec![format!(
            "arbitrage ({signal}): {} round trip(s) closed{}; win rate {}; profit factor {}; average holding {} days; in the market {:.1} % of days; round-trip costs {:.2} % of a leg",
            n,
            if trips.len() > n {
                ", 1 still open"
            } else {
                ""
            },
            if n == 0 {
                "n/a".into()
            } else {
                format!(
                    "{:.1} %",
                    100.0 * closed.iter().filter(|r| total(r) > 0.0).count() as f64 / n as f64
                )
            },
            if losses > 0.0 {
                format!("{:.2}", wins / losses)
            } else if wins > 0.0 {
                "∞".into()
            } else {
                "n/a".into()
            },
            if n == 0 {
                "n/a".into()
            } else {
                format!(
                    "{:.1}",
                    closed.iter().map(|r| r.holding_days as f64).sum::<f64>() / n as f64
                )
            },
            100.0 * in_market as f64 / result.nav.len().max(1) as f64,
            100.0 * self.round_trip_cost,
        )]
    }
}

/// One round trip: the decisions that opened and closed it and what the fills made.
#[derive(Debug, Clone)]
struct RoundTrip {
    entry: Event,
    entry_fill: NaiveDate,
    exit: Option<Event>,
    exit_fill: Option<NaiveDate>,
    holding_days: usize,
    /// Profit of each leg after commissions (slippage is in the fill prices); an open trip is
    /// marked at the last close.
    pnl: [f64; 2],
    costs: f64,
}

impl Arbitrage {
    /// Pairs the recorded decisions with the run's fills: each open decision's fills, then the
    /// closing decision's.
    fn round_trips(&self, result: &BacktestResult) -> Vec<RoundTrip> {
        let legs = [self.a, self.b];
        // Fill days of the pair's trades, in order; each decision fills on one day.
        let mut fill_days: Vec<NaiveDate> = result
            .trades
            .iter()
            .filter(|t| legs.contains(&t.asset))
            .map(|t| t.date)
            .collect();
        fill_days.dedup();
        let day_index = |d: NaiveDate| result.dates.binary_search(&d).unwrap_or(0);
        let mut trips = Vec::new();
        for (k, pair) in self.events.chunks(2).enumerate() {
            let (Some(&entry_fill), exit_fill) =
                (fill_days.get(2 * k), fill_days.get(2 * k + 1).copied())
            else {
                break; // decided on the last day, never filled
            };
            let exit = pair.get(1).cloned().filter(|_| exit_fill.is_some());
            let until = exit_fill.unwrap_or(NaiveDate::MAX);
            let (mut pnl, mut costs) = ([0.0; 2], 0.0);
            for (leg, &asset) in legs.iter().enumerate() {
                for tr in result
                    .trades
                    .iter()
                    .filter(|tr| tr.asset == asset && tr.date >= entry_fill && tr.date <= until)
                {
                    pnl[leg] -= tr.quantity * tr.price + tr.commission;
                    costs += tr.commission + tr.slippage;
                }
                if exit.is_none() {
                    let last = result.nav.len() - 1;
                    let w = result.weights.get(last, asset);
                    pnl[leg] += w * result.nav[last];
                }
            }
            let end = exit_fill.map_or(result.dates.len() - 1, day_index);
            trips.push(RoundTrip {
                entry: pair[0].clone(),
                entry_fill,
                exit,
                exit_fill,
                holding_days: end - day_index(entry_fill),
                pnl,
                costs,
            });
        }
        trips
    }
}

/// `kind = "arbitrage"` planned: its parameters checked and its exchange-rate series read.
#[derive(Debug)]
pub(crate) struct ArbitrageKind {
    params: ArbitrageParams,
    /// The exchange-rate series and the file it was read from.
    fx: Option<(SeriesRef, Arc<RawPanel>)>,
}

impl StrategyKind for ArbitrageKind {
    type Params = ArbitrageParams;

    fn plan(params: ArbitrageParams, planning: &mut Planning<'_>) -> crate::Result<Self> {
        params
            .validate()
            .map_err(|(key, m)| InvalidParam::strategy(&key, m))?;
        planning.trades_short();
        let fx = match &params.fx {
            Some(text) => {
                let mut series: SeriesRef = text
                    .parse()
                    .map_err(|m: String| InvalidParam::strategy("fx", m))?;
                series.path = planning.resolve(&series.path);
                let raw = planning.read(&series.path, &series.to_string(), |_| {
                    series.read(None, None)
                })?;
                Some((series, raw))
            }
            None => None,
        };
        Ok(ArbitrageKind { params, fx })
    }

    fn build(&self, input: &Input<'_>) -> crate::Result<Built> {
        let table = &input.loaded.table;
        let column = |k: usize| {
            table.ticker_index(&self.params.pair[k]).ok_or_else(|| {
                InvalidParam::strategy(
                    "pair",
                    format!(
                        "ticker `{}` is not among the loaded tickers",
                        self.params.pair[k]
                    ),
                )
            })
        };
        let (a, b) = (column(0)?, column(1)?);
        let fx = match &self.fx {
            Some((series, raw)) => Some(series.align(raw, table.dates())?),
            None => None,
        };
        Ok(Built::new(Arbitrage::new(
            self.params.clone(),
            a,
            b,
            fx,
            input.config.costs,
        )))
    }
}
