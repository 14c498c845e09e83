//! Look-ahead: a strategy that tries every way the public API offers to read past its decision
//! day (rows and columns of the history, another field, `visible` on a longer series, the
//! calendar, today's prices, the portfolio view, the run's benchmark, the trailing windows and
//! returns, even the views' `Debug` text) and must get nothing beyond today. Every value of the
//! table and of the benchmark encodes its day, so a leak shows as a day index above today's;
//! a trailing return must be the one today's and earlier closes give.

use chrono::{Days, NaiveDate};
use folio::data::{Matrix, PriceTable};
use folio::engine::{BacktestConfig, Context, Execution, Recording, run, run_with_benchmark};
use folio::strategy::{Decision, Strategy};

const DAYS: usize = 12;
const ASSETS: usize = 3;

/// Close of asset `j` on day `t`: 1000·(j + 1) + t + 0.25, so day = value mod 1000.
fn close(t: usize, j: usize) -> f64 {
    1000.0 * (j + 1) as f64 + t as f64 + 0.25
}

/// The benchmark's price on day `t`.
fn bench(t: usize) -> f64 {
    9000.0 + t as f64 + 0.25
}

fn day_of(value: f64) -> usize {
    (value.rem_euclid(1000.0) - 0.25).round() as usize
}

fn date(t: usize) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + Days::new(t as u64)
}

fn table() -> PriceTable {
    let m = |f: &dyn Fn(usize, usize) -> f64| {
        let v = (0..DAYS)
            .flat_map(|t| (0..ASSETS).map(move |j| (t, j)))
            .map(|(t, j)| f(t, j))
            .collect();
        Matrix::from_rows(DAYS, ASSETS, v).unwrap()
    };
    PriceTable::new(
        (0..DAYS).map(date).collect(),
        (0..ASSETS).map(|j| format!("A{j}")).collect(),
        m(&close),
    )
    .unwrap()
    .with_open(m(&|t, j| close(t, j) - 0.125))
    .unwrap()
    .with_field("volume", m(&|t, j| close(t, j)))
    .unwrap()
}

/// Probes the view each day; records every value that comes from a later day.
#[derive(Default)]
struct Peeker {
    days_seen: Vec<usize>,
    leaks: Vec<String>,
}

impl Peeker {
    fn check(&mut self, today: usize, what: &str, values: impl IntoIterator<Item = f64>) {
        for v in values {
            if day_of(v) > today {
                self.leaks
                    .push(format!("day {today}: {what} gave {v} (day {})", day_of(v)));
            }
        }
    }
}

impl Peeker {
    /// The trailing windows and returns, the benchmark and the cost basis: each gives what
    /// today's and earlier values give, and nothing for a span reaching before the first day.
    fn probe_helpers(&mut self, ctx: &Context<'_>) -> Vec<String> {
        let (m, t) = (ctx.market, ctx.market.today());
        let mut leaks = Vec::new();
        let spans = [0, 1, 2, t, t + 1, t + 2, DAYS, usize::MAX];
        for n in spans {
            match m.window(n) {
                Some(w) => {
                    if n == 0 || n > t + 1 || w.rows() != n || w.last() != m.prices_today() {
                        leaks.push(format!("day {t}: window({n}) has {} rows", w.rows()));
                    }
                    for j in 0..ASSETS {
                        self.check(t, &format!("window({n}).column({j})"), w.column(j));
                    }
                }
                None if n >= 1 && n <= t + 1 => leaks.push(format!("day {t}: window({n}) is None")),
                None => {}
            }
        }
        for j in 0..ASSETS {
            for start in spans {
                for end in spans {
                    let expected = (end < start && start <= t)
                        .then(|| close(t - end, j) / close(t - start, j) - 1.0);
                    let got = m.return_between(j, start, end);
                    if got != expected {
                        leaks.push(format!(
                            "day {t}: return_between({j}, {start}, {end}) = {got:?}, the past gives {expected:?}"
                        ));
                    }
                }
                let got = m.trailing_return(j, start);
                if got != m.return_between(j, start, 0)
                    || m.trailing_returns(start).nth(j) != Some(got)
                {
                    leaks.push(format!("day {t}: trailing_return({j}, {start}) = {got:?}"));
                }
            }
        }
        if let Some(b) = m.benchmark() {
            if b.len() != t + 1 {
                leaks.push(format!("day {t}: benchmark() has {} prices", b.len()));
            }
            self.check(t, "benchmark()", b.iter().copied());
            for n in spans {
                let expected = (n >= 1 && n <= t).then(|| bench(t) / bench(t - n) - 1.0);
                if m.benchmark_return(n) != expected {
                    leaks.push(format!(
                        "day {t}: benchmark_return({n}) = {:?}, the past gives {expected:?}",
                        m.benchmark_return(n)
                    ));
                }
            }
        }
        let p = ctx.portfolio;
        for j in 0..ASSETS {
            if p.entry_date(j).is_some_and(|e| e > m.date()) {
                leaks.push(format!("day {t}: entry_date({j}) after today"));
            }
            // Bought at a close (or an open) of a day up to today, without costs.
            if let Some(b) = p.cost_basis(j) {
                self.check(t, &format!("cost_basis({j})"), [b]);
            }
        }
        leaks
    }
}

