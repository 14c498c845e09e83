//! The dense, aligned price table every backtest reads.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::{DataError, Matrix};
use crate::numeric;

/// Daily prices of a set of assets on one calendar, as dense `f64` arrays.
///
/// Rows are trading days in increasing order, columns are assets. Each asset is *listed* from
/// its first price to its last (its listed interval); before and after it the table holds
/// `NaN`, which means "not listed", never "missing": missing values inside an interval were
/// dealt with by a [`MissingPolicy`](super::MissingPolicy) before the table was built, so
/// every price inside it is positive and finite. A table whose every asset is listed on every
/// day is *rectangular*. Other columns of the source file (raw `open`, `high`, `low`, `close`,
/// `volume`) ride along as extra fields on the same grid, and an index membership
/// ([`Membership`]) may say which assets belong to the universe on each day.
///
/// ```
/// use chrono::NaiveDate;
/// use folio::data::{Matrix, PriceTable};
/// let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
/// let prices = Matrix::from_rows(2, 2, vec![10.0, 20.0, 11.0, 19.0]).unwrap();
/// let table = PriceTable::new(
///     vec![d("2024-01-02"), d("2024-01-03")],
///     vec!["AAA".into(), "BBB".into()],
///     prices,
/// )
/// .unwrap();
/// assert_eq!(table.n_days(), 2);
/// assert_eq!(table.ticker_index("BBB"), Some(1));
/// assert_eq!(table.prices().get(1, 0), 11.0);
/// ```
#[derive(Debug, Clone)]
pub struct PriceTable {
    dates: Vec<NaiveDate>,
    tickers: Vec<String>,
    prices: Matrix,
    open: Option<Matrix>,
    fields: BTreeMap<String, Matrix>,
    /// First and last day index of each asset's prices.
    listed: Vec<(usize, usize)>,
    rectangular: bool,
    members: Option<Membership>,
    /// With raw prices: the (day, asset) cells with a split or a dividend, in day order.
    actions: Option<Vec<(usize, usize)>>,
    /// Per day, whether some asset's eligibility (listed and a member) differs from the day
    /// before (false on the first day): computed once per table, so a strategy that follows
    /// the eligible set does not compare every asset every day.
    eligibility_changes: Vec<bool>,
}

/// Which assets of a table belong to the universe (an index) on each day: one flag per day and
/// asset, read as of each day from a membership file, with where it came from.
///
/// ```
/// use folio::data::Membership;
/// let m = Membership::new(2, 2, vec![true, false, true, true], "m.csv".into());
/// assert!(!m.is_member(0, 1) && m.is_member(1, 1));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    n_assets: usize,
    flags: Vec<bool>,
    source: std::path::PathBuf,
}

impl Membership {
    /// Flags row by row (day by day), `n_days × n_assets` of them.
    ///
    /// # Panics
    /// If `flags` does not hold `n_days × n_assets` values.
    pub fn new(
        n_days: usize,
        n_assets: usize,
        flags: Vec<bool>,
        source: std::path::PathBuf,
    ) -> Self {
        assert_eq!(flags.len(), n_days * n_assets, "one flag per day and asset");
        Membership {
            n_assets,
            flags,
            source,
        }
    }

    /// Whether asset `j` is a member on day `t`.
    #[inline]
    pub fn is_member(&self, t: usize, j: usize) -> bool {
        self.flags[t * self.n_assets + j]
    }

    /// The membership file.
    pub fn source(&self) -> &std::path::Path {
        &self.source
    }
}

