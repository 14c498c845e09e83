//! The kinds strategy files can name: a [`Registry`] from `kind = "…"` to a [`StrategyKind`],
//! the built-in kinds registered like any other, and a `[strategy]` table read with it
//! ([`StrategySpec`]) and planned ([`PlannedStrategy`]).

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock};

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, IntoDeserializer, MapAccess};

use super::kind::{Built, Input, Planning, StrategyKind};
use super::{
    ArbitrageKind, BuyAndHoldSpec, IndexKind, MeanVarianceParams, RatingKind, SingleIndexParams,
};
use crate::data::Loaded;
use crate::engine::BacktestConfig;

/// The strategy kinds a strategy file may name, by name.
///
/// ```
/// let r = folio::strategy::Registry::builtin();
/// assert!(r.names().any(|n| n == "mean_variance"));
/// ```
#[derive(Clone)]
pub struct Registry {
    kinds: BTreeMap<String, Arc<dyn Entry>>,
}

static BUILTIN: LazyLock<Registry> = LazyLock::new(|| {
    Registry::empty()
        .with::<BuyAndHoldSpec>("buy_and_hold")
        .with::<IndexKind>("index")
        .with::<RatingKind>("rating")
        .with::<ArbitrageKind>("arbitrage")
        .with::<MeanVarianceParams>("mean_variance")
        .with::<SingleIndexParams>("single_index")
});

impl Registry {
    /// No kind at all.
    pub fn empty() -> Registry {
        Registry {
            kinds: BTreeMap::new(),
        }
    }

    /// folio's own kinds: `buy_and_hold`, `index`, `rating`, `arbitrage`, `mean_variance`
    /// and `single_index`.
    pub fn builtin() -> Registry {
        BUILTIN.clone()
    }

    /// The built-in registry, shared (what the functions without a registry argument use).
    pub(crate) fn builtin_ref() -> &'static Registry {
        &BUILTIN
    }

    /// Adds kind `K` under `name` (lower-case letters, digits and `_`).
    ///
    /// # Panics
    /// When `name` is not such a name or is registered already: both are mistakes in the
    /// program, not in its input.
    pub fn with<K: StrategyKind>(mut self, name: &str) -> Registry {
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "strategy kind `{name}`: a kind's name is lower-case letters, digits and `_`"
        );
        let previous = self
            .kinds
            .insert(name.to_string(), Arc::new(Typed::<K>(PhantomData)));
        assert!(
            previous.is_none(),
            "strategy kind `{name}` is registered twice"
        );
        self
    }

    /// The registered names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.kinds.keys().map(String::as_str)
    }

    fn entry(&self, kind: &str) -> Result<&Arc<dyn Entry>, String> {
        self.kinds.get(kind).ok_or_else(|| {
            format!(
                "unknown strategy kind `{kind}`, expected one of {}",
                self.names()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
    }

    /// Reads the `[strategy]` table of a strategy file's text with the kind it names.
    pub(crate) fn spec_from_text(&self, kind: &str, text: &str) -> Result<StrategySpec, KindError> {
        let entry = self.entry(kind).map_err(KindError::Kind)?;
        let params = entry.params_from_text(text).map_err(KindError::Params)?;
        Ok(StrategySpec {
            kind: kind.to_string(),
            entry: Arc::clone(entry),
            params,
        })
    }

    /// Reads the `[strategy]` table of a strategy file held as a TOML value.
    pub(crate) fn spec_from_value(
        &self,
        kind: &str,
        file: toml::Value,
    ) -> Result<StrategySpec, KindError> {
        let entry = self.entry(kind).map_err(KindError::Kind)?;
        let params = entry.params_from_value(file).map_err(KindError::Params)?;
        Ok(StrategySpec {
            kind: kind.to_string(),
            entry: Arc::clone(entry),
            params,
        })
    }
}

impl Default for Registry {
    fn default() -> Self {
        Registry::builtin()
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

/// Why a `[strategy]` table cannot be read.
#[derive(Debug)]
pub(crate) enum KindError {
    /// The kind is not registered.
    Kind(String),
    /// The parameters do not fit the kind.
    Params(toml::de::Error),
}

/// `[strategy]` as read: the kind and its parameters, not yet checked against data or files.
#[derive(Clone)]
pub struct StrategySpec {
    kind: String,
    entry: Arc<dyn Entry>,
    params: Arc<dyn Any + Send + Sync>,
}

impl StrategySpec {
    /// The `kind` as written in files.
    ///
    /// ```
    /// let f = folio::strategy::spec::StrategyFile::load("strategies/index_equal_annual.toml".as_ref()).unwrap();
    /// assert_eq!(f.strategy.kind(), "index");
    /// ```
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The parameters, if they are a `P`.
    ///
    /// ```
    /// use folio::strategy::{BuyAndHoldSpec, WeightsSpec};
    /// let f = folio::strategy::spec::StrategyFile::load("strategies/buy_and_hold.toml".as_ref()).unwrap();
    /// assert!(f.strategy.params::<BuyAndHoldSpec>().is_some());
    /// ```
    pub fn params<P: Any>(&self) -> Option<&P> {
        self.params.downcast_ref()
    }

    /// Checks the parameters, reads the files they name and declares what the runs need.
    pub(crate) fn plan(&self, planning: &mut Planning<'_>) -> crate::Result<PlannedStrategy> {
        let planned = self.entry.plan(&*self.params, planning)?;
        Ok(PlannedStrategy {
            kind: self.kind.clone(),
            planned,
            files: planning.files_read(),
        })
    }
}

impl fmt::Debug for StrategySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StrategySpec")
            .field("kind", &self.kind)
            .field("params", &DebugParams(self))
            .finish()
    }
}

struct DebugParams<'a>(&'a StrategySpec);

impl fmt::Debug for DebugParams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.entry.debug(&*self.0.params, f)
    }
}

