//! [`AuditTable`]: a table a strategy kept to explain its choices.

/// A table a strategy kept to explain its choices, as text cells.
///
/// ```
/// let t = folio::strategy::AuditTable {
///     name: "ratings".into(),
///     header: vec!["date".into(), "ticker".into()],
///     rows: vec![vec!["2020-01-02".into(), "AAPL".into()]],
/// };
/// assert_eq!(t.rows[0].len(), t.header.len());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditTable {
    /// File stem (`ratings` → `ratings.csv`).
    pub name: String,
    /// Column names.
    pub header: Vec<String>,
    /// Rows, each as long as the header.
    pub rows: Vec<Vec<String>>,
}
