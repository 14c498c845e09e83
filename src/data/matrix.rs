//! A dense, row-major matrix of `f64`: one row per day, one column per asset.

/// A dense `rows × cols` matrix of `f64` stored row by row (one row per day).
///
/// The day loop walks rows, so a day's values for every asset are contiguous.
///
/// ```
/// use folio::data::Matrix;
/// let m = Matrix::from_rows(2, 3, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
/// assert_eq!(m.row(1), &[4.0, 5.0, 6.0]);
/// assert_eq!(m.get(0, 2), 3.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    rows: usize,
    cols: usize,
    data: Vec<f64>,
}

impl Matrix {
    /// A matrix of the given shape filled with `value`.
    ///
    /// ```
    /// let m = folio::data::Matrix::filled(2, 2, f64::NAN);
    /// assert!(m.get(1, 1).is_nan());
    /// ```
    pub fn filled(rows: usize, cols: usize, value: f64) -> Self {
        Matrix {
            rows,
            cols,
            data: vec![value; rows * cols],
        }
    }

    /// Wraps row-major `data`; `None` when its length is not `rows × cols`.
    ///
    /// ```
    /// assert!(folio::data::Matrix::from_rows(2, 2, vec![1.0; 3]).is_none());
    /// ```
    pub fn from_rows(rows: usize, cols: usize, data: Vec<f64>) -> Option<Self> {
        (data.len() == rows * cols).then_some(Matrix { rows, cols, data })
    }

    /// Number of rows (days).
    ///
    /// ```
    /// assert_eq!(folio::data::Matrix::filled(3, 2, 0.0).rows(), 3);
    /// ```
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns (assets).
    ///
    /// ```
    /// assert_eq!(folio::data::Matrix::filled(3, 2, 0.0).cols(), 2);
    /// ```
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Row `r` as a contiguous slice.
    ///
    /// ```
    /// let m = folio::data::Matrix::filled(2, 2, 1.5);
    /// assert_eq!(m.row(0), &[1.5, 1.5]);
    /// ```
    #[inline]
    pub fn row(&self, r: usize) -> &[f64] {
        &self.data[r * self.cols..(r + 1) * self.cols]
    }

    /// Row `r` as a mutable slice.
    ///
    /// ```
    /// let mut m = folio::data::Matrix::filled(2, 2, 0.0);
    /// m.row_mut(1)[0] = 7.0;
    /// assert_eq!(m.get(1, 0), 7.0);
    /// ```
    #[inline]
    pub fn row_mut(&mut self, r: usize) -> &mut [f64] {
        &mut self.data[r * self.cols..(r + 1) * self.cols]
    }

    /// The value at row `r`, column `c`.
    ///
    /// ```
    /// let m = folio::data::Matrix::from_rows(1, 2, vec![1.0, 2.0]).unwrap();
    /// assert_eq!(m.get(0, 1), 2.0);
    /// ```
    #[inline]
    pub fn get(&self, r: usize, c: usize) -> f64 {
        self.data[r * self.cols + c]
    }

    /// Sets the value at row `r`, column `c`.
    ///
    /// ```
    /// let mut m = folio::data::Matrix::filled(1, 1, 0.0);
    /// m.set(0, 0, 4.0);
    /// assert_eq!(m.get(0, 0), 4.0);
    /// ```
    #[inline]
    pub fn set(&mut self, r: usize, c: usize, value: f64) {
        self.data[r * self.cols + c] = value;
    }

    /// All values, row by row.
    ///
    /// ```
    /// let m = folio::data::Matrix::filled(2, 2, 1.0);
    /// assert_eq!(m.as_slice().len(), 4);
    /// ```
    pub fn as_slice(&self) -> &[f64] {
        &self.data
    }

    /// The first `rows` rows, row by row: what a view truncated at a day may read.
    ///
    /// ```
    /// let m = folio::data::Matrix::from_rows(3, 1, vec![1.0, 2.0, 3.0]).unwrap();
    /// assert_eq!(m.head(2), &[1.0, 2.0]);
    /// ```
    #[inline]
    pub fn head(&self, rows: usize) -> &[f64] {
        &self.data[..rows * self.cols]
    }

    /// A copy holding only the given columns, in the given order.
    ///
    /// ```
    /// let m = folio::data::Matrix::from_rows(1, 3, vec![1.0, 2.0, 3.0]).unwrap();
    /// assert_eq!(m.select_columns(&[2, 0]).row(0), &[3.0, 1.0]);
    /// ```
    pub fn select_columns(&self, columns: &[usize]) -> Matrix {
        let mut data = Vec::with_capacity(self.rows * columns.len());
        for r in 0..self.rows {
            let row = self.row(r);
            data.extend(columns.iter().map(|&c| row[c]));
        }
        Matrix {
            rows: self.rows,
            cols: columns.len(),
            data,
        }
    }

    /// A copy holding only rows `start..end`.
    ///
    /// ```
    /// let m = folio::data::Matrix::from_rows(3, 1, vec![1.0, 2.0, 3.0]).unwrap();
    /// assert_eq!(m.slice_rows(1, 3).as_slice(), &[2.0, 3.0]);
    /// ```
    pub fn slice_rows(&self, start: usize, end: usize) -> Matrix {
        Matrix {
            rows: end - start,
            cols: self.cols,
            data: self.data[start * self.cols..end * self.cols].to_vec(),
        }
    }
}
