//! The notes a finished run carries to its report: evaluation window, data caveats,
//! corporate actions, and what the strategy wrote with `Context::note`.

use crate::data::PriceTable;
use crate::engine::{AuditTable, BacktestResult};
use crate::metrics::MetricsFrom;

/// The evaluation window and the days the book sat in cash before its first trade.
pub(super) fn window_note(
    result: &BacktestResult,
    from: MetricsFrom,
    first_day: usize,
    first_trade: Option<usize>,
) -> String {
    let n = result.dates.len();
    let idle = match first_trade {
        Some(0) => "the first trade was on the first day".to_string(),
        Some(t) => format!(
            "{t} of {n} days idle in cash before the first trade on {}",
            result.dates[t]
        ),
        None => format!("no trade: all {n} days in cash"),
    };
    format!(
        "evaluation window: {} → {} ({} days, metrics_from = {from}); {idle}",
        result.dates[first_day],
        result.dates[n - 1],
        n - first_day
    )
}

/// A data caveat: daily price moves beyond ±50 % among the run's prices, which are often data
/// errors (a split applied on the wrong day) and sometimes real.
pub(super) fn suspect_moves(table: &PriceTable) -> String {
    let p = table.prices();
    let mut found = Vec::new();
    for t in 1..table.n_days() {
        for (j, (a, b)) in p.row(t - 1).iter().zip(p.row(t)).enumerate() {
            // On raw prices a split is not a move: compare on the new share basis.
            let r = crate::numeric::simple_return(*a, b * table.split(t, j));
            if r.abs() > 0.5 {
                found.push(format!(
                    "{} {} ({:+.0} %)",
                    table.tickers()[j],
                    table.dates()[t],
                    100.0 * r
                ));
            }
        }
    }
    match found.len() {
        0 => "data: no daily price move beyond ±50 % in the prices used".into(),
        n => format!(
            "data: {n} daily price move(s) beyond ±50 %, check them: {}{}",
            found.iter().take(5).cloned().collect::<Vec<_>>().join(", "),
            if n > 5 { ", …" } else { "" }
        ),
    }
}

/// The totals of a run on raw prices: dividends received, tax withheld, reinvested, charged to
/// shorts, and splits applied.
pub(super) fn corporate_actions_note(result: &BacktestResult) -> String {
    let t = &result.totals;
    let mut s = format!(
        "raw prices with corporate actions: dividends received {:.2} (tax withheld {:.2} at {:.1} %, \
         net {:.2}",
        t.dividends,
        t.dividend_tax,
        result.config.dividend_tax * 100.0,
        t.dividends - t.dividend_tax
    );
    if result.config.reinvest_dividends {
        s.push_str(&format!(
            ", {:.2} reinvested at the ex-date close without costs",
            t.reinvested
        ));
    } else {
        s.push_str(", kept in cash");
    }
    s.push(')');
    if t.dividends_charged > 0.0 {
        s.push_str(&format!(
            "; dividends charged to shorts {:.2}",
            t.dividends_charged
        ));
    }
    s.push_str(&format!(
        "; {} split(s) applied to positions held (coefficients snapped to exact ratios)",
        t.splits
    ));
    s
}

/// `corporate_actions.csv`: each split and dividend applied to a position held.
pub(super) fn corporate_actions_table(result: &BacktestResult) -> AuditTable {
    let header = [
        "date",
        "ticker",
        "action",
        "units_before",
        "ratio",
        "gross",
        "tax",
        "reinvested",
        "units_after",
    ];
    AuditTable {
        name: "corporate_actions".into(),
        header: header.iter().map(|h| h.to_string()).collect(),
        rows: result
            .corporate_actions
            .iter()
            .map(|a| {
                vec![
                    a.date.to_string(),
                    result.tickers[a.asset].clone(),
                    a.kind.to_string(),
                    a.units_before.to_string(),
                    a.ratio.to_string(),
                    a.gross.to_string(),
                    a.tax.to_string(),
                    a.reinvested.to_string(),
                    a.units_after.to_string(),
                ]
            })
            .collect(),
    }
}

/// What liquidity cost and held back: impact, spread, commission and slippage paid, orders a
/// volume cap cut and carried, shorts refused for want of borrow.
pub(crate) fn liquidity_note(result: &BacktestResult) -> String {
    let t = &result.totals;
    format!(
        "liquidity: market impact {:.2}, spread {:.2}, commission {:.2}, slippage {:.2} paid; \
         {} order(s) cut by the volume cap ({} carried to the next day, {} dropped); \
         {} short(s) refused (not available to borrow)",
        t.impact,
        t.spread,
        t.commission,
        t.slippage,
        result.partial_fills,
        result.carried_orders,
        result.dropped_orders,
        result.borrow_refused
    )
}

/// Strategy notes shown among a run's notes; `strategy_notes.csv` in `--out` has them all.
const SHOWN: usize = 20;

/// The notes the strategy wrote ([`Context::note`](crate::engine::Context::note)), as report
/// notes: the first [`SHOWN`], each with its day, then how many more there are.
pub(super) fn strategy_notes(result: &BacktestResult) -> Vec<String> {
    let all = &result.strategy_notes;
    let mut out: Vec<String> = all
        .iter()
        .take(SHOWN)
        .map(|n| format!("{} (strategy): {}", n.date, n.text))
        .collect();
    let more = all.len().saturating_sub(SHOWN) + result.strategy_notes_dropped;
    if more > 0 {
        let kept = if result.strategy_notes_dropped > 0 {
            format!(
                "the first {} are in strategy_notes.csv with --out, the last {} were not kept",
                all.len(),
                result.strategy_notes_dropped
            )
        } else {
            "all are in strategy_notes.csv with --out".to_string()
        };
        out.push(format!(
            "… and {more} more strategy note(s) ({} in all; {kept})",
            all.len() + result.strategy_notes_dropped
        ));
    }
    out
}

/// `strategy_notes.csv`: every note the strategy wrote that the run kept, with its day.
pub(super) fn strategy_notes_table(result: &BacktestResult) -> AuditTable {
    AuditTable {
        name: "strategy_notes".into(),
        header: vec!["date".into(), "note".into()],
        rows: result
            .strategy_notes
            .iter()
            .map(|n| vec![n.date.to_string(), n.text.clone()])
            .collect(),
    }
}
