//! Sharded sweeps: one grid split into `N` shards run as separate processes (a SLURM array, a
//! Kubernetes Indexed Job, AWS Batch array jobs, a Dask cluster), each writing its variants'
//! results and a [`Manifest`], then merged into the one result a single process gives.
//!
//! **Assignment.** Shard `K` of `N` (0-based, `0 ≤ K < N`) runs the contiguous range of grid
//! indices `⌊K·L/N⌋ .. ⌊(K+1)·L/N⌋` of a grid of `L` variants ([`Shard::range`]). Contiguous
//! ranges rather than a hash of each variant's spec: a shard finds its variants from two
//! multiplications, builds only those from the lazy [`Grid`](super::Grid) (never enumerating
//! the others, so its memory and start-up time depend on its own variants alone, not on `N`
//! or on the grid's size), the sizes of the shards differ by at most one, and the ranges are
//! disjoint and cover `0..L` by construction. The price is that variants of unequal cost are
//! not spread by chance; folio's grid changes its last axis fastest, so each range crosses
//! every value of the inner axes.
//!
//! **Merge.** The shards' manifests must agree (folio version, strategy file, grid, data files)
//! and name every shard of `N` exactly once ([`check`]); only then are the results joined and
//! [`finish`](super::finish)ed: ranking, the best `top` curves, the deflated Sharpe ratio,
//! exactly as [`run_grid`](super::run_grid) computes them in one process. Each shard keeps the
//! curves of its own best `top`, and the best `top` of the whole grid are among those.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Grid;
use crate::strategy::spec::RunPlan;

/// What a shard manifest's `format` says.
pub const MANIFEST_FORMAT: &str = "folio sweep shard 1";

/// Shard `index` of `count` (0-based).
///
/// ```
/// let s: folio::sweep::Shard = "2/7".parse().unwrap();
/// assert_eq!((s.index, s.count), (2, 7));
/// assert_eq!(s.range(100), 28..42);
/// assert!("7/7".parse::<folio::sweep::Shard>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Shard {
    /// Which shard, `0 ≤ index < count`.
    pub index: usize,
    /// How many shards.
    pub count: usize,
}

