//! A strategy file planned for a run ([`RunPlan`]): paths resolved, command-line overrides
//! applied, settings checked, and the strategy's kind planned (its files read).

use std::path::{Path, PathBuf};

use super::{Overrides, SpecError, StrategyFile};
use crate::data::{MissingPolicy, PriceBasis, ReadOptions, SeriesRef};
use crate::engine::{BacktestConfig, CostModel, Execution, Financing};
use crate::metrics::MetricsFrom;
use crate::strategy::kind::{Files, Planning};
use crate::strategy::registry::PlannedStrategy;

/// Everything needed to run one strategy file: resolved paths and checked settings.
#[derive(Debug, Clone)]
pub struct RunPlan {
    /// Name shown in reports.
    pub name: String,
    /// The strategy file's text, to point at a key in errors.
    pub(crate) text: Option<std::sync::Arc<str>>,
    /// The strategy file.
    pub source: PathBuf,
    /// The price file.
    pub data: PathBuf,
    /// What to read from it.
    pub read: ReadOptions,
    /// Missing-data policy.
    pub missing: MissingPolicy,
    /// Benchmark series.
    pub benchmark: Option<SeriesRef>,
    /// Cash, execution and costs.
    pub config: BacktestConfig,
    /// Annual risk-free rate.
    pub risk_free_rate: f64,
    /// First day of the figures (the run itself covers every day).
    pub metrics_from: MetricsFrom,
    /// The strategy.
    pub strategy: PlannedStrategy,
}

impl RunPlan {
    /// An error while running this plan, named by its strategy file: a parameter that does not
    /// fit the data ([`InvalidParam`]) also gets the line and column of its key in the file.
    ///
    /// ```
    /// use folio::strategy::spec::{InvalidParam, Overrides, StrategyFile};
    /// let path = std::path::Path::new("strategies/buy_and_hold.toml");
    /// let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
    /// let e = plan.in_file(InvalidParam { key: "strategy.weights".into(), message: "bad".into() }.into());
    /// assert!(e.to_string().starts_with("strategies/buy_and_hold.toml, line 25, column 1: `strategy.weights`: bad"), "{e}");
    /// ```
    pub fn in_file(&self, error: crate::Error) -> crate::Error {
        match error {
            crate::Error::Param(p) => {
                let e = SpecError::Invalid {
                    path: self.source.clone(),
                    key: p.key,
                    message: p.message,
                };
                match &self.text {
                    Some(text) => e.locate(text).into(),
                    None => e.into(),
                }
            }
            other => crate::Error::InFile {
                file: self.source.clone(),
                error: Box::new(other),
            },
        }
    }
}

impl StrategyFile {
    /// Resolves paths (relative to the file's folder) and applies command-line overrides.
    ///
    /// ```
    /// use folio::strategy::spec::{Overrides, StrategyFile};
    /// let path = std::path::Path::new("strategies/buy_and_hold.toml");
    /// let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
    /// assert!(plan.data.ends_with("data/sample_prices.csv"));
    /// ```
    pub fn plan(&self, path: &Path, over: &Overrides) -> Result<RunPlan, SpecError> {
        self.plan_with(path, over, &Files::default())
    }

    /// [`plan`](StrategyFile::plan) reading the strategy's files through `files`, which a
    /// sweep shares between its variants so that each file is read once.
    pub(crate) fn plan_with(
        &self,
        path: &Path,
        over: &Overrides,
        files: &Files,
    ) -> Result<RunPlan, SpecError> {
        self.plan_unlocated(path, over, files)
            .map_err(|e| match &self.text {
                Some(text) => e.locate(text),
                None => e,
            })
    }

