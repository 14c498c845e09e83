//! An optional on-disk cache of read price panels: a second run of the same plan on the same
//! file skips the Parquet/CSV decoding and reads the prepared dense table back.
//!
//! Off unless asked for (`folio run --cache DIR`, or the `FOLIO_CACHE` environment variable).
//! One entry per (source file, plan): the plan is what [`read_panel`](super::read_panel) is
//! asked for — layout, price column, tickers, dates, price basis, fields. An entry holds the
//! [`RawPanel`] (dates, tickers, `f64` matrices) in a small versioned binary format:
//!
//! ```text
//! "FOLIOPNL"  u32 LE format version  u64 LE header length  header (JSON)
//! f64 LE prices (days × tickers, row-major), then each field's matrix in header order
//! SHA-256 of everything before it (32 bytes)
//! ```
//!
//! The header records the source's canonical path, the plan, the SHA-256 of the source's
//! contents and its size, inode, modification and change times. An entry is used only when
//! its checksum, format version, path and plan match and the source is the one it was made
//! from: when the size, inode and times are unchanged (as git's index decides a file is
//! unchanged) the hash is not recomputed; otherwise the source is hashed and compared, so a
//! `touch` or a checkout of the same bytes still hits, and an edit is a miss (the entry is
//! rebuilt from the source). A truncated or corrupt entry, or one whose header names another
//! format version, is rebuilt with a note; an entry is never trusted unverified and a damaged
//! one never panics. The entry's name includes the format version and folio's version, so
//! another release never reads this one's entries (they stay until the folder is removed).
//!
//! Entries are written to a temporary file in the cache folder and renamed into place when
//! complete, so concurrent runs never see a partial entry (the last complete write wins). The
//! cache replaces only its own entries (files that start with its magic bytes) or an empty
//! file, and never deletes a file it did not create (only its own temporary file, after a
//! failed write).

use std::fmt;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::digest::{hex, sha256_file, sha256_hex};
use super::{DataError, Layout, Matrix, RawPanel, ReadOptions};

/// Version of the entry format; an entry of another version is rebuilt.
pub const CACHE_FORMAT: u32 = 1;
const MAGIC: &[u8; 8] = b"FOLIOPNL";
/// Magic, version and header length.
const PREFIX: usize = 8 + 4 + 8;
const CHECKSUM: usize = 32;

/// Where cached panels live, and the notes the cache made (corrupt entries rebuilt, entries
/// that could not be written) for the caller to show.
///
/// ```
/// use folio::data::{read_panel, PanelCache, ReadOptions};
/// let dir = std::env::temp_dir().join(format!("folio-cache-doc-{}", std::process::id()));
/// let cache = PanelCache::new(&dir);
/// let opts = ReadOptions { cache: Some(cache.clone()), ..Default::default() };
/// let first = read_panel("data/spy.csv".as_ref(), &opts).unwrap(); // read, then stored
/// let again = read_panel("data/spy.csv".as_ref(), &opts).unwrap(); // from the cache
/// assert_eq!((cache.hits(), again.prices), (1, first.prices));
/// assert!(cache.take_notes().is_empty());
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
#[derive(Clone)]
pub struct PanelCache {
    dir: PathBuf,
    notes: Arc<Mutex<Vec<String>>>,
    hits: Arc<AtomicUsize>,
}

impl fmt::Debug for PanelCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PanelCache({})", self.dir.display())
    }
}

impl PanelCache {
    /// A cache in `dir` (created when the first entry is written).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        PanelCache {
            dir: dir.into(),
            notes: Arc::default(),
            hits: Arc::default(),
        }
    }

    /// How many reads were answered from the cache (by this value and its clones).
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::Relaxed)
    }

    /// The cache's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The notes made since the last call, oldest first.
    pub fn take_notes(&self) -> Vec<String> {
        std::mem::take(&mut *self.notes.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn note(&self, s: String) {
        self.notes.lock().unwrap_or_else(|e| e.into_inner()).push(s);
    }

    /// The entry file for a source (canonical path) and plan.
    fn entry(&self, source: &str, plan: &str) -> PathBuf {
        // folio's version too: a reader that changed between releases never serves an entry
        // an older one built.
        let key = sha256_hex(
            format!(
                "{CACHE_FORMAT}\0{}\0{source}\0{plan}",
                env!("CARGO_PKG_VERSION")
            )
            .as_bytes(),
        );
        self.dir.join(format!("folio-{}.panel", &key[..32]))
    }
}

/// What identifies a read besides the file: everything of [`ReadOptions`] that shapes the
/// [`RawPanel`] (the membership is applied after the read, the cache is not part of it).
#[derive(Serialize)]
struct Plan<'a> {
    layout: Layout,
    price_column: &'a Option<String>,
    tickers: &'a Option<Vec<String>>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    prices: super::PriceBasis,
    fields: &'a Option<Vec<String>>,
}

fn plan_key(opts: &ReadOptions) -> String {
    serde_json::to_string(&Plan {
        layout: opts.layout,
        price_column: &opts.price_column,
        tickers: &opts.tickers,
        from: opts.from,
        to: opts.to,
        prices: opts.prices,
        fields: &opts.fields,
    })
    .expect("a plan serialises")
}

