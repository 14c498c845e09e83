//! The dense, aligned price table every backtest reads.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::{DataError, Matrix};

/// Daily prices of a set of assets on one calendar, as dense `f64` arrays.
///
/// Rows are trading days in increasing order, columns are assets. Every price is positive and
/// finite: missing values were dealt with by a [`MissingPolicy`](super::MissingPolicy) before
/// the table was built. Other columns of the source file (raw `open`, `high`, `low`, `close`,
/// `volume`) ride along as extra fields on the same grid.
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
}

impl PriceTable {
    /// Builds a table, checking that dates strictly increase, tickers are unique, the shape
    /// matches and every price is positive and finite.
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
        for (i, &p) in prices.as_slice().iter().enumerate() {
            if !super::load::valid_price(p) {
                let (r, c) = (i / tickers.len(), i % tickers.len());
                return invalid(format!(
                    "price of `{}` on {} is {p}; prices must be between 1e-12 and 1e12",
                    tickers[c], dates[r]
                ));
            }
        }
        Ok(PriceTable {
            dates,
            tickers,
            prices,
            open: None,
            fields: BTreeMap::new(),
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
        if let Some(i) = open
            .as_slice()
            .iter()
            .position(|&p| !super::load::valid_price(p))
        {
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