impl Strategy for Peeker {
    fn decide(&mut self, ctx: &Context<'_>) -> Decision {
        let m = ctx.market;
        let t = m.today();
        self.days_seen.push(t);
        let mut leak = |what: String| self.leaks.push(format!("day {t}: {what}"));

        // Calendar and today.
        if m.date() != date(t) {
            leak(format!("date() is {}", m.date()));
        }
        if m.dates().len() != t + 1 || m.dates().iter().any(|d| *d > date(t)) {
            leak(format!("dates() reaches {:?}", m.dates().last()));
        }
        // Rows of the history: every index past today, including huge ones, is None.
        let h = m.history();
        if h.rows() != t + 1 {
            leak(format!("history().rows() = {}", h.rows()));
        }
        for r in [
            t + 1,
            t + 2,
            DAYS - 1,
            DAYS,
            DAYS + 1,
            usize::MAX / 2,
            usize::MAX,
        ] {
            if r > t && h.row(r).is_some() {
                leak(format!("history().row({r}) is Some"));
            }
        }
        // A field other than the price, and a field that does not exist.
        let volume = m.field("volume");
        if m.field("no such field").is_some() {
            leak("field(\"no such field\") is Some".into());
        }
        for r in [t + 1, DAYS, usize::MAX] {
            if volume.is_some_and(|v| v.row(r).is_some()) {
                leak(format!("field(\"volume\").row({r}) is Some"));
            }
        }
        // `visible` on a series longer than the table.
        let long: Vec<f64> = (0..DAYS + 5).map(|k| k as f64 + 0.25).collect();
        let seen = m.visible(&long);
        if seen.len() != t + 1 {
            leak(format!("visible() gave {} values", seen.len()));
        }
        let _ = leak;
        let helpers = self.probe_helpers(ctx);
        self.leaks.extend(helpers);

        let mut values: Vec<(String, Vec<f64>)> = vec![
            ("prices_today()".into(), m.prices_today().to_vec()),
            ("history().last()".into(), h.last().to_vec()),
            ("visible()".into(), seen.to_vec()),
        ];
        for r in 0..=t {
            values.push((format!("history().row({r})"), h.row(r).unwrap().to_vec()));
        }
        for j in 0..ASSETS {
            values.push((format!("history().column({j})"), h.column(j).collect()));
            values.push((
                format!("history().column({j}).rev()"),
                h.column(j).rev().collect(),
            ));
            if h.column(j).count() != t + 1 {
                self.leaks
                    .push(format!("day {t}: column({j}) has more rows"));
            }
        }
        if let Some(v) = volume {
            values.push(("volume last()".into(), v.last().to_vec()));
            for j in 0..ASSETS {
                values.push((format!("volume column({j})"), v.column(j).collect()));
            }
        }
        // The portfolio is valued at today's close, not tomorrow's.
        let p = ctx.portfolio;
        let at_close: f64 = p
            .positions()
            .iter()
            .zip(m.prices_today())
            .map(|(q, c)| q * c)
            .sum();
        if (p.nav() - (p.cash() + at_close)).abs() > 1e-9 * p.nav().abs() {
            self.leaks
                .push(format!("day {t}: nav {} is not at today's close", p.nav()));
        }
        for (what, v) in values {
            self.check(t, &what, v);
        }
        // Debug text of the views (a strategy could parse it): no later date or value.
        let text = format!("{:?} {:?} {:?}", ctx, h, volume);
        for later in t + 1..DAYS {
            let future_date = date(later).to_string();
            let future_value = format!("{}", close(later, 0));
            if text.contains(&future_date) || text.contains(&future_value) {
                self.leaks.push(format!(
                    "day {t}: Debug output shows day {later} ({future_date} or {future_value})"
                ));
                break;
            }
        }
        // Trade so the portfolio view has positions to value.
        if t == 1 {
            Decision::TargetWeights(vec![0.3; ASSETS])
        } else {
            Decision::Hold
        }
    }
}

/// Runs the probe under every execution, with the run's benchmark if given.
fn probe_every_execution(benchmark: Option<&[f64]>) {
    let table = table();
    for execution in [
        Execution::SameClose,
        Execution::NextClose,
        Execution::NextOpen,
    ] {
        let mut s = Peeker::default();
        let config = BacktestConfig {
            execution,
            ..Default::default()
        };
        match benchmark {
            None => run(&table, &mut s, &config).unwrap(),
            Some(_) => {
                run_with_benchmark(&table, benchmark, &mut s, &config, Recording::FULL).unwrap()
            }
        };
        assert_eq!(s.days_seen, (0..DAYS).collect::<Vec<_>>());
        assert!(s.leaks.is_empty(), "{execution}: {:#?}", s.leaks);
    }
}

#[test]
fn no_public_way_reaches_past_the_decision_day() {
    probe_every_execution(None);
}

#[test]
fn the_benchmark_and_the_trailing_helpers_stop_at_the_decision_day() {
    // One price a day (a benchmark of another length is refused), each encoding its day.
    let benchmark: Vec<f64> = (0..DAYS).map(bench).collect();
    probe_every_execution(Some(&benchmark));
}

#[test]
fn the_probe_sees_a_leak_when_there_is_one() {
    // The probe itself must be able to fail: the full table's last row is from the future.
    let table = table();
    let mut s = Peeker::default();
    s.check(3, "the full table", table.prices().row(DAYS - 1).to_vec());
    assert_eq!(s.leaks.len(), ASSETS);
}
