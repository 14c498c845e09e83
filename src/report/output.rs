//! Writing results to disk without ever losing a file: names made safe, every file written to a
//! temporary place, synced, and renamed into place only when the whole output is complete.
//!
//! A `--out` folder receives a *set* of run folders. The set is written into a staging folder
//! `DIR/.folio-staging-<pid>-<nonce>/` first; only when every file of every run is written and
//! synced does folio mark the staging folder complete and swap the runs in, one rename each
//! (an earlier run's folder of the same name is moved aside into the staging folder, and
//! deleted only once the whole new set is in place). A failure before the swap leaves the
//! old results untouched and removes the staging folder; a failure during the swap puts the
//! old folders back. A process killed part-way leaves its staging folder behind: the next
//! folio that writes to the same folder finds it (its process is gone), finishes the swap if
//! the set was complete, and otherwise deletes the unfinished set.
//!
//! folio replaces only folders it wrote itself: each run folder holds a `.folio-run` file that
//! lists its files, and a folder of the same name with anything else in it stops the write
//! before it starts.

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// Marks a run folder as folio's and lists the files folio wrote in it, one per line.
const MARKER: &str = ".folio-run";
/// In a staging folder: the set is complete and synced; lists its run folders, one per line.
const COMPLETE: &str = ".complete";
/// Staging folders are named `.folio-staging-<pid>-<nonce>`.
const STAGING: &str = ".folio-staging-";
/// Inside a staging folder, the earlier results moved aside during the swap.
const OLD: &str = ".old";
/// Files of run folders written before the `.folio-run` marker existed.
const LEGACY: &[&str] = &[
    "returns.csv",
    "weights.csv",
    "trades.csv",
    "metrics.json",
    "report.json",
    "ratings.csv",
    "round_trips.csv",
    "signal.csv",
    "optimisations.csv",
];

/// A name made safe to use as one path component: letters, digits, `-`, `_` and `.` kept,
/// anything else (separators, control characters, spaces, …) replaced by `_`, leading dots
/// removed (no `.`, `..` or hidden names), at most 100 characters, `fallback` when nothing is
/// left.
///
/// ```
/// use folio::report::safe_name;
/// assert_eq!(safe_name("..", "run"), "run");
/// assert_eq!(safe_name("../../etc/passwd", "run"), "_.._etc_passwd");
/// assert_eq!(safe_name("momentum top 20", "run"), "momentum_top_20");
/// assert_eq!(safe_name("a\u{7}b", "run"), "a_b");
/// ```
pub fn safe_name(name: &str, fallback: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let trimmed: String = cleaned.trim_start_matches('.').chars().take(100).collect();
    if trimmed.is_empty() || trimmed.chars().all(|c| c == '.') {
        fallback.to_string()
    } else {
        trimmed
    }
}

/// How the output reaches the disk; [`Disk`] in folio, a failing one in tests.
pub(crate) trait Fs {
    /// Creates (or truncates) `path` with `bytes` and syncs it.
    fn write(&mut self, path: &Path, bytes: &[u8]) -> io::Result<()>;
    /// Renames `from` to `to`.
    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()>;
}

/// The real file system, with every file synced before it counts as written.
pub(crate) struct Disk;

impl Fs for Disk {
    fn write(&mut self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let mut f = std::fs::File::create(path)?;
        f.write_all(bytes)?;
        f.sync_all()
    }

    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }
}

/// Syncs a folder, so the names created or renamed in it are on disk.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Writes `contents` to `path` through a synced temporary file in the same folder renamed
/// into place, so a reader never sees half a file and an old file stays whole until then.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("report.html");
/// folio::report::write_file(&path, "<!DOCTYPE html>").unwrap();
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), "<!DOCTYPE html>");
/// ```
pub fn write_file(path: &Path, contents: impl AsRef<[u8]>) -> io::Result<()> {
    write_file_with(path, |f| f.write_all(contents.as_ref()))
}