impl PriceTable {
    /// Builds a table, checking that dates strictly increase, tickers are unique, the shape
    /// matches, and each asset's prices are positive and finite from its first price to its
    /// last, with `NaN` (not listed) only before and after them.
    ///
    /// ```
    /// use folio::data::{Matrix, PriceTable};
    /// let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// let bad = Matrix::from_rows(1, 1, vec![-1.0]).unwrap();
    /// assert!(PriceTable::new(vec![d], vec!["X".into()], bad).is_err());
    /// ```
    pub fn new(
        dates: Vec<NaiveDate>,
        tickers: Vec<String>,
        prices: Matrix,
    ) -> Result<Self, DataError> {
        let invalid = |m: String| Err(DataError::InvalidTable(m));
        if prices.rows() != dates.len() || prices.cols() != tickers.len() {
            return invalid(format!(
                "prices are {}×{} but there are {} dates and {} tickers",
                prices.rows(),
                prices.cols(),
                dates.len(),
                tickers.len()
            ));
        }
        if dates.is_empty() || tickers.is_empty() {
            return invalid("a table needs at least one date and one ticker".into());
        }
        if let Some(w) = dates.windows(2).find(|w| w[0] >= w[1]) {
            return invalid(format!(
                "dates must strictly increase ({} then {})",
                w[0], w[1]
            ));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(t) = tickers.iter().find(|t| !seen.insert(t.as_str())) {
            return invalid(format!("ticker `{t}` appears twice"));
        }
        let listed = listed_intervals(&dates, &tickers, &prices)?;
        let rectangular = listed.iter().all(|&(a, b)| a == 0 && b + 1 == dates.len());
        // Without a membership, eligibility changes only where a listed interval starts or
        // ends.
        let mut eligibility_changes = vec![false; dates.len()];
        for &(a, b) in &listed {
            if a > 0 {
                eligibility_changes[a] = true;
            }
            if let Some(c) = eligibility_changes.get_mut(b + 1) {
                *c = true;
            }
        }
        Ok(PriceTable {
            dates,
            tickers,
            prices,
            open: None,
            fields: BTreeMap::new(),
            listed,
            rectangular,
            members: None,
            actions: None,
            eligibility_changes,
        })
    }

    /// Adds the opening prices used by `next_open` execution. They must be on the same basis
    /// as [`prices`](Self::prices) (adjusted alike), positive and finite.
    ///
    /// ```
    /// use folio::data::{Matrix, PriceTable};
    /// let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// let t = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 2.0)).unwrap();
    /// let t = t.with_open(Matrix::filled(1, 1, 1.9)).unwrap();
    /// assert_eq!(t.open().unwrap().get(0, 0), 1.9);
    /// ```
    pub fn with_open(mut self, open: Matrix) -> Result<Self, DataError> {
        self.check_shape("open", &open)?;
        let n = self.n_assets();
        if let Some(i) = open.as_slice().iter().enumerate().position(|(i, p)| {
            if self.is_listed(i / n, i % n) {
                !super::load::valid_price(*p)
            } else {
                !p.is_nan()
            }
        }) {
            let (r, c) = (i / self.n_assets(), i % self.n_assets());
            return Err(DataError::InvalidTable(format!(
                "open of `{}` on {} is {}; prices must be between 1e-12 and 1e12",
                self.tickers[c],
                self.dates[r],
                open.get(r, c)
            )));
        }
        self.open = Some(open);
        Ok(self)
    }

    /// Adds another column of the source file (raw `close`, `volume`, …) on the same grid.
    ///
    /// ```
    /// use folio::data::{Matrix, PriceTable};
    /// let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// let t = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 2.0)).unwrap();
    /// let t = t.with_field("volume", Matrix::filled(1, 1, 1e6)).unwrap();
    /// assert_eq!(t.field("volume").unwrap().get(0, 0), 1e6);
    /// ```
    pub fn with_field(mut self, name: &str, values: Matrix) -> Result<Self, DataError> {
        self.check_shape(name, &values)?;
        self.fields.insert(name.to_string(), values);
        Ok(self)
    }

    /// Adds an index membership on the table's calendar and columns.
    ///
    /// ```
    /// use folio::data::{Matrix, Membership, PriceTable};
    /// let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// let t = PriceTable::new(vec![d], vec!["X".into(), "Y".into()], Matrix::filled(1, 2, 2.0)).unwrap();
    /// let t = t.with_membership(Membership::new(1, 2, vec![true, false], "m.csv".into())).unwrap();
    /// assert!(t.is_member(0, 0) && !t.is_member(0, 1) && !t.is_eligible(0, 1));
    /// ```
    pub fn with_membership(mut self, members: Membership) -> Result<Self, DataError> {
        if members.flags.len() != self.n_days() * self.n_assets()
            || members.n_assets != self.n_assets()
        {
            return Err(DataError::InvalidTable(format!(
                "the membership has {} flags for a {}×{} table",
                members.flags.len(),
                self.n_days(),
                self.n_assets()
            )));
        }
        self.members = Some(members);
        let n = self.n_assets();
        let eligible = |t: usize, j: usize| self.is_eligible(t, j);
        let changes = (0..self.n_days())
            .map(|t| t > 0 && (0..n).any(|j| eligible(t - 1, j) != eligible(t, j)))
            .collect();
        self.eligibility_changes = changes;
        Ok(self)
    }

    /// Marks the prices as raw, with corporate actions to apply: the table's `split` field
    /// (coefficient, 1 = none) and `dividend` field (cash per share on the ex-date, 0 = none),
    /// whichever of them it has, become the actions the engine applies. Inside each asset's
    /// listed interval a coefficient must be positive and a dividend ≥ 0 (a missing value
    /// means no action); coefficients are snapped to exact ratios
    /// ([`snap_split`](super::snap_split)).
    ///
    /// ```
    /// use folio::data::{Matrix, PriceTable};
    /// let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    /// let t = PriceTable::new(vec![d("2024-01-02"), d("2024-01-03")], vec!["X".into()],
    ///     Matrix::from_rows(2, 1, vec![100.0, 50.0]).unwrap()).unwrap()
    ///     .with_field("split", Matrix::from_rows(2, 1, vec![1.0, 2.0000001]).unwrap()).unwrap()
    ///     .with_corporate_actions().unwrap();
    /// assert_eq!(t.corporate_actions(), Some(&[(1, 0)][..]));
    /// assert_eq!(t.split(1, 0), 2.0);
    /// assert_eq!(t.dividend(1, 0), 0.0);
    /// ```
    pub fn with_corporate_actions(mut self) -> Result<Self, DataError> {
        let (n_days, n_assets) = (self.n_days(), self.n_assets());
        let split = self
            .fields
            .get("split")
            .cloned()
            .unwrap_or_else(|| Matrix::filled(n_days, n_assets, 1.0));
        let dividend = self
            .fields
            .get("dividend")
            .cloned()
            .unwrap_or_else(|| Matrix::filled(n_days, n_assets, 0.0));
        let (split, events) = super::corporate::clean(
            &split,
            &dividend,
            |t, j| self.is_listed(t, j),
            |t, j| format!("`{}` on {}", self.tickers[j], self.dates[t]),
        )?;
        let mut dividend = dividend;
        for t in 0..n_days {
            for j in 0..n_assets {
                if !self.is_listed(t, j) || dividend.get(t, j).is_nan() {
                    dividend.set(t, j, 0.0);
                }
            }
        }
        self.fields.insert("split".into(), split);
        self.fields.insert("dividend".into(), dividend);
        self.actions = Some(events);
        Ok(self)
    }

    /// With raw prices, the (day, asset) cells that hold a split or a dividend, in day order;
    /// `None` for adjusted prices, whose corporate actions are already in the prices.
    pub fn corporate_actions(&self) -> Option<&[(usize, usize)]> {
        self.actions.as_deref()
    }

    /// Split coefficient of asset `j` on day `t` (1 = none, and always 1 for adjusted prices).
    #[inline]
    pub fn split(&self, t: usize, j: usize) -> f64 {
        match (&self.actions, self.fields.get("split")) {
            (Some(_), Some(m)) => m.get(t, j),
            _ => 1.0,
        }
    }

    /// Cash dividend per share of asset `j` with ex-date `t` (0 = none, and always 0 for
    /// adjusted prices).
    #[inline]
    pub fn dividend(&self, t: usize, j: usize) -> f64 {
        match (&self.actions, self.fields.get("dividend")) {
            (Some(_), Some(m)) => m.get(t, j),
            _ => 0.0,
        }
    }

    /// Return of one unit of asset `j` held from the close of day `t − 1` to the close of
    /// day `t`: `p_t / p_{t−1} − 1` on adjusted prices; on raw prices with the day's split
    /// coefficient `c` and dividend `d` (per share held at `t − 1`),
    /// `(c × p_t + d) / p_{t−1} − 1`, the return of a position whose dividend is reinvested at
    /// the ex-date's close. `NaN` when the asset is not listed on both days.
    ///
    /// ```
    /// use folio::data::{Matrix, PriceTable};
    /// let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    /// let t = PriceTable::new(vec![d("2024-01-02"), d("2024-01-03")], vec!["X".into()],
    ///     Matrix::from_rows(2, 1, vec![100.0, 51.0]).unwrap()).unwrap()
    ///     .with_field("split", Matrix::from_rows(2, 1, vec![1.0, 2.0]).unwrap()).unwrap()
    ///     .with_field("dividend", Matrix::from_rows(2, 1, vec![0.0, 1.0]).unwrap()).unwrap();
    /// assert_eq!(t.total_return(1, 0), 51.0 / 100.0 - 1.0);  // adjusted: fields ride along
    /// let t = t.with_corporate_actions().unwrap();
    /// assert!((t.total_return(1, 0) - 0.03).abs() < 1e-15); // (2 × 51 + 1) / 100 − 1
    /// ```
    #[inline]
    pub fn total_return(&self, t: usize, j: usize) -> f64 {
        let (a, b) = (self.prices.get(t - 1, j), self.prices.get(t, j));
        if self.actions.is_none() {
            return numeric::simple_return(a, b);
        }
        numeric::simple_return(a, b * self.split(t, j) + self.dividend(t, j))
    }

    /// The index membership, when the run has one.
    pub fn membership(&self) -> Option<&Membership> {
        self.members.as_ref()
    }

    /// First and last day index on which asset `j` has a price (its listed interval).
    ///
    /// ```
    /// use folio::data::{Matrix, PriceTable};
    /// let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    /// let n = f64::NAN;
    /// let t = PriceTable::new(
    ///     vec![d("2024-01-02"), d("2024-01-03"), d("2024-01-04")],
    ///     vec!["OLD".into(), "NEW".into()],
    ///     Matrix::from_rows(3, 2, vec![1.0, n, 2.0, 5.0, n, 6.0]).unwrap(),
    /// ).unwrap();
    /// assert_eq!(t.listed_interval(0), (0, 1));   // delisted after day 1
    /// assert_eq!(t.listed_interval(1), (1, 2));   // listed on day 1
    /// assert!(!t.is_listed(0, 1) && t.is_listed(1, 1) && !t.is_rectangular());
    /// ```
    pub fn listed_interval(&self, j: usize) -> (usize, usize) {
        self.listed[j]
    }

    /// Whether asset `j` has a price on day `t` (is listed).
    #[inline]
    pub fn is_listed(&self, t: usize, j: usize) -> bool {
        let (a, b) = self.listed[j];
        a <= t && t <= b
    }

    /// Whether asset `j` belongs to the universe on day `t` (always, without a membership).
    #[inline]
    pub fn is_member(&self, t: usize, j: usize) -> bool {
        self.members.as_ref().is_none_or(|m| m.is_member(t, j))
    }

    /// Whether asset `j` can be chosen on day `t`: listed and a member.
    #[inline]
    pub fn is_eligible(&self, t: usize, j: usize) -> bool {
        self.is_listed(t, j) && self.is_member(t, j)
    }

    /// Whether some asset's eligibility ([`is_eligible`](Self::is_eligible)) on day `t`
    /// differs from day `t − 1`'s: an asset listed or delisted, joining or leaving the
    /// membership. False on the first day. Computed once when the table is built.
    ///
    /// ```
    /// use folio::data::{Matrix, Membership, PriceTable};
    /// let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    /// let n = f64::NAN;
    /// let days = vec![d("2024-01-02"), d("2024-01-03"), d("2024-01-04"), d("2024-01-05")];
    /// let prices = Matrix::from_rows(4, 2, vec![1.0, n, 1.0, 2.0, 1.0, 2.0, n, 2.0]).unwrap();
    /// let t = PriceTable::new(days, vec!["X".into(), "Y".into()], prices).unwrap();
    /// let changed: Vec<bool> = (0..4).map(|i| t.eligibility_changed(i)).collect();
    /// assert_eq!(changed, [false, true, false, true]);   // Y lists, X delists
    /// let flags = vec![true, false, true, true, false, false, true, false];
    /// let t = t.with_membership(Membership::new(4, 2, flags, "m.csv".into())).unwrap();
    /// let changed: Vec<bool> = (0..4).map(|i| t.eligibility_changed(i)).collect();
    /// assert_eq!(changed, [false, true, true, false]);   // both leave on day 2: X's delisting
    ///                                                    // on day 3 changes nothing
    /// ```
    #[inline]
    pub fn eligibility_changed(&self, t: usize) -> bool {
        self.eligibility_changes[t]
    }

    /// Whether every asset is listed on every day.
    pub fn is_rectangular(&self) -> bool {
        self.rectangular
    }

    fn check_shape(&self, name: &str, m: &Matrix) -> Result<(), DataError> {
        if m.rows() != self.n_days() || m.cols() != self.n_assets() {
            return Err(DataError::InvalidTable(format!(
                "field `{name}` is {}×{}, the table is {}×{}",
                m.rows(),
                m.cols(),
                self.n_days(),
                self.n_assets()
            )));
        }
        Ok(())
    }

    /// Number of trading days (rows).
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// let t = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 2.0)).unwrap();
    /// assert_eq!(t.n_days(), 1);
    /// ```
    pub fn n_days(&self) -> usize {
        self.dates.len()
    }

    /// Number of assets (columns).
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// let t = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 2.0)).unwrap();
    /// assert_eq!(t.n_assets(), 1);
    /// ```
    pub fn n_assets(&self) -> usize {
        self.tickers.len()
    }

    /// The calendar, strictly increasing.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// let t = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 2.0)).unwrap();
    /// assert_eq!(t.dates()[0], d);
    /// ```
    pub fn dates(&self) -> &[NaiveDate] {
        &self.dates
    }

    /// The assets' tickers, in column order.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// let t = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 2.0)).unwrap();
    /// assert_eq!(t.tickers(), &["X".to_string()]);
    /// ```
    pub fn tickers(&self) -> &[String] {
        &self.tickers
    }

    /// Column index of a ticker.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// let t = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 2.0)).unwrap();
    /// assert_eq!(t.ticker_index("Y"), None);
    /// ```
    pub fn ticker_index(&self, ticker: &str) -> Option<usize> {
        self.tickers.iter().position(|t| t == ticker)
    }

    /// The prices trades are valued at (the file's `adj_close` when it has one).
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// let t = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 2.0)).unwrap();
    /// assert_eq!(t.prices().row(0), &[2.0]);
    /// ```
    pub fn prices(&self) -> &Matrix {
        &self.prices
    }

    /// Opening prices on the same basis as [`prices`](Self::prices), when the source had them.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// let t = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 2.0)).unwrap();
    /// assert!(t.open().is_none());
    /// ```
    pub fn open(&self) -> Option<&Matrix> {
        self.open.as_ref()
    }

    /// Another column of the source file, as read (for example raw `close` or `volume`).
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// let t = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 2.0)).unwrap();
    /// assert!(t.field("volume").is_none());
    /// ```
    pub fn field(&self, name: &str) -> Option<&Matrix> {
        self.fields.get(name)
    }

    /// Names of the extra fields, sorted.
    ///
    /// ```
    /// # use folio::data::{Matrix, PriceTable};
    /// # let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    /// let t = PriceTable::new(vec![d], vec!["X".into()], Matrix::filled(1, 1, 2.0)).unwrap();
    /// assert_eq!(t.field_names().count(), 0);
    /// ```
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.fields.keys().map(String::as_str)
    }
}