/// A kind planned for a run: parameters checked, files read; built afresh for each run.
#[derive(Clone)]
pub struct PlannedStrategy {
    kind: String,
    planned: Arc<dyn Build>,
    files: Vec<PathBuf>,
}

impl PlannedStrategy {
    /// The `kind` as written in files.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The files its plan read (shares, published weights, factors, FX …), resolved.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// A fresh strategy for loaded data (and the benchmark's prices on its calendar). Reads
    /// no file: the plan read them.
    ///
    /// ```
    /// use folio::data::load;
    /// use folio::strategy::spec::{Overrides, StrategyFile};
    /// let path = std::path::Path::new("strategies/buy_and_hold.toml");
    /// let plan = StrategyFile::load(path).unwrap().plan(path, &Overrides::default()).unwrap();
    /// let loaded = load(&plan.data, &plan.read, plan.missing).unwrap();
    /// let built = plan.strategy.build(&loaded, None, &plan.config).unwrap();
    /// assert!(built.ideal_returns.is_none());
    /// ```
    pub fn build(
        &self,
        loaded: &Loaded,
        benchmark: Option<&[f64]>,
        config: &BacktestConfig,
    ) -> crate::Result<Built> {
        self.planned.build(&Input {
            loaded,
            benchmark,
            config,
        })
    }
}

impl fmt::Debug for PlannedStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlannedStrategy")
            .field("kind", &self.kind)
            .field("planned", &self.planned)
            .finish()
    }
}

/// A planned kind, behind a pointer.
trait Build: fmt::Debug + Send + Sync {
    fn build(&self, input: &Input<'_>) -> crate::Result<Built>;
}

impl<K: StrategyKind> Build for K {
    fn build(&self, input: &Input<'_>) -> crate::Result<Built> {
        StrategyKind::build(self, input)
    }
}

/// A registered kind, behind a pointer.
trait Entry: Send + Sync {
    fn params_from_text(&self, text: &str) -> Result<Arc<dyn Any + Send + Sync>, toml::de::Error>;
    fn params_from_value(
        &self,
        file: toml::Value,
    ) -> Result<Arc<dyn Any + Send + Sync>, toml::de::Error>;
    fn plan(
        &self,
        params: &(dyn Any + Send + Sync),
        planning: &mut Planning<'_>,
    ) -> crate::Result<Arc<dyn Build>>;
    fn debug(&self, params: &(dyn Any + Send + Sync), f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

struct Typed<K>(PhantomData<fn() -> K>);

impl<K: StrategyKind> Entry for Typed<K> {
    fn params_from_text(&self, text: &str) -> Result<Arc<dyn Any + Send + Sync>, toml::de::Error> {
        let file: InFile<K::Params> = toml::from_str(text)?;
        Ok(Arc::new(file.strategy.0))
    }

    fn params_from_value(
        &self,
        file: toml::Value,
    ) -> Result<Arc<dyn Any + Send + Sync>, toml::de::Error> {
        let file: InFile<K::Params> = file.try_into()?;
        Ok(Arc::new(file.strategy.0))
    }

    fn plan(
        &self,
        params: &(dyn Any + Send + Sync),
        planning: &mut Planning<'_>,
    ) -> crate::Result<Arc<dyn Build>> {
        let params = params
            .downcast_ref::<K::Params>()
            .expect("parameters read by the same entry")
            .clone();
        Ok(Arc::new(K::plan(params, planning)?))
    }

    fn debug(&self, params: &(dyn Any + Send + Sync), f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match params.downcast_ref::<K::Params>() {
            Some(p) => fmt::Debug::fmt(p, f),
            None => f.write_str("?"),
        }
    }
}

/// A strategy file seen only for its `[strategy]` table.
#[derive(Deserialize)]
#[serde(bound = "P: serde::de::DeserializeOwned")]
struct InFile<P> {
    strategy: WithoutKind<P>,
}

/// A table read as `P` with its `kind` key left out.
struct WithoutKind<P>(P);

impl<'de, P: serde::de::DeserializeOwned> Deserialize<'de> for WithoutKind<P> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Seed<P>(PhantomData<P>);
        impl<'de, P: serde::de::DeserializeOwned> de::Visitor<'de> for Seed<P> {
            type Value = P;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table of the strategy's parameters")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<P, A::Error> {
                P::deserialize(de::value::MapAccessDeserializer::new(SkipKind(map)))
            }
        }
        d.deserialize_map(Seed(PhantomData)).map(WithoutKind)
    }
}

/// A map without its `kind` entry.
struct SkipKind<A>(A);

impl<'de, A: MapAccess<'de>> MapAccess<'de> for SkipKind<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        while let Some(key) = self.0.next_key::<String>()? {
            if key == "kind" {
                self.0.next_value::<IgnoredAny>()?;
                continue;
            }
            return seed.deserialize(key.into_deserializer()).map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.0.next_value_seed(seed)
    }
}