impl Shard {
    /// A shard, if `index < count`.
    pub fn new(index: usize, count: usize) -> Result<Shard, String> {
        if count == 0 {
            return Err("the number of shards must be at least 1".into());
        }
        if index >= count {
            return Err(format!(
                "shard {index} of {count}: shards are numbered 0 to {} (K/N, 0-based)",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }

    /// The grid indices this shard runs, of a grid of `len` variants: `⌊K·len/N⌋ .. ⌊(K+1)·len/N⌋`.
    pub fn range(&self, len: usize) -> Range<usize> {
        let at = |k: usize| (k as u128 * len as u128 / self.count as u128) as usize;
        at(self.index)..at(self.index + 1)
    }

    /// The shard a scheduler's array job gives this process, from its variables (read through
    /// `var`): `SLURM_ARRAY_TASK_ID` (less `SLURM_ARRAY_TASK_MIN`) of `SLURM_ARRAY_TASK_COUNT`;
    /// `JOB_COMPLETION_INDEX` (a Kubernetes Indexed Job) of `shards`; or
    /// `AWS_BATCH_JOB_ARRAY_INDEX` of `AWS_BATCH_JOB_ARRAY_SIZE` (or `shards`). `None` when
    /// none is set. A count the scheduler gives must agree with `shards`.
    ///
    /// ```
    /// use folio::sweep::Shard;
    /// let env = |k: &str| match k {
    ///     "SLURM_ARRAY_TASK_ID" => Some("4".to_string()),
    ///     "SLURM_ARRAY_TASK_MIN" => Some("1".to_string()),
    ///     "SLURM_ARRAY_TASK_COUNT" => Some("7".to_string()),
    ///     _ => None,
    /// };
    /// assert_eq!(Shard::from_env(env, None).unwrap(), Some(Shard::new(3, 7).unwrap()));
    /// let k8s = |k: &str| (k == "JOB_COMPLETION_INDEX").then(|| "2".to_string());
    /// assert_eq!(Shard::from_env(k8s, Some(3)).unwrap(), Some(Shard::new(2, 3).unwrap()));
    /// assert!(Shard::from_env(k8s, None).unwrap_err().contains("--shards"));
    /// assert_eq!(Shard::from_env(|_| None, Some(3)).unwrap(), None);
    /// ```
    pub fn from_env(
        var: impl Fn(&str) -> Option<String>,
        shards: Option<usize>,
    ) -> Result<Option<Shard>, String> {
        let number = |name: &str| -> Result<Option<usize>, String> {
            match var(name) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| format!("{name}={v}: expected a whole number of at least 0")),
            }
        };
        let count = |given: Option<usize>, name: &str| -> Result<usize, String> {
            match (given, shards) {
                (Some(g), Some(s)) if g != s => Err(format!(
                    "{name}={g} but --shards {s}: the number of shards must agree"
                )),
                (Some(g), _) => Ok(g),
                (None, Some(s)) => Ok(s),
                (None, None) => Err(format!(
                    "{name} is not set: give the number of shards with --shards N"
                )),
            }
        };
        let found = if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
            let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let k = id.checked_sub(min).ok_or_else(|| {
                format!("SLURM_ARRAY_TASK_ID={id} is below SLURM_ARRAY_TASK_MIN={min}")
            })?;
            Some((
                "SLURM_ARRAY_TASK_ID",
                k,
                count(number("SLURM_ARRAY_TASK_COUNT")?, "SLURM_ARRAY_TASK_COUNT")?,
            ))
        } else if let Some(k) = number("JOB_COMPLETION_INDEX")? {
            let n = shards.ok_or_else(|| {
                "JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job): give the job's \
                 completions with --shards N"
                    .to_string()
            })?;
            Some(("JOB_COMPLETION_INDEX", k, n))
        } else if let Some(k) = number("AWS_BATCH_JOB_ARRAY_INDEX")? {
            Some((
                "AWS_BATCH_JOB_ARRAY_INDEX",
                k,
                count(
                    number("AWS_BATCH_JOB_ARRAY_SIZE")?,
                    "AWS_BATCH_JOB_ARRAY_SIZE",
                )?,
            ))
        } else {
            None
        };
        found
            .map(|(name, k, n)| Shard::new(k, n).map_err(|e| format!("{name}: {e}")))
            .transpose()
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("expected K/N (shard K of N, 0 ≤ K < N), found `{s}`");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let k: usize = k.trim().parse().map_err(|_| bad())?;
        let n: usize = n.trim().parse().map_err(|_| bad())?;
        Shard::new(k, n)
    }
}

/// A file and the SHA-256 of its bytes (lower-case hex).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FileHash {
    /// The file, as the strategy file or shard names it.
    pub path: String,
    /// SHA-256 of its contents.
    pub sha256: String,
}

impl FileHash {
    /// Hashes the file at `path`.
    pub fn of(path: &Path) -> std::io::Result<FileHash> {
        Ok(FileHash {
            path: path.display().to_string(),
            sha256: sha256_file(path)?,
        })
    }
}

/// The grid a shard belongs to: its size, how it ranks, and a hash of everything that makes
/// it (the strategy file's table without `[sweep]`, the axes with `--param` values, the
/// command-line overrides).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridId {
    /// Number of variants in the whole grid.
    pub variants: usize,
    /// The figure variants are ranked by.
    pub metric: String,
    /// Curves kept for the best this many.
    pub top: usize,
    /// SHA-256 of the grid's definition.
    pub sha256: String,
}

/// Whether a shard ran to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every variant ran; its results file is complete.
    Complete,
    /// A variant or the results file failed; `error` says what.
    Failed,
}