/// Each asset's first and last day with a price, checking that every price inside that interval
/// is positive and finite and every cell outside it is `NaN` (not listed).
fn listed_intervals(
    dates: &[NaiveDate],
    tickers: &[String],
    prices: &Matrix,
) -> Result<Vec<(usize, usize)>, DataError> {
    let n = tickers.len();
    let mut first = vec![usize::MAX; n];
    let mut last = vec![0; n];
    for (i, &p) in prices.as_slice().iter().enumerate() {
        let (r, c) = (i / n, i % n);
        if p.is_nan() {
            continue;
        }
        if !super::load::valid_price(p) {
            return Err(DataError::InvalidTable(format!(
                "price of `{}` on {} is {p}; prices must be between 1e-12 and 1e12",
                tickers[c], dates[r]
            )));
        }
        if first[c] == usize::MAX {
            first[c] = r;
        }
        last[c] = r;
    }
    let mut out = Vec::with_capacity(n);
    for c in 0..n {
        if first[c] == usize::MAX {
            return Err(DataError::InvalidTable(format!(
                "`{}` has no price between {} and {}",
                tickers[c],
                dates[0],
                dates[dates.len() - 1]
            )));
        }
        if let Some(r) = (first[c]..=last[c]).find(|&r| prices.get(r, c).is_nan()) {
            return Err(DataError::InvalidTable(format!(
                "price of `{}` on {} is missing inside its listed interval ({} .. {}); \
                 apply a missing-data policy first",
                tickers[c], dates[r], dates[first[c]], dates[last[c]]
            )));
        }
        out.push((first[c], last[c]));
    }
    Ok(out)
}