/// Like [`write_file`], with the contents produced by `fill` into the temporary file.
pub(crate) fn write_file_with(
    path: &Path,
    fill: impl FnOnce(&mut std::fs::File) -> io::Result<()>,
) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    if path.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "is a folder, not a file",
        ));
    }
    let tmp = path.with_file_name(format!(
        ".{}.tmp-{}-{}",
        name.to_string_lossy(),
        std::process::id(),
        nonce()
    ));
    // Created here (create_new): on any later failure it is this call's own file to remove.
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)?;
    let written = (|| {
        fill(&mut f)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            sync_dir(parent)?;
        }
        Ok(())
    })();
    if written.is_err() {
        drop(f);
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

fn nonce() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// One run folder to write: its (safe) name and its files, name and contents.
#[derive(Debug, Clone)]
pub(crate) struct RunFolder {
    pub(crate) name: String,
    pub(crate) files: Vec<(String, Vec<u8>)>,
}

/// Writes the run folders into `dir` as one set (see the module doc) and returns their paths.
pub(crate) fn write_set(
    dir: &Path,
    runs: &[RunFolder],
    fs: &mut dyn Fs,
) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    recover(dir)?;
    for run in runs {
        check_replaceable(&dir.join(&run.name))?;
    }
    let staging = dir.join(format!("{STAGING}{}-{}", std::process::id(), nonce()));
    std::fs::create_dir(&staging)?;
    let written = stage(&staging, runs, fs).and_then(|()| swap(dir, &staging, runs, fs));
    match written {
        Ok(()) => {
            // The new set is in place: the earlier results moved aside can go, then the
            // (now empty) staging folder.
            let old = staging.join(OLD);
            for run in runs {
                remove_run_folder(&old.join(&run.name));
            }
            let _ = std::fs::remove_dir(&old);
            let _ = std::fs::remove_file(staging.join(COMPLETE));
            let _ = std::fs::remove_dir(&staging);
            Ok(runs.iter().map(|r| dir.join(&r.name)).collect())
        }
        Err(e) => {
            // Nothing of the new set is in place (the swap put the old folders back). Only
            // what this call wrote goes: each staged run's files and marker, the completion
            // mark, then the folders it created if that emptied them; an earlier result an
            // undo could not put back stays in the staging folder rather than being deleted.
            for run in runs {
                let folder = staging.join(&run.name);
                for (name, _) in &run.files {
                    let _ = std::fs::remove_file(folder.join(name));
                }
                let _ = std::fs::remove_file(folder.join(MARKER));
                let _ = std::fs::remove_dir(&folder);
            }
            let _ = std::fs::remove_file(staging.join(COMPLETE));
            let _ = std::fs::remove_dir(staging.join(OLD));
            let _ = std::fs::remove_dir(&staging);
            Err(e)
        }
    }
}

/// Writes every run folder into `staging`, synced, then marks the set complete.
fn stage(staging: &Path, runs: &[RunFolder], fs: &mut dyn Fs) -> io::Result<()> {
    for run in runs {
        let folder = staging.join(&run.name);
        std::fs::create_dir(&folder)?;
        let mut listing = String::new();
        for (name, bytes) in &run.files {
            fs.write(&folder.join(name), bytes)?;
            listing.push_str(name);
            listing.push('\n');
        }
        fs.write(&folder.join(MARKER), listing.as_bytes())?;
        sync_dir(&folder)?;
    }
    let names: String = runs.iter().map(|r| format!("{}\n", r.name)).collect();
    fs.write(&staging.join(COMPLETE), names.as_bytes())?;
    sync_dir(staging)
}

/// Moves each earlier run folder aside and the new one into place; on failure, undoes it.
fn swap(dir: &Path, staging: &Path, runs: &[RunFolder], fs: &mut dyn Fs) -> io::Result<()> {
    let old = staging.join(OLD);
    std::fs::create_dir(&old)?;
    sync_dir(staging)?;
    let mut done = 0;
    let result = (|| {
        for run in runs {
            let target = dir.join(&run.name);
            if target.exists() {
                fs.rename(&target, &old.join(&run.name))?;
            }
            fs.rename(&staging.join(&run.name), &target)?;
            done += 1;
        }
        sync_dir(dir)
    })();
    if result.is_err() {
        // Undo in reverse: the new folder back to staging, the old one back into place.
        for run in runs.iter().take(done + 1).rev() {
            let target = dir.join(&run.name);
            let (new, aside) = (staging.join(&run.name), old.join(&run.name));
            // The new folder left staging only by being renamed to the target.
            if !new.exists() && target.exists() {
                let _ = std::fs::rename(&target, &new);
            }
            if aside.exists() && !target.exists() {
                let _ = std::fs::rename(&aside, &target);
            }
        }
        let _ = sync_dir(dir);
    }
    result
}