/// What a shard ran and wrote, as `NAME.shard-K-of-N.json` beside its results
/// (`NAME.shard-K-of-N.parquet`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`MANIFEST_FORMAT`].
    pub format: String,
    /// The folio that ran it.
    pub folio_version: String,
    /// The strategy file.
    pub strategy: FileHash,
    /// Every data file its variants read (prices, membership, benchmark, the strategy's own
    /// files), sorted by path.
    pub data: Vec<FileHash>,
    /// The whole grid.
    pub grid: GridId,
    /// K.
    pub shard: usize,
    /// N.
    pub shards: usize,
    /// The grid indices it ran, `first .. end` (end excluded).
    pub variants: Range<usize>,
    /// Whether it finished.
    pub status: Status,
    /// What went wrong, when it failed.
    pub error: Option<String>,
    /// Its results file (beside the manifest) and the file's hash, when complete.
    pub results: Option<FileHash>,
}

impl Manifest {
    /// The manifest of shard `shard` of `grid` before it runs (status failed until told
    /// otherwise): hashes the strategy file, the grid's definition (with `--param` values and
    /// overrides) and every data file its variants read.
    pub fn new(grid: &Grid, shard: Shard, metric: &str, top: usize) -> crate::Result<Manifest> {
        let range = shard.range(grid.len());
        let io = |path: &Path, e: std::io::Error| -> crate::Error {
            if e.kind() == std::io::ErrorKind::NotFound {
                crate::data::DataError::NotFound {
                    path: path.to_path_buf(),
                }
                .into()
            } else {
                crate::data::DataError::Io {
                    path: path.to_path_buf(),
                    source: e,
                }
                .into()
            }
        };
        let mut files = std::collections::BTreeSet::new();
        for i in range.clone() {
            data_files(&grid.variant(i)?.plan, &mut files);
        }
        let data = files
            .iter()
            .map(|p| FileHash::of(p).map_err(|e| io(p, e)))
            .collect::<crate::Result<Vec<_>>>()?;
        Ok(Manifest {
            format: MANIFEST_FORMAT.into(),
            folio_version: env!("CARGO_PKG_VERSION").into(),
            strategy: FileHash::of(grid.path()).map_err(|e| io(grid.path(), e))?,
            data,
            grid: GridId {
                variants: grid.len(),
                metric: metric.into(),
                top,
                sha256: sha256_hex(grid.definition().as_bytes()),
            },
            shard: shard.index,
            shards: shard.count,
            variants: range,
            status: Status::Failed,
            error: Some("not run yet".into()),
            results: None,
        })
    }

    /// K/N.
    pub fn shard(&self) -> Shard {
        Shard {
            index: self.shard,
            count: self.shards,
        }
    }
}

/// The files a plan reads: prices, membership, benchmark, and any file its strategy names.
fn data_files(plan: &RunPlan, files: &mut std::collections::BTreeSet<PathBuf>) {
    files.insert(plan.data.clone());
    if let Some(m) = &plan.read.membership {
        files.insert(m.clone());
    }
    if let Some(b) = &plan.benchmark {
        files.insert(b.path.clone());
    }
    // The strategy's own files (shares, published weights, factors …), as its plan read them.
    files.extend(plan.strategy.files().iter().cloned());
}

pub use crate::data::{sha256_file, sha256_hex};

/// The first characters of a hash, enough to tell two apart in a message.
fn short(h: &str) -> &str {
    &h[..h.len().min(12)]
}

