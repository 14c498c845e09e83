//! `examples/custom_strategy.rs`, written only against folio's public API, runs on the bundled
//! data and does what it says: the top 5 by 12-1 momentum, monthly, scaled to a volatility
//! target and never more than fully invested.

#[allow(dead_code)]
#[path = "../examples/custom_strategy.rs"]
mod example;

use folio::data::{MissingPolicy, ReadOptions, load};
use folio::engine::{BacktestConfig, Execution, run};

#[test]
fn the_example_strategy_holds_the_momentum_leaders_at_its_volatility_target() {
    let loaded = load(
        "data/sample_prices.csv".as_ref(),
        &ReadOptions {
            from: Some("2010-01-04".parse().unwrap()),
            ..Default::default()
        },
        MissingPolicy::Drop,
    )
    .unwrap();
    let table = &loaded.table;
    let config = BacktestConfig {
        execution: Execution::SameClose,
        ..Default::default()
    };
    let result = run(
        table,
        &mut example::VolTargetedMomentum::new(5, 0.12),
        &config,
    )
    .unwrap();
    let p = table.prices();
    let mut checked = 0;
    for t in 252..table.n_days() {
        let due = folio::strategy::rebalance::Schedule::Monthly.is_due(table.dates(), t);
        if !due {
            continue;
        }
        let held: Vec<usize> = (0..table.n_assets())
            .filter(|&j| result.weights.get(t, j) > 0.0)
            .collect();
        // The five best by P[t−21] / P[t−252], computed here.
        let mut ranked: Vec<(f64, usize)> = (0..table.n_assets())
            .map(|j| (p.get(t - 21, j) / p.get(t - 252, j), j))
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut best: Vec<usize> = ranked[..5].iter().map(|&(_, j)| j).collect();
        best.sort_unstable();
        assert_eq!(held, best, "{}", table.dates()[t]);
        let invested: f64 = result.weights.row(t).iter().sum();
        assert!(invested <= 1.0 + 1e-9 && invested > 0.0, "{invested}");
        checked += 1;
    }
    assert!(checked > 100);
    // Scaled to 12 %, the book's realised volatility stays near it, well below the stocks'.
    let vol = folio::metrics::annual_volatility(&result.returns()[252..]);
    assert!(vol > 0.08 && vol < 0.16, "realised volatility {vol}");
}