/// Size, inode and times of a file: when unchanged, so are its contents.
fn fingerprint(path: &Path) -> io::Result<String> {
    let m = fs::metadata(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        Ok(format!(
            "{}:{}:{}:{}.{}:{}.{}",
            m.dev(),
            m.ino(),
            m.size(),
            m.mtime(),
            m.mtime_nsec(),
            m.ctime(),
            m.ctime_nsec()
        ))
    }
    #[cfg(not(unix))]
    {
        Ok(format!("{}:{:?}", m.len(), m.modified()?))
    }
}

/// The header of an entry.
#[derive(Serialize, Deserialize)]
struct Header {
    source: String,
    plan: String,
    fingerprint: String,
    source_sha256: String,
    layout: Layout,
    price_column: String,
    /// Days from the common era (`NaiveDate::num_days_from_ce`).
    dates: Vec<i32>,
    tickers: Vec<String>,
    file_tickers: Vec<String>,
    /// Field names, in the order of their matrices.
    fields: Vec<String>,
    rows_used: usize,
}

/// Reads `path` under `opts` through `cache`: a valid entry when there is one, otherwise
/// `read()`, whose panel is then stored.
pub(super) fn read_through(
    cache: &PanelCache,
    path: &Path,
    opts: &ReadOptions,
    read: impl FnOnce() -> Result<RawPanel, DataError>,
) -> Result<RawPanel, DataError> {
    // A file that cannot be looked at is the reader's to report.
    let (Ok(before), Ok(source)) = (fingerprint(path), fs::canonicalize(path)) else {
        return read();
    };
    let source = source.to_string_lossy().into_owned();
    let plan = plan_key(opts);
    let entry = cache.entry(&source, &plan);
    let mut known_sha = None;
    let mut ours = true;
    match fs::read(&entry) {
        Ok(bytes) if !bytes.is_empty() && !bytes.starts_with(MAGIC) => {
            ours = false;
            cache.note(format!(
                "cache: {} is not a folio cache entry; left alone, the data was read from the \
                 source",
                entry.display()
            ));
        }
        Ok(bytes) => match decode(&bytes) {
            Err(why) => cache.note(format!(
                "cache: entry {} was {why}; rebuilt from {}",
                entry.display(),
                path.display()
            )),
            Ok((h, _)) if h.source != source || h.plan != plan => cache.note(format!(
                "cache: entry {} was made for another file or plan; rebuilt",
                entry.display()
            )),
            Ok((h, panel)) => {
                if h.fingerprint == before {
                    cache.hits.fetch_add(1, Ordering::Relaxed);
                    return Ok(panel(path));
                }
                // Touched, copied back, checked out: the same bytes are still a hit.
                if let Ok(sha) = sha256_file(path) {
                    if sha == h.source_sha256 && fingerprint(path).is_ok_and(|f| f == before) {
                        cache.hits.fetch_add(1, Ordering::Relaxed);
                        let p = panel(path);
                        store(cache, &entry, &source, &plan, &before, &sha, &p);
                        return Ok(p);
                    }
                    known_sha = Some(sha);
                }
            }
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => cache.note(format!(
            "cache: could not read {}: {e}; read from the source",
            entry.display()
        )),
    }
    let panel = read()?;
    if !ours {
        return Ok(panel);
    }
    let sha = match known_sha {
        Some(s) => Ok(s),
        None => sha256_file(path),
    };
    // Store only what is known to come from the bytes hashed: not if the file changed meanwhile.
    if let Ok(sha) = sha {
        if fingerprint(path).is_ok_and(|f| f == before) {
            store(cache, &entry, &source, &plan, &before, &sha, &panel);
        }
    }
    Ok(panel)
}

/// Writes an entry (temporary file, then rename); a failure is a note, not an error.
fn store(
    cache: &PanelCache,
    entry: &Path,
    source: &str,
    plan: &str,
    fingerprint: &str,
    sha: &str,
    panel: &RawPanel,
) {
    let header = Header {
        source: source.to_string(),
        plan: plan.to_string(),
        fingerprint: fingerprint.to_string(),
        source_sha256: sha.to_string(),
        layout: panel.layout,
        price_column: panel.price_column.clone(),
        dates: panel
            .dates
            .iter()
            .map(chrono::Datelike::num_days_from_ce)
            .collect(),
        tickers: panel.tickers.clone(),
        file_tickers: panel.file_tickers.clone(),
        fields: panel.fields.keys().cloned().collect(),
        rows_used: panel.rows_used,
    };
    let bytes = encode(&header, panel);
    if let Err(e) = write_new(&cache.dir, entry, &bytes) {
        cache.note(format!(
            "cache: could not write {}: {e}; the run goes on without it",
            entry.display()
        ));
    }
}

fn encode(header: &Header, panel: &RawPanel) -> Vec<u8> {
    let head = serde_json::to_vec(header).expect("a header serialises");
    let cells: usize = panel.prices.as_slice().len()
        + panel
            .fields
            .values()
            .map(|m| m.as_slice().len())
            .sum::<usize>();
    let mut out = Vec::with_capacity(PREFIX + head.len() + 8 * cells + CHECKSUM);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&CACHE_FORMAT.to_le_bytes());
    out.extend_from_slice(&(head.len() as u64).to_le_bytes());
    out.extend_from_slice(&head);
    for m in std::iter::once(&panel.prices).chain(panel.fields.values()) {
        for v in m.as_slice() {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    let sum = Sha256::digest(&out);
    out.extend_from_slice(&sum);
    out
}

/// A checked entry: its header, and its panel for a given path. The error says what is wrong.
type Decoded = (Header, Box<dyn FnOnce(&Path) -> RawPanel>);

fn decode(bytes: &[u8]) -> Result<Decoded, String> {
    if bytes.len() < PREFIX + CHECKSUM {
        return Err(format!("truncated ({} bytes)", bytes.len()));
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if version != CACHE_FORMAT {
        return Err(format!(
            "written in format {version} (this folio reads {CACHE_FORMAT})"
        ));
    }
    let (body, sum) = bytes.split_at(bytes.len() - CHECKSUM);
    if Sha256::digest(body).as_slice() != sum {
        return Err(format!(
            "corrupt or truncated (checksum {} does not match)",
            &hex(sum)[..12]
        ));
    }
    let head_len = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
    let head_end = usize::try_from(head_len)
        .ok()
        .and_then(|n| n.checked_add(PREFIX))
        .filter(|&e| e <= body.len())
        .ok_or("corrupt (header longer than the entry)")?;
    let header: Header = serde_json::from_slice(&body[PREFIX..head_end])
        .map_err(|e| format!("corrupt (header: {e})"))?;
    let (n_days, n_assets) = (header.dates.len(), header.tickers.len());
    let cells = n_days
        .checked_mul(n_assets)
        .ok_or("corrupt (table size overflows)")?;
    let data = &body[head_end..];
    if Some(data.len()) != cells.checked_mul(8 * (1 + header.fields.len())) {
        return Err(format!(
            "corrupt ({} bytes of numbers for {n_days} days × {n_assets} tickers × {} \
             matrices)",
            data.len(),
            1 + header.fields.len()
        ));
    }
    let dates = header
        .dates
        .iter()
        .map(|&d| NaiveDate::from_num_days_from_ce_opt(d))
        .collect::<Option<Vec<_>>>()
        .ok_or("corrupt (a date out of range)")?;
    let mut matrices = data.chunks_exact((8 * cells).max(1)).map(|chunk| {
        let v = chunk
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
            .collect();
        Matrix::from_rows(n_days, n_assets, v).expect("sized above")
    });
    let empty = || Matrix::from_rows(n_days, n_assets, Vec::new()).expect("an empty table");
    let prices = matrices.next().unwrap_or_else(empty);
    let fields = header
        .fields
        .iter()
        .map(|name| (name.clone(), matrices.next().unwrap_or_else(empty)))
        .collect();
    let (layout, price_column, tickers, file_tickers, rows_used) = (
        header.layout,
        header.price_column.clone(),
        header.tickers.clone(),
        header.file_tickers.clone(),
        header.rows_used,
    );
    let panel = move |path: &Path| RawPanel {
        path: path.to_path_buf(),
        layout,
        price_column,
        dates,
        tickers,
        file_tickers,
        prices,
        fields,
        rows_used,
    };
    Ok((header, Box::new(panel)))
}

/// Writes `bytes` to `entry` through a temporary file of this process in `dir`, renamed into
/// place when complete; an existing file is replaced only if it is a cache entry.
fn write_new(dir: &Path, entry: &Path, bytes: &[u8]) -> io::Result<()> {
    static NONCE: AtomicU64 = AtomicU64::new(0);
    fs::create_dir_all(dir)?;
    // Unique across processes and machines sharing the folder (containers may all be pid 1).
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let tmp = dir.join(format!(
        ".folio-cache-{}-{since_epoch}-{}.tmp",
        std::process::id(),
        NONCE.fetch_add(1, Ordering::Relaxed)
    ));
    // Only a file this call created is removed on failure.
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)?;
    let renamed = f.write_all(bytes).and_then(|()| {
        drop(f);
        if !replaceable(entry) {
            return Err(io::Error::other(
                "a file that is not a cache entry is there",
            ));
        }
        fs::rename(&tmp, entry)
    });
    if renamed.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    renamed
}

/// Whether the file at `entry` may be replaced: absent, empty, or a cache entry.
fn replaceable(entry: &Path) -> bool {
    use std::io::Read as _;
    let Ok(f) = fs::File::open(entry) else {
        return fs::symlink_metadata(entry).is_err();
    };
    let mut head = Vec::with_capacity(MAGIC.len());
    match f.take(MAGIC.len() as u64).read_to_end(&mut head) {
        Ok(0) => true,
        Ok(_) => head == MAGIC,
        Err(_) => false,
    }
}
