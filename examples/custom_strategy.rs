//! A complete custom strategy written only against folio's public API: 12-1 momentum with
//! volatility targeting.
//!
//! On the first trading day of each month it ranks the assets by their return from 252 to 21
//! trading days ago, holds the best `top` in equal weights, and scales the whole book so its
//! expected volatility (from the last 63 days of the held assets' returns) is `target_vol`,
//! never above 100 % invested; the rest stays in cash.
//!
//! Run it with `cargo run --release --example custom_strategy`.

use folio::data::{MissingPolicy, ReadOptions, SeriesRef, load};
use folio::engine::{BacktestConfig, Context, CostModel, run};
use folio::metrics::{Conventions, Metrics};
use folio::strategy::rebalance::Schedule;
use folio::strategy::{Decision, Strategy};

/// 12-1 momentum, top N, scaled to a volatility target.
pub struct VolTargetedMomentum {
    /// How many assets to hold.
    pub top: usize,
    /// Annual volatility the book aims at (0.12 = 12 %).
    pub target_vol: f64,
    returns: Vec<f64>,
}

impl VolTargetedMomentum {
    /// A strategy holding `top` assets at `target_vol` annual volatility.
    pub fn new(top: usize, target_vol: f64) -> Self {
        VolTargetedMomentum {
            top,
            target_vol,
            returns: Vec::new(),
        }
    }
}

impl Strategy for VolTargetedMomentum {
    fn decide(&mut self, ctx: &Context<'_>) -> Decision {
        let m = &ctx.market;
        let t = m.today();
        if t < 252 || !Schedule::Monthly.is_due(m.dates(), t) {
            return Decision::Hold;
        }
        let prices = m.history();
        let (now, past) = (
            prices.row(t - 21).expect("past row"),
            prices.row(t - 252).expect("past row"),
        );
        let mut ranked: Vec<(f64, usize)> = (0..m.n_assets())
            .map(|j| (now[j] / past[j] - 1.0, j))
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let chosen: Vec<usize> = ranked.iter().take(self.top).map(|&(_, j)| j).collect();

        // Daily returns of the equally weighted chosen assets over the last 63 days.
        self.returns.clear();
        for r in t - 62..=t {
            let (a, b) = (prices.row(r - 1).expect("row"), prices.row(r).expect("row"));
            let day: f64 =
                chosen.iter().map(|&j| b[j] / a[j] - 1.0).sum::<f64>() / chosen.len() as f64;
            self.returns.push(day);
        }
        let vol = folio::metrics::annual_volatility(&self.returns);
        let scale = if vol > 0.0 {
            (self.target_vol / vol).min(1.0)
        } else {
            1.0
        };

        let mut weights = vec![0.0; m.n_assets()];
        for &j in &chosen {
            weights[j] = scale / chosen.len() as f64;
        }
        Decision::TargetWeights(weights)
    }
}

fn main() -> folio::Result<()> {
    let loaded = load(
        "data/sample_prices.csv".as_ref(),
        &ReadOptions {
            from: Some("2010-01-04".parse().expect("date")),
            ..Default::default()
        },
        MissingPolicy::Drop,
    )?;
    let table = &loaded.table;
    let config = BacktestConfig {
        costs: CostModel {
            commission_bps: 5.0,
            slippage_bps: 2.0,
            fixed_fee: 0.0,
        },
        ..Default::default()
    };
    let result = run(table, &mut VolTargetedMomentum::new(5, 0.12), &config)?;
    let spy: SeriesRef = "data/spy.csv".parse().expect("series");
    let bench = folio::metrics::daily_returns(&spy.prices_on(table.dates())?);
    let m = Metrics::compute(&result.returns(), Some(&bench), &Conventions::default());
    println!(
        "12-1 momentum, top 5, 12 % volatility target, on {} assets",
        table.n_assets()
    );
    println!(
        "  CAGR {:.2} %, volatility {:.2} %, Sharpe {:.3}, max drawdown {:.2} %, beta {:.3}",
        100.0 * m.cagr,
        100.0 * m.annual_volatility,
        m.sharpe,
        100.0 * m.max_drawdown,
        m.beta.unwrap_or(f64::NAN)
    );
    println!(
        "  {} rebalances, {} fills, costs {:.2}",
        result.rebalances,
        result.trades.len(),
        result.total_costs()
    );
    Ok(())
}