/// The files folio wrote in a run folder: its marker's listing, or for a folder written before
/// markers existed, its files if every one has a name folio writes.
fn folio_files(folder: &Path) -> Option<Vec<String>> {
    let entries: Vec<std::fs::DirEntry> = std::fs::read_dir(folder).ok()?.flatten().collect();
    let names: Vec<String> = entries
        .iter()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    let listed: Vec<String> = match std::fs::read_to_string(folder.join(MARKER)) {
        Ok(text) => text.lines().map(str::to_string).collect(),
        Err(_) => names
            .iter()
            .filter(|n| LEGACY.contains(&n.as_str()))
            .cloned()
            .collect(),
    };
    let all_files = entries
        .iter()
        .all(|e| e.file_type().is_ok_and(|t| t.is_file()));
    let only_listed = names.iter().all(|n| n == MARKER || listed.contains(n));
    (all_files && only_listed).then_some(listed)
}

/// Refuses to go on if `target` exists and is not a run folder folio wrote.
fn check_replaceable(target: &Path) -> io::Result<()> {
    if std::fs::symlink_metadata(target).is_err() {
        return Ok(());
    }
    let is_dir = std::fs::symlink_metadata(target).is_ok_and(|m| m.file_type().is_dir());
    if is_dir && folio_files(target).is_some() {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!(
            "{} exists and holds files folio did not write; folio will not replace it \
             (move it away or choose another --out folder)",
            target.display()
        ),
    ))
}

/// Deletes a run folder folio wrote: the files it lists, then the folder if that emptied it.
fn remove_run_folder(folder: &Path) {
    let Some(files) = folio_files(folder) else {
        return;
    };
    for name in files.iter().filter(|n| safe_name(n, "") == **n) {
        let _ = std::fs::remove_file(folder.join(name));
    }
    let _ = std::fs::remove_file(folder.join(MARKER));
    let _ = std::fs::remove_dir(folder);
}

/// Whether process `pid` is still running; `true` when this cannot be known.
fn alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return true;
    }
    pid == std::process::id() || proc.join(pid.to_string()).exists()
}