/// Checks that `manifests` (each with where it was read from) are one complete set: the same
/// folio, strategy file, grid and data files, every shard `0..N` complete and present exactly
/// once. Returns them in shard order, or the first problem in one line.
///
/// ```
/// # use folio::strategy::spec::Overrides;
/// # let extra = vec![folio::sweep::parse_param("backtest.commission_bps=0,20,50").unwrap()];
/// # let grid = folio::sweep::grid("strategies/buy_and_hold.toml".as_ref(), &Overrides::default(), &extra, 10).unwrap();
/// use folio::sweep::{FileHash, Manifest, Shard, Status, check};
/// let done = |k| {
///     let mut m = Manifest::new(&grid, Shard::new(k, 3).unwrap(), "sharpe", 1).unwrap();
///     (m.status, m.error) = (Status::Complete, None);
///     m.results = Some(FileHash { path: format!("s{k}.parquet"), sha256: "…".into() });
///     (format!("s{k}.json"), m)
/// };
/// assert_eq!(check(vec![done(2), done(0), done(1)]).unwrap().len(), 3);
/// let err = check(vec![done(0), done(2)]).unwrap_err();
/// assert!(err.contains("missing shard 1/3"), "{err}");
/// let err = check(vec![done(0), done(1), done(1), done(2)]).unwrap_err();
/// assert!(err.contains("shard 1/3 appears twice"), "{err}");
/// ```
pub fn check<S: AsRef<Path>>(
    mut manifests: Vec<(S, Manifest)>,
) -> Result<Vec<(S, Manifest)>, String> {
    let Some((first_name, first)) = manifests.first() else {
        return Err("no shard manifests to merge (NAME.shard-K-of-N.json)".into());
    };
    let (first_name, first) = (first_name.as_ref().display().to_string(), first.clone());
    for (name, m) in &manifests {
        let name = name.as_ref().display();
        let k = m.shard();
        if m.format != MANIFEST_FORMAT {
            return Err(format!(
                "{name}: format `{}`, expected `{MANIFEST_FORMAT}`",
                m.format
            ));
        }
        if m.status != Status::Complete || m.results.is_none() {
            return Err(format!(
                "shard {k} ({name}) failed: {}; rerun it alone with --shard {k}",
                m.error.as_deref().unwrap_or("no results")
            ));
        }
        if m.folio_version != first.folio_version {
            return Err(format!(
                "shard {k} ({name}) was written by folio {}, shard {} ({first_name}) by folio {}: \
                 rerun every shard with one folio",
                m.folio_version,
                first.shard(),
                first.folio_version
            ));
        }
        if m.shards != first.shards {
            return Err(format!(
                "{name} is shard {k} but {first_name} is shard {}: one sweep has one number of shards",
                first.shard()
            ));
        }
        if m.strategy.sha256 != first.strategy.sha256 {
            return Err(format!(
                "strategy file {} changed between shard {} ({first_name}, sha256 {}…) and shard {k} ({name}, sha256 {}…): \
                 rerun the shards made from the old file",
                m.strategy.path,
                first.shard(),
                short(&first.strategy.sha256),
                short(&m.strategy.sha256)
            ));
        }
        if m.grid != first.grid {
            return Err(format!(
                "shard {k} ({name}) ran another grid than shard {} ({first_name}): \
                 {} vs {} variants, metric {} vs {}, top {} vs {}, or other --param values or overrides",
                first.shard(),
                m.grid.variants,
                first.grid.variants,
                m.grid.metric,
                first.grid.metric,
                m.grid.top,
                first.grid.top
            ));
        }
        if m.variants != k.range(m.grid.variants) {
            return Err(format!(
                "{name}: shard {k} of a {}-variant grid runs variants {:?}, not {:?}",
                m.grid.variants,
                k.range(m.grid.variants),
                m.variants
            ));
        }
    }
    // One hash per data file across the shards.
    let mut seen: BTreeMap<&str, (&str, Shard, &Path)> = BTreeMap::new();
    for (name, m) in &manifests {
        for f in &m.data {
            match seen.get(f.path.as_str()) {
                Some((hash, k, other)) if *hash != f.sha256 => {
                    return Err(format!(
                        "data file {} changed between shard {k} ({}, sha256 {}…) and shard {} ({}, sha256 {}…): \
                         rerun the shards made from the old file",
                        f.path,
                        other.display(),
                        short(hash),
                        m.shard(),
                        name.as_ref().display(),
                        short(&f.sha256)
                    ));
                }
                Some(_) => {}
                None => {
                    seen.insert(&f.path, (&f.sha256, m.shard(), name.as_ref()));
                }
            }
        }
    }
    manifests.sort_by_key(|(_, m)| m.shard);
    for pair in manifests.windows(2) {
        if pair[0].1.shard == pair[1].1.shard {
            return Err(format!(
                "shard {} appears twice: {} and {}; merge each shard once",
                pair[0].1.shard(),
                pair[0].0.as_ref().display(),
                pair[1].0.as_ref().display()
            ));
        }
    }
    // The gaps between the shards present (sorted, each once), walked without counting to N:
    // a manifest may claim any number of shards. At most the first 10 are named.
    let n = first.shards;
    let (mut missing, mut count, mut next) = (Vec::new(), 0usize, 0usize);
    let ends = manifests.iter().map(|(_, m)| m.shard).chain([n]);
    for present in ends {
        let gap = present.saturating_sub(next);
        count += gap;
        missing.extend(
            (next..present)
                .take(10 - missing.len())
                .map(|k| format!("{k}/{n}")),
        );
        next = present.saturating_add(1);
    }
    if count > 0 {
        return Err(format!(
            "missing shard{} {}{} of {n}: run {} with --shard K/N and merge again",
            if count > 1 { "s" } else { "" },
            missing.join(", "),
            if count > missing.len() {
                format!(" and {} more", count - missing.len())
            } else {
                String::new()
            },
            if count > 1 { "them" } else { "it" },
        ));
    }
    Ok(manifests)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The shards of any grid are disjoint, in order, cover every variant, and differ in
        /// size by at most one.
        #[test]
        fn shards_are_disjoint_and_cover_every_variant(len in 0usize..5000, n in 1usize..300) {
            let mut next = 0;
            let (mut smallest, mut largest) = (usize::MAX, 0);
            for k in 0..n {
                let r = Shard::new(k, n).unwrap().range(len);
                prop_assert_eq!(r.start, next);
                prop_assert!(r.start <= r.end);
                next = r.end;
                smallest = smallest.min(r.len());
                largest = largest.max(r.len());
            }
            prop_assert_eq!(next, len);
            prop_assert!(largest - smallest <= 1);
        }

        /// Each variant is in exactly one shard, even for grids too large to list: variants
        /// anywhere, and those on either side of a shard's boundary.
        #[test]
        fn every_variant_has_exactly_one_shard(
            len in 1usize..usize::MAX,
            n in 1usize..10_000,
            pick in any::<u64>(),
            at_boundary in any::<bool>(),
            side in 0usize..2,
        ) {
            let i = if at_boundary {
                let k = (pick % n as u64) as usize;
                let edge = Shard::new(k, n).unwrap().range(len).start;
                (edge + side).saturating_sub(1).min(len - 1)
            } else {
                (pick as u128 * len as u128 / (u64::MAX as u128 + 1)) as usize
            };
            let owners: Vec<usize> = (0..n)
                .filter(|&k| Shard::new(k, n).unwrap().range(len).contains(&i))
                .collect();
            prop_assert_eq!(owners.len(), 1);
        }
    }

    /// Shard `k` of `n` of a 10-variant grid, complete, with one data file.
    fn manifest(k: usize, n: usize) -> (String, Manifest) {
        let hash = |s: &str| FileHash {
            path: s.into(),
            sha256: sha256_hex(s.as_bytes()),
        };
        (
            format!("s{k}.json"),
            Manifest {
                format: MANIFEST_FORMAT.into(),
                folio_version: "1.0.0".into(),
                strategy: hash("sweep.toml"),
                data: vec![hash("prices.csv")],
                grid: GridId {
                    variants: 10,
                    metric: "sharpe".into(),
                    top: 3,
                    sha256: sha256_hex(b"grid"),
                },
                shard: k,
                shards: n,
                variants: Shard::new(k, n).unwrap().range(10),
                status: Status::Complete,
                error: None,
                results: Some(hash("s.parquet")),
            },
        )
    }

    /// Each way a set of shards can be wrong is refused with a line that says which.
    #[test]
    fn check_names_what_does_not_match() {
        let set = || (0..3).map(|k| manifest(k, 3)).collect::<Vec<_>>();
        assert_eq!(check(set()).unwrap().len(), 3);
        let broken = |change: &dyn Fn(&mut Manifest)| {
            let mut s = set();
            change(&mut s[2].1);
            check(s).unwrap_err()
        };
        let e = broken(&|m| m.folio_version = "1.0.1".into());
        assert!(
            e.contains("folio 1.0.1") && e.contains("by folio 1.0.0"),
            "{e}"
        );
        let e = broken(&|m| m.strategy.sha256 = sha256_hex(b"edited"));
        assert!(e.contains("strategy file sweep.toml changed"), "{e}");
        let e = broken(&|m| m.grid.sha256 = sha256_hex(b"other"));
        assert!(e.contains("shard 2/3 (s2.json) ran another grid"), "{e}");
        let e = broken(&|m| m.grid.metric = "cagr".into());
        assert!(
            e.contains("another grid") && e.contains("metric cagr"),
            "{e}"
        );
        let e = broken(&|m| m.variants = 5..10);
        assert!(e.contains("s2.json: shard 2/3"), "{e}");
        let e = broken(&|m| m.data[0].sha256 = sha256_hex(b"new prices"));
        assert!(
            e.contains("data file prices.csv changed between shard 0/3 (s0.json")
                && e.contains("and shard 2/3 (s2.json"),
            "{e}"
        );
        let e = broken(&|m| {
            m.status = Status::Failed;
            m.error = Some("out of memory".into());
            m.results = None;
        });
        assert!(
            e.contains(
                "shard 2/3 (s2.json) failed: out of memory; rerun it alone with --shard 2/3"
            ),
            "{e}"
        );
        let e = broken(&|m| m.format = "something else".into());
        assert!(e.contains("s2.json: format"), "{e}");
        let e = check(vec![manifest(0, 4), manifest(3, 4)]).unwrap_err();
        assert!(e.contains("missing shards 1/4, 2/4 of 4"), "{e}");
        assert!(check(Vec::<(String, Manifest)>::new()).is_err());
        // A manifest claiming a vast number of shards is answered at once.
        let mut huge = manifest(0, 3);
        huge.1.shards = usize::MAX;
        huge.1.variants = 0..0;
        let e = check(vec![huge]).unwrap_err();
        assert!(
            e.contains("missing shards 1/") && e.contains(&format!("and {} more", usize::MAX - 11)),
            "{e}"
        );
    }

    #[test]
    fn a_shard_is_written_k_slash_n_and_refused_out_of_range() {
        assert_eq!("0/1".parse::<Shard>().unwrap(), Shard::new(0, 1).unwrap());
        for bad in ["3", "1/0", "4/4", "-1/3", "a/b", "1/2/3"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!(Shard::new(2, 7).unwrap().to_string(), "2/7");
    }

    #[test]
    fn a_schedulers_count_must_agree_with_shards() {
        let aws = |k: &str| match k {
            "AWS_BATCH_JOB_ARRAY_INDEX" => Some("5".to_string()),
            "AWS_BATCH_JOB_ARRAY_SIZE" => Some("6".to_string()),
            _ => None,
        };
        assert_eq!(
            Shard::from_env(aws, None).unwrap(),
            Some(Shard::new(5, 6).unwrap())
        );
        assert!(Shard::from_env(aws, Some(4)).unwrap_err().contains("agree"));
        let past = |k: &str| match k {
            "SLURM_ARRAY_TASK_ID" => Some("9".to_string()),
            "SLURM_ARRAY_TASK_COUNT" => Some("4".to_string()),
            _ => None,
        };
        assert!(Shard::from_env(past, None).is_err());
        let junk = |k: &str| (k == "JOB_COMPLETION_INDEX").then(|| "x".to_string());
        assert!(
            Shard::from_env(junk, Some(2))
                .unwrap_err()
                .contains("whole number")
        );
    }
}