    fn plan_unlocated(
        &self,
        path: &Path,
        over: &Overrides,
        files: &Files,
    ) -> Result<RunPlan, SpecError> {
        let base = path.parent().unwrap_or(Path::new(""));
        let invalid = |key: &str, message: String| SpecError::Invalid {
            path: path.to_path_buf(),
            key: key.into(),
            message,
        };
        let benchmark = match (&over.benchmark, &self.data.benchmark) {
            (Some(b), _) => Some(b.clone()),
            (None, Some(text)) => {
                let mut b: SeriesRef = text.parse().map_err(|m| invalid("data.benchmark", m))?;
                b.path = base.join(&b.path);
                Some(b)
            }
            (None, None) => None,
        };
        let b = &self.backtest;
        let mut config = BacktestConfig {
            initial_cash: over.initial_cash.unwrap_or(b.initial_cash),
            execution: over.execution.unwrap_or(b.execution),
            costs: CostModel {
                commission_bps: over.commission_bps.unwrap_or(b.commission_bps),
                fixed_fee: over.fixed_fee.unwrap_or(b.fixed_fee),
                slippage_bps: over.slippage_bps.unwrap_or(b.slippage_bps),
            },
            financing: Financing {
                allow_short: false,
                borrow_fee_rate: b.borrow_fee_rate,
                cash_rate: b.cash_rate,
                max_gross_exposure: b.max_gross_exposure,
            },
            delisting_return: over.delisting_return.unwrap_or(b.delisting_return),
            dividend_tax: over.dividend_tax.unwrap_or(b.dividend_tax),
            reinvest_dividends: over.reinvest_dividends.unwrap_or(b.reinvest_dividends),
            liquidity: crate::strategy::costs::liquidity(
                b.impact.as_ref(),
                b.participation.as_ref(),
                b.spread_file.as_ref(),
                b.borrow_file.as_ref(),
                base,
                path,
            )?,
        };
        let prices = over.prices.unwrap_or(self.data.prices);
        // A setting given on the command line has no place in the file to point at.
        let overridden = over.initial_cash.is_some()
            || over.execution.is_some()
            || over.commission_bps.is_some()
            || over.fixed_fee.is_some()
            || over.slippage_bps.is_some();
        config.validate().map_err(|e| {
            invalid(
                if overridden {
                    "backtest (or the command line)"
                } else {
                    "backtest"
                },
                e.to_string(),
            )
        })?;
        let risk_free_rate = over.risk_free_rate.unwrap_or(b.risk_free_rate);
        if !(risk_free_rate.is_finite() && risk_free_rate > -1.0) {
            return Err(invalid(
                "backtest.risk_free_rate",
                format!("must be a finite annual rate above -1, got {risk_free_rate}"),
            ));
        }
        let mut read = ReadOptions {
            layout: over.layout.unwrap_or(self.data.layout),
            price_column: self.data.price_column.clone(),
            tickers: over.tickers.clone().or_else(|| self.data.tickers.clone()),
            from: over.from.or(self.data.from.map(|d| d.0)),
            to: over.to.or(self.data.to.map(|d| d.0)),
            membership: self
                .data
                .universe
                .as_ref()
                .map(|u| base.join(&u.membership)),
            prices,
            fields: None,
            cache: over.cache.clone(),
        };
        if prices == PriceBasis::Raw {
            if let Some(c) = self
                .data
                .price_column
                .as_ref()
                .filter(|c| !c.eq_ignore_ascii_case("close"))
            {
                return Err(invalid(
                    "data.price_column",
                    format!(
                        "`{c}` cannot be traded with prices = \"raw\", which trades the raw \
                         `close`; remove price_column or set prices = \"adjusted\""
                    ),
                ));
            }
        } else if config.dividend_tax != 0.0 || config.reinvest_dividends {
            return Err(invalid(
                "backtest",
                "dividend_tax and reinvest_dividends apply to prices = \"raw\" only (adjusted \
                 prices already hold the dividends, reinvested and untaxed)"
                    .into(),
            ));
        }
        if let Some(t) = &read.tickers {
            if t.is_empty() {
                return Err(invalid("data.tickers", "the list is empty".into()));
            }
        }
        let limit = over.ffill_limit.or(self.data.ffill_limit);
        // The kind last: it may read files.
        let mut planning = Planning::new(base, files, risk_free_rate);
        let strategy = self.strategy.plan(&mut planning).map_err(|e| match e {
            crate::Error::Param(p) => invalid(&p.key, p.message),
            other => SpecError::File {
                path: path.to_path_buf(),
                error: Box::new(other),
            },
        })?;
        let declared = planning.declared;
        if prices == PriceBasis::Raw && !declared.raw_prices_ok {
            // Signals (momentum, volatility, covariances, price ratios) read the price
            // history, where a raw split is a crash that never happened.
            return Err(invalid(
                "data.prices",
                format!(
                    "prices = \"raw\" works with buy_and_hold and index only (of the built-in \
                     kinds): kind `{}` computes its signals from past prices, in which a raw \
                     split looks like a crash; use prices = \"adjusted\"",
                    self.strategy.kind()
                ),
            ));
        }
        config.financing.allow_short = declared.allow_short;
        // The columns of a long file the run reads beside the price: `open` and `close` to
        // fill at the next open, and what the kind asked for (raw prices add `split` and
        // `dividend` themselves).
        read.fields = (!declared.all_fields).then(|| {
            let mut fields: Vec<String> = match config.execution {
                Execution::NextOpen => vec!["open".into(), "close".into()],
                _ => Vec::new(),
            };
            if config.liquidity.needs_volume() {
                fields.push("volume".into());
            }
            for f in declared.fields {
                if !fields.contains(&f) {
                    fields.push(f);
                }
            }
            fields
        });
        Ok(RunPlan {
            name: self.name.clone(),
            text: self.text.clone(),
            source: path.to_path_buf(),
            data: over
                .data
                .clone()
                .unwrap_or_else(|| base.join(&self.data.path)),
            read,
            missing: over.missing.unwrap_or(self.data.missing).policy(limit),
            benchmark,
            config,
            risk_free_rate,
            metrics_from: over.metrics_from.unwrap_or(b.metrics_from),
            strategy,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::error::key_position;
    use super::*;
    use crate::strategy::{BuyAndHoldSpec, WeightsSpec};

    const GOOD: &str = r#"
name = "t"
[data]
path = "p.csv"
from = 2010-01-04
to = "2011-01-04"
[strategy]
kind = "buy_and_hold"
weights = { A = 0.5, B = 0.5 }
"#;

    #[test]
    fn parses_dates_in_both_forms_and_weights() {
        let f = StrategyFile::parse(GOOD, "t.toml".as_ref()).unwrap();
        assert_eq!(f.data.from.unwrap().0.to_string(), "2010-01-04");
        assert_eq!(f.data.to.unwrap().0.to_string(), "2011-01-04");
        assert!(matches!(
            f.strategy.params::<BuyAndHoldSpec>(),
            Some(BuyAndHoldSpec { weights: WeightsSpec::Given(w) }) if w.len() == 2
        ));
    }

    #[test]
    fn unknown_keys_and_kinds_are_rejected_with_a_position() {
        let bad = GOOD.replace("weights =", "wieghts =");
        let e = StrategyFile::parse(&bad, "t.toml".as_ref()).unwrap_err();
        assert!(e.to_string().contains("wieghts"), "{e}");
        let bad = GOOD.replace("buy_and_hold", "buy_and_sell");
        let e = StrategyFile::parse(&bad, "t.toml".as_ref()).unwrap_err();
        assert!(matches!(e, SpecError::Parse { .. }), "{e}");
        assert!(e.to_string().contains("buy_and_sell"), "{e}");
        let bad = GOOD.replace("[data]", "[data]\npaht = 1");
        let e = StrategyFile::parse(&bad, "t.toml".as_ref()).unwrap_err();
        assert!(e.to_string().contains("line 4"), "{e}");
    }

    #[test]
    fn the_files_a_kind_names_are_read_when_planning_not_when_building() {
        let text = GOOD.replace(
            "kind = \"buy_and_hold\"\nweights = { A = 0.5, B = 0.5 }",
            "kind = \"index\"\nweighting = \"cap\"\nshares = \"no_such_shares.csv\"\nrebalance = { calendar = \"monthly\" }",
        );
        let f = StrategyFile::parse(&text, "dir/t.toml".as_ref()).unwrap();
        let e = f
            .plan("dir/t.toml".as_ref(), &Overrides::default())
            .unwrap_err();
        assert!(matches!(e, SpecError::File { .. }), "{e}");
        let e = e.to_string();
        assert!(e.starts_with("dir/t.toml: "), "{e}");
        assert!(e.contains("dir/no_such_shares.csv"), "{e}");
    }

    #[test]
    fn a_plan_asks_only_for_the_columns_its_run_reads() {
        let f = StrategyFile::parse(GOOD, "t.toml".as_ref()).unwrap();
        let plan = |over: &Overrides| f.plan("t.toml".as_ref(), over).unwrap().read.fields;
        assert_eq!(plan(&Overrides::default()), Some(vec![]));
        let next_open = Overrides {
            execution: Some(Execution::NextOpen),
            ..Default::default()
        };
        assert_eq!(
            plan(&next_open),
            Some(vec!["open".to_string(), "close".to_string()])
        );
        // A rating's indicators may read `volume` and `close`: it keeps every column.
        let path = "strategies/rating_normal.toml".as_ref();
        let rating = StrategyFile::load(path).unwrap();
        assert!(
            rating
                .strategy
                .params::<crate::strategy::RatingParams>()
                .is_some()
        );
        assert_eq!(
            rating
                .plan(path, &Overrides::default())
                .unwrap()
                .read
                .fields,
            None
        );
    }

    const MV: &str = r#"name = "mv"
[data]
path = "p.csv"
[strategy]
kind = "mean_variance"
objective = "min_variance"
bounds = [0.0, 0.5]
covariance = { method = "ewm", span = 180 }
rebalance = { calendar = "monthly" }
"#;

    fn plan_error(text: &str) -> String {
        let f = StrategyFile::parse(text, "mv.toml".as_ref()).unwrap();
        f.plan("mv.toml".as_ref(), &Overrides::default())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn ewm_spans_are_checked_when_planning_with_the_key_and_its_position() {
        let f = StrategyFile::parse(MV, "mv.toml".as_ref()).unwrap();
        assert!(f.plan("mv.toml".as_ref(), &Overrides::default()).is_ok());
        for bad in ["0", "-1", "nan", "inf", "0.5"] {
            let e = plan_error(&MV.replace("span = 180", &format!("span = {bad}")));
            assert!(
                e.starts_with("mv.toml, line 8, column 32: `strategy.covariance.span`: must be"),
                "{e}"
            );
        }
        let text = MV.replace(
            "covariance = ",
            "returns = { method = \"ewm\", span = 0 }\ncovariance = ",
        );
        let e = plan_error(&text);
        assert!(
            e.starts_with("mv.toml, line 8, column 29: `strategy.returns.span`"),
            "{e}"
        );
        // A dotted table header is found as well.
        let text = MV.replace("covariance = { method = \"ewm\", span = 180 }\n", "")
            + "[strategy.covariance]\nmethod = \"ewm\"\nspan = 0\n";
        let e = plan_error(&text);
        assert!(
            e.starts_with("mv.toml, line 11, column 1: `strategy.covariance.span`"),
            "{e}"
        );
    }

    #[test]
    fn a_market_neutral_book_needs_a_negative_lower_bound() {
        let text = MV.replace(
            "bounds = [0.0, 0.5]",
            "bounds = [0.0, 0.5]\nmarket_neutral = true",
        );
        let e = plan_error(&text);
        assert!(
            e.starts_with("mv.toml, line 8, column 1: `strategy.market_neutral`: a market-neutral book needs a negative lower bound"),
            "{e}"
        );
        let text = MV.replace(
            "bounds = [0.0, 0.5]",
            "bounds = [-0.5, 0.5]\nmarket_neutral = true",
        );
        let f = StrategyFile::parse(&text, "mv.toml".as_ref()).unwrap();
        assert!(f.plan("mv.toml".as_ref(), &Overrides::default()).is_ok());
    }

    #[test]
    fn value_errors_point_at_the_key_unless_the_command_line_set_it() {
        let text = GOOD.replace("[strategy]", "[backtest]\ninitial_cash = 1e308\n[strategy]");
        let f = StrategyFile::parse(&text, "t.toml".as_ref()).unwrap();
        let e = f
            .plan("t.toml".as_ref(), &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("t.toml, line 7, column 2: `backtest`: "),
            "{e}"
        );
        assert!(e.ends_with("must be at most 1e15, got 1e308 and 0"), "{e}");
        let over = Overrides {
            initial_cash: Some(1e300),
            ..Default::default()
        };
        let e = f.plan("t.toml".as_ref(), &over).unwrap_err().to_string();
        assert!(
            e.starts_with("t.toml: `backtest (or the command line)`: "),
            "{e}"
        );
        // A key the text does not hold is left without a position.
        let e = SpecError::Invalid {
            path: "t.toml".into(),
            key: "sweep.metric".into(),
            message: "m".into(),
        };
        assert_eq!(e.locate(GOOD).to_string(), "t.toml: `sweep.metric`: m");
        assert_eq!(key_position(GOOD, "strategy.weights.B"), Some((9, 22)));
        assert_eq!(key_position("a = [1, { b = 2 }]", "a.1.b"), Some((1, 11)));
    }

    #[test]
    fn overrides_win_and_paths_are_relative_to_the_file() {
        let f = StrategyFile::parse(GOOD, "dir/t.toml".as_ref()).unwrap();
        let plan = f
            .plan("dir/t.toml".as_ref(), &Overrides::default())
            .unwrap();
        assert_eq!(plan.data, PathBuf::from("dir/p.csv"));
        let over = Overrides {
            data: Some("q.csv".into()),
            commission_bps: Some(3.0),
            ..Default::default()
        };
        let plan = f.plan("dir/t.toml".as_ref(), &over).unwrap();
        assert_eq!(plan.data, PathBuf::from("q.csv"));
        assert_eq!(plan.config.costs.commission_bps, 3.0);
        let over = Overrides {
            initial_cash: Some(-1.0),
            ..Default::default()
        };
        assert!(f.plan("dir/t.toml".as_ref(), &over).is_err());
    }
}
