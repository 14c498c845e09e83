//! How fast the HTML report is drawn: the bundled buy-and-hold (23 assets, 2010-01-04 →
//! 2021-04-21, about 11 years) and the three index strategies on the same data, each first
//! as one run's page, then all four on one page.

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use folio::report::{RunReport, html};
use folio::strategy::spec::{Overrides, StrategyFile};

fn outcomes() -> Vec<folio::sweep::Outcome> {
    let plans: Vec<_> = [
        "strategies/buy_and_hold.toml",
        "strategies/index_cap_semiannual.toml",
        "strategies/index_equal_annual.toml",
        "strategies/index_equal_band.toml",
    ]
    .iter()
    .map(|f| {
        let path = std::path::Path::new(f);
        StrategyFile::load(path)
            .expect("strategy file")
            .plan(path, &Overrides::default())
            .expect("plan")
    })
    .collect();
    folio::sweep::run_plans(&plans).expect("runs")
}

fn report(c: &mut Criterion) {
    let outcomes = outcomes();
    let mut g = c.benchmark_group("report");
    g.sample_size(20);
    g.bench_function("html, one run (23 assets, 2,844 days)", |b| {
        b.iter(|| html(&[RunReport::of(black_box(&outcomes[0]))]))
    });
    g.bench_function("html, four runs side by side", |b| {
        b.iter(|| {
            let runs: Vec<RunReport> = outcomes.iter().map(RunReport::of).collect();
            html(black_box(&runs))
        })
    });
    g.finish();
}

criterion_group!(benches, report);
criterion_main!(benches);