/// Finishes or removes the staging folders that processes killed part-way left in `dir`.
fn recover(dir: &Path) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)?.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let Some(rest) = name.strip_prefix(STAGING) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if alive(pid) || !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let staging = entry.path();
        if let Ok(list) = std::fs::read_to_string(staging.join(COMPLETE)) {
            // The set was complete: finish its swap, so no run is left missing.
            let old = staging.join(OLD);
            let _ = std::fs::create_dir(&old);
            for run in list.lines().filter(|n| safe_name(n, "") == *n) {
                let (new, target) = (staging.join(run), dir.join(run));
                if new.is_dir() {
                    if target.exists() && !old.join(run).exists() {
                        std::fs::rename(&target, old.join(run))?;
                    }
                    if !target.exists() {
                        std::fs::rename(&new, &target)?;
                    }
                }
                remove_run_folder(&old.join(run));
            }
            sync_dir(dir)?;
        }
        // An unfinished set never reached the folder: its files are folio's own leftovers.
        std::fs::remove_dir_all(&staging)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails the `fail_at`-th operation (writes and renames counted together); with `killed`,
    /// panics there instead, so that no clean-up code runs, as if the process had died.
    struct Failing {
        count: usize,
        fail_at: usize,
        killed: bool,
    }

    impl Failing {
        fn tick(&mut self) -> io::Result<()> {
            self.count += 1;
            if self.count == self.fail_at {
                if self.killed {
                    panic!("killed at operation {}", self.count);
                }
                return Err(io::Error::other("injected failure"));
            }
            Ok(())
        }
    }

    impl Fs for Failing {
        fn write(&mut self, path: &Path, bytes: &[u8]) -> io::Result<()> {
            self.tick()?;
            Disk.write(path, bytes)
        }

        fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
            self.tick()?;
            Disk.rename(from, to)
        }
    }

    fn runs(tag: &str) -> Vec<RunFolder> {
        ["a", "b", "c"]
            .iter()
            .map(|n| RunFolder {
                name: n.to_string(),
                files: vec![
                    (
                        "returns.csv".into(),
                        format!("{tag} {n} returns").into_bytes(),
                    ),
                    (
                        "metrics.json".into(),
                        format!("{tag} {n} metrics").into_bytes(),
                    ),
                ],
            })
            .collect()
    }

    /// The tag every run folder of `dir` holds, or "missing" / "mixed".
    fn state(dir: &Path) -> Vec<String> {
        ["a", "b", "c"]
            .iter()
            .map(|n| {
                let r = std::fs::read_to_string(dir.join(n).join("returns.csv"));
                let m = std::fs::read_to_string(dir.join(n).join("metrics.json"));
                match (r, m) {
                    (Ok(r), Ok(m)) if r.split(' ').next() == m.split(' ').next() => {
                        r.split(' ').next().unwrap().to_string()
                    }
                    (Err(_), Err(_)) => "missing".into(),
                    _ => "mixed".into(),
                }
            })
            .collect()
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n.starts_with('.'))
            .collect()
    }

    /// Operations of one full write of `runs("x")` over an existing set: 3 × (2 files +
    /// marker) + the completion mark, then 3 × 2 renames.
    const OPS: usize = 3 * 3 + 1 + 3 * 2;

    #[test]
    fn a_failure_at_any_write_or_rename_leaves_the_old_results_whole() {
        for fail_at in 1..=OPS {
            let dir = tempfile::tempdir().unwrap();
            write_set(dir.path(), &runs("old"), &mut Disk).unwrap();
            let mut fs = Failing {
                count: 0,
                fail_at,
                killed: false,
            };
            let err = write_set(dir.path(), &runs("new"), &mut fs).unwrap_err();
            assert_eq!(err.to_string(), "injected failure");
            assert_eq!(
                state(dir.path()),
                ["old"; 3],
                "failure at operation {fail_at}"
            );
            assert!(
                leftovers(dir.path()).is_empty(),
                "{:?}",
                leftovers(dir.path())
            );
        }
        // One more operation than the write needs: it succeeds.
        let dir = tempfile::tempdir().unwrap();
        write_set(dir.path(), &runs("old"), &mut Disk).unwrap();
        let mut fs = Failing {
            count: 0,
            fail_at: OPS + 1,
            killed: false,
        };
        write_set(dir.path(), &runs("new"), &mut fs).unwrap();
        assert_eq!(state(dir.path()), ["new"; 3]);
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn a_kill_at_any_point_is_finished_or_undone_by_the_next_write() {
        for fail_at in 1..=OPS {
            let dir = tempfile::tempdir().unwrap();
            write_set(dir.path(), &runs("old"), &mut Disk).unwrap();
            let mut fs = Failing {
                count: 0,
                fail_at,
                killed: true,
            };
            let killed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                write_set(dir.path(), &runs("new"), &mut fs)
            }));
            assert!(
                killed.is_err(),
                "the write was killed at operation {fail_at}"
            );
            // Pretend the staging folder belongs to a dead process, as after a kill -9.
            let dead = u32::MAX - 1;
            for name in leftovers(dir.path()) {
                let rest = name.strip_prefix(STAGING).unwrap();
                let (_, nonce) = rest.split_once('-').unwrap();
                std::fs::rename(
                    dir.path().join(&name),
                    dir.path().join(format!("{STAGING}{dead}-{nonce}")),
                )
                .unwrap();
            }
            // The next write recovers first; before it, no run is half-written.
            recover(dir.path()).unwrap();
            let s = state(dir.path());
            assert!(
                s == ["old"; 3] || s == ["new"; 3],
                "kill at operation {fail_at}: {s:?}"
            );
            assert!(
                leftovers(dir.path()).is_empty(),
                "{:?}",
                leftovers(dir.path())
            );
        }
    }

    #[test]
    fn a_folder_folio_did_not_write_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("b")).unwrap();
        std::fs::write(dir.path().join("b").join("thesis.tex"), "mine").unwrap();
        let err = write_set(dir.path(), &runs("new"), &mut Disk).unwrap_err();
        assert!(err.to_string().contains("folio did not write"), "{err}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("b").join("thesis.tex")).unwrap(),
            "mine"
        );
        assert!(!dir.path().join("a").exists());
        // A file the user added to a folio run folder also stops it.
        let dir = tempfile::tempdir().unwrap();
        write_set(dir.path(), &runs("old"), &mut Disk).unwrap();
        std::fs::write(dir.path().join("c").join("notes.txt"), "mine").unwrap();
        assert!(write_set(dir.path(), &runs("new"), &mut Disk).is_err());
        assert_eq!(state(dir.path()), ["old"; 3]);
    }

    #[test]
    fn stale_staging_of_a_live_process_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let mine = dir
            .path()
            .join(format!("{STAGING}{}-1", std::process::id()));
        std::fs::create_dir(&mine).unwrap();
        recover(dir.path()).unwrap();
        assert!(mine.exists());
    }
}
