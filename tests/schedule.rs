//! Schedules against an independent reference: the weekly schedule's days on a real calendar
//! (with holiday Mondays) are the days pandas starts a new `W-SUN` period
//! (`tools/schedule_reference.py`); the month-end schedule's are each month's last date in
//! pandas (`tools/month_end_reference.py`).

use folio::strategy::rebalance::Schedule;

#[test]
fn weekly_is_due_on_the_first_trading_day_of_each_week_as_pandas_says() {
    let golden: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/schedule_reference.json")).unwrap();
    let spy: folio::data::SeriesRef = "data/spy.csv".parse().unwrap();
    let date = |k: &str| golden[k].as_str().unwrap().parse().unwrap();
    let dates = spy
        .read(Some(date("from")), Some(date("to")))
        .unwrap()
        .dates;
    assert_eq!(dates.len() as u64, golden["days"].as_u64().unwrap());
    let due: Vec<u64> = (0..dates.len())
        .filter(|&t| Schedule::Weekly.is_due(&dates, t))
        .map(|t| t as u64)
        .collect();
    let expected: Vec<u64> = golden["weekly_due"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(due, expected);
    // A strategy file names it as "weekly".
    let s: Schedule = serde_json::from_str("\"weekly\"").unwrap();
    assert_eq!(s, Schedule::Weekly);
}

/// The month-end schedule's days on two calendars of data/spy.csv (one ending mid-month, one on
/// a month's last weekday), with March 2018's last weekday a holiday (Good Friday): the days
/// pandas finds as each month's last date (`tools/month_end_reference.py`), asked of the whole
/// calendar and, during a run, of the strategy's view (which knows tomorrow's date only).
#[test]
fn month_end_is_due_on_the_last_trading_day_of_each_month_as_pandas_says() {
    use folio::data::{Matrix, PriceTable};
    use folio::engine::{BacktestConfig, Context, run};
    use folio::strategy::{Decision, Strategy};

    struct Due(Vec<u64>);
    impl Strategy for Due {
        fn decide(&mut self, ctx: &Context<'_>) -> Decision {
            if Schedule::MonthEnd.is_due_on(&ctx.market) {
                self.0.push(ctx.market.today() as u64);
            }
            Decision::Hold
        }
    }

    let golden: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/month_end_reference.json")).unwrap();
    let spy: folio::data::SeriesRef = "data/spy.csv".parse().unwrap();
    let cases = golden.as_array().unwrap();
    assert_eq!(cases.len(), 2);
    for case in cases {
        let date = |k: &str| case[k].as_str().unwrap().parse().unwrap();
        let dates = spy
            .read(Some(date("from")), Some(date("to")))
            .unwrap()
            .dates;
        assert_eq!(dates.len() as u64, case["days"].as_u64().unwrap());
        let expected: Vec<u64> = case["month_end_due"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        let due: Vec<u64> = (0..dates.len())
            .filter(|&t| Schedule::MonthEnd.is_due(&dates, t))
            .map(|t| t as u64)
            .collect();
        assert_eq!(due, expected, "to {}", case["to"]);
        let n = dates.len();
        let table = PriceTable::new(dates, vec!["X".into()], Matrix::filled(n, 1, 1.0)).unwrap();
        let mut s = Due(Vec::new());
        run(&table, &mut s, &BacktestConfig::default()).unwrap();
        assert_eq!(s.0, expected, "to {}", case["to"]);
    }
    // A strategy file names it as "month_end".
    let s: Schedule = serde_json::from_str("\"month_end\"").unwrap();
    assert_eq!(s, Schedule::MonthEnd);
}
