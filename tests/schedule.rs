//! Schedules against an independent reference: the weekly schedule's days on a real calendar
//! (with holiday Mondays) are the days pandas starts a new `W-SUN` period
//! (`tools/schedule_reference.py`).

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
