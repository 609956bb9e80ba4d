//! Where ivraie's outputs land, and what it leaves behind: nothing half-written,
//! nothing mixed, no temporary file.
//!
//! - A file is written whole or not at all ([`write_atomically`]): to a hidden
//!   temporary name beside it, then renamed into place.
//! - An output directory is either new, or holds an earlier output of the same
//!   command ([`Claim`]), which is then replaced as a whole: everything is
//!   written into a fresh directory beside it ([`Staged`]) that is swapped in at
//!   the end, so a reader sees the old output or the new one, never a blend.
//!   Anything else is refused unless the user says `--force`.
//! - Every temporary name is `.ivraie-<pid>-...` and is registered while it
//!   exists: SIGINT, SIGTERM and SIGHUP remove them all before the process exits
//!   ([`install_signal_cleanup`]), and every error path drops its guard, which
//!   removes its own. A run killed with SIGKILL may leave some; the next command
//!   writing into the same place removes those whose process is gone
//!   ([`clean_stale`]).
//!
//! This module knows nothing of what the files hold.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

mod direct;
pub use direct::FileWriter;

/// Prefix of every temporary file and directory ivraie makes.
pub const TEMP_PREFIX: &str = ".ivraie-";
/// The file in an output directory that says which command wrote it.
pub const MARKER: &str = ".ivraie.json";

/// A file or directory that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}", path.display())]
pub struct WriteError {
    /// The file or directory.
    pub path: PathBuf,
    /// The operating system's error.
    #[source]
    pub source: io::Error,
}

impl From<WriteError> for io::Error {
    fn from(e: WriteError) -> io::Error {
        io::Error::new(e.source.kind(), e)
    }
}

/// What is wrong with the place asked for an output.
#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    /// The path exists and is a file (or something else), not a directory.
    #[error("{} exists and is not a directory: choose another output directory", path.display())]
    NotADirectory {
        /// The path asked for.
        path: PathBuf,
    },
    /// The directory holds something this command did not write, or another
    /// command's (or scenario's) output.
    #[error(
        "{} already holds {what}; choose another output, or add --force to replace it whole \
         (everything in it is deleted)",
        path.display()
    )]
    Occupied {
        /// The path asked for.
        path: PathBuf,
        /// What is there, in words.
        what: String,
    },
    /// A file is there that this command did not write.
    #[error(
        "{} already exists and is not {what}; choose another name, or add --force to replace it",
        path.display()
    )]
    FileExists {
        /// The path asked for.
        path: PathBuf,
        /// What this command writes, in words.
        what: String,
    },
    /// Replacing this directory would delete the directory the command runs in
    /// (or one holding it).
    #[error("{} holds the current directory: it cannot be replaced", path.display())]
    HoldsCwd {
        /// The path asked for.
        path: PathBuf,
    },
    /// The place cannot be written to (read-only, permissions, missing parent...).
    #[error(transparent)]
    Write(#[from] WriteError),
}

// ---------------------------------------------------------------------------
// Temporary names, and their removal on signals

/// The temporaries alive in this process, removed by the signal handler.
fn registry() -> MutexGuard<'static, Vec<PathBuf>> {
    static LIVE: OnceLock<Mutex<Vec<PathBuf>>> = OnceLock::new();
    LIVE.get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// A temporary file or directory: registered for removal on a signal while it
/// lives, removed when dropped unless [`TempGuard::keep`] was called (it was
/// renamed into place).
#[derive(Debug)]
pub struct TempGuard {
    path: Option<PathBuf>,
}

impl TempGuard {
    fn register(path: PathBuf) -> TempGuard {
        registry().push(path.clone());
        TempGuard { path: Some(path) }
    }

    /// The temporary's path.
    pub fn path(&self) -> &Path {
        self.path.as_deref().unwrap_or(Path::new(""))
    }

    /// It no longer exists under this name (renamed, or removed by its owner).
    pub fn keep(mut self) {
        if let Some(p) = self.path.take() {
            registry().retain(|q| *q != p);
        }
    }
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(p) = self.path.take() {
            let mut live = registry();
            remove_any(&p);
            live.retain(|q| *q != p);
        }
    }
}

/// Things to keep before the temporaries go when a run is abandoned: the
/// oversight log of a run being written, moved beside its target.
fn keepers() -> MutexGuard<'static, Vec<(PathBuf, PathBuf)>> {
    static KEEP: OnceLock<Mutex<Vec<(PathBuf, PathBuf)>>> = OnceLock::new();
    KEEP.get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// Asks that, if the run is abandoned ([`abandon`]), the file `from` (inside
/// a temporary) be moved to `to` first.
pub fn keep_on_abandon(from: PathBuf, to: PathBuf) {
    keepers().push((from, to));
}

/// Ends the process after a failure found on another thread (a cluster
/// peer lost): the files asked for by [`keep_on_abandon`] are moved out,
/// every registered temporary is removed, and the process exits with `code`.
pub fn abandon(code: i32) -> ! {
    for (from, to) in keepers().iter() {
        if fs::rename(from, to).is_ok() {
            eprintln!(
                "ivraie: the oversight log as far as it went: {}",
                to.display()
            );
        }
    }
    let live = registry();
    for p in live.iter() {
        remove_any(p);
    }
    std::process::exit(code)
}

fn remove_any(p: &Path) {
    match fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => {
            let _ = fs::remove_dir_all(p);
        }
        Ok(_) => {
            let _ = fs::remove_file(p);
        }
        Err(_) => {}
    }
}

/// A fresh temporary name in `dir`: `.ivraie-<pid>-<what>-<random>`.
fn temp_name(dir: &Path, what: &str) -> PathBuf {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    // Random enough for a name that is also created exclusively.
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNT.fetch_add(1, Ordering::Relaxed));
    let r = h.finish();
    dir.join(format!(
        "{TEMP_PREFIX}{}-{what}-{:012x}",
        std::process::id(),
        r & 0xffff_ffff_ffff
    ))
}

/// What to do on the first SIGINT instead of exiting (a live capture stops
/// reading and writes what it has). Set by whoever can stop cleanly.
static INTERRUPT: OnceLock<Mutex<Option<Box<dyn Fn() + Send>>>> = OnceLock::new();

/// Asks that the first SIGINT call `stop` instead of ending the process (a
/// second one ends it). Replaces an earlier request.
pub fn on_interrupt(stop: impl Fn() + Send + 'static) {
    *INTERRUPT
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner()) = Some(Box::new(stop));
}

/// Installs the handler of SIGINT, SIGTERM and SIGHUP: every registered
/// temporary is removed and the process exits with 128 + the signal's number
/// (130 for SIGINT, 143 for SIGTERM), as shells report it. Call once, early.
#[cfg(unix)]
pub fn install_signal_cleanup() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    let _ = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let mut interrupted = false;
            for sig in signals.forever() {
                if sig == SIGINT && !interrupted {
                    interrupted = true;
                    let hook = INTERRUPT
                        .get_or_init(Default::default)
                        .lock()
                        .unwrap_or_else(|p| p.into_inner());
                    if let Some(stop) = hook.as_ref() {
                        stop();
                        continue;
                    }
                }
                // Holding the registry's lock until the exit: nothing new is
                // registered (and so left behind) after this sweep.
                let live = registry();
                for p in live.iter() {
                    remove_any(p);
                }
                std::process::exit(128 + sig);
            }
        });
}

/// Without Unix signals, nothing to install.
#[cfg(not(unix))]
pub fn install_signal_cleanup() {}

/// Removes the temporaries in `dir` left by ivraie processes that are gone
/// (killed with SIGKILL, or a power cut). Returns how many were removed.
pub fn clean_stale(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let me = std::process::id();
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(TEMP_PREFIX)) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != me && !process_alive(pid) {
            remove_any(&e.path());
            removed += 1;
        }
    }
    removed
}

/// Whether a process of this id exists (on doubt, yes: nothing is removed).
fn process_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(id) = libc::pid_t::try_from(pid) else {
            return true;
        };
        // SAFETY: kill with signal 0 sends nothing; it only checks the process.
        let r = unsafe { libc::kill(id, 0) };
        r == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

// ---------------------------------------------------------------------------
// Files

/// Writes `path` whole: `fill` writes into a temporary file beside it, which is
/// synced and renamed over `path` only if `fill` succeeded. On any error, or a
/// signal, the temporary is removed and `path` is untouched. A large file goes
/// straight to the device ([`FileWriter`]).
pub fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut FileWriter<'_>) -> io::Result<()>,
) -> Result<(), WriteError> {
    let err = |source| WriteError {
        path: path.to_path_buf(),
        source,
    };
    let dir = parent_of(path);
    let guard = TempGuard::register(temp_name(dir, "file"));
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Private to its owner, like the directories ivraie makes.
        options.mode(0o600);
    }
    let file = options.open(guard.path()).map_err(|e| WriteError {
        path: dir.to_path_buf(),
        source: e,
    })?;
    {
        let mut w = FileWriter::new(&file);
        fill(&mut w).map_err(err)?;
        w.flush().map_err(err)?;
    }
    file.sync_data().map_err(err)?;
    drop(file);
    fs::rename(guard.path(), path).map_err(err)?;
    guard.keep();
    Ok(())
}

/// The directory holding `path` (`.` for a bare file name).
pub fn parent_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Checks that a file this command writes may be written at `path`: it is
/// new, or `is_ours` says it is an earlier output of the same command, or
/// `force` is set. `what` names the file's kind for the message ("a capture
/// written by `ivraie generate`").
pub fn claim_file(
    path: &Path,
    what: &str,
    force: bool,
    is_ours: impl FnOnce(&Path) -> bool,
) -> Result<(), PlaceError> {
    let dir = parent_of(path);
    clean_stale(dir);
    match fs::metadata(path) {
        Err(_) => {}
        Ok(m) if m.is_dir() => {
            return Err(PlaceError::FileExists {
                path: path.to_path_buf(),
                what: format!("{what} (it is a directory)"),
            });
        }
        Ok(_) if force || is_ours(path) => {}
        Ok(_) => {
            return Err(PlaceError::FileExists {
                path: path.to_path_buf(),
                what: what.to_string(),
            });
        }
    }
    check_writable(dir)
}

/// Fails at once, before any work, when `dir` cannot receive files.
fn check_writable(dir: &Path) -> Result<(), PlaceError> {
    let probe = TempGuard::register(temp_name(dir, "probe"));
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(probe.path())
        .map_err(|source| WriteError {
            path: dir.to_path_buf(),
            source,
        })?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Directories

/// Who wrote an output directory: the command and what it ran.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Claim {
    /// The command (`run`, `sweep`, `extract`).
    pub command: String,
    /// What it ran, when that matters (the scenario's name); empty otherwise.
    #[serde(default)]
    pub of: String,
}

impl Claim {
    /// An output of `command` on `of`.
    pub fn new(command: &str, of: &str) -> Claim {
        Claim {
            command: command.into(),
            of: of.into(),
        }
    }

    fn describe(&self) -> String {
        if self.of.is_empty() {
            format!("the output of `ivraie {}`", self.command)
        } else {
            format!("the output of `ivraie {}` of {}", self.command, self.of)
        }
    }
}

/// An output directory being written: everything goes into [`Staged::dir`], a
/// fresh private (0700) directory beside the target; [`Staged::commit`] swaps
/// it in. Dropped without a commit, it is removed and the target is untouched.
#[derive(Debug)]
pub struct Staged {
    target: PathBuf,
    guard: TempGuard,
    claim: Claim,
}

impl Staged {
    /// Prepares to write `target` for `claim`: `target` must be missing, an
    /// empty directory, or a directory holding an earlier output with the same
    /// claim; `force` accepts any directory. Fails before any work is done when
    /// the place cannot be written.
    pub fn prepare(target: &Path, claim: Claim, force: bool) -> Result<Staged, PlaceError> {
        let parent = parent_of(target);
        match fs::metadata(target) {
            Ok(m) if !m.is_dir() => {
                return Err(PlaceError::NotADirectory {
                    path: target.to_path_buf(),
                });
            }
            Ok(_) => {
                clean_stale(target);
                if let Some(what) = occupant(target, &claim) {
                    if !force {
                        return Err(PlaceError::Occupied {
                            path: target.to_path_buf(),
                            what,
                        });
                    }
                }
                if holds_cwd(target) {
                    return Err(PlaceError::HoldsCwd {
                        path: target.to_path_buf(),
                    });
                }
            }
            Err(_) => {
                // `-o some-file/out`: say which part is not a directory.
                if let Some(file) = target
                    .ancestors()
                    .skip(1)
                    .find(|a| !a.as_os_str().is_empty() && fs::metadata(a).is_ok())
                    .filter(|a| !a.is_dir())
                {
                    return Err(PlaceError::NotADirectory {
                        path: file.to_path_buf(),
                    });
                }
                fs::create_dir_all(parent).map_err(|source| WriteError {
                    path: parent.to_path_buf(),
                    source,
                })?;
            }
        }
        clean_stale(parent);
        let guard = TempGuard::register(temp_name(parent, "out"));
        make_private_dir(guard.path()).map_err(|source| WriteError {
            path: parent.to_path_buf(),
            source,
        })?;
        Ok(Staged {
            target: target.to_path_buf(),
            guard,
            claim,
        })
    }

    /// Where to write the output's files.
    pub fn dir(&self) -> &Path {
        self.guard.path()
    }

    /// The directory the output will have once committed.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Swaps the finished output in place of the target (and removes what the
    /// target held).
    pub fn commit(self) -> Result<PathBuf, WriteError> {
        let err = |source| WriteError {
            path: self.target.clone(),
            source,
        };
        let marker = serde_json::to_vec_pretty(&self.claim).map_err(io::Error::other);
        write_atomically(&self.dir().join(MARKER), |w| w.write_all(&marker?))?;
        if fs::symlink_metadata(&self.target).is_ok() {
            let target = self.target.clone();
            if exchange(self.dir(), &target).map_err(err)? {
                // The staging name now holds the earlier output: its guard
                // removes it.
                drop(self);
                return Ok(target);
            }
            let old = TempGuard::register(temp_name(parent_of(&target), "old"));
            fs::rename(&target, old.path()).map_err(err)?;
            fs::rename(self.dir(), &target).map_err(err)?;
            self.guard.keep();
            // Dropping `old` removes the earlier output.
            drop(old);
            return Ok(target);
        }
        fs::rename(self.dir(), &self.target).map_err(err)?;
        self.guard.keep();
        Ok(self.target)
    }
}

/// Swaps two directories in one step where the system can (Linux
/// `renameat2(RENAME_EXCHANGE)`); `Ok(false)` where it cannot.
fn exchange(a: &Path, b: &Path) -> io::Result<bool> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;
        let ca = CString::new(a.as_os_str().as_bytes()).map_err(io::Error::other)?;
        let cb = CString::new(b.as_os_str().as_bytes()).map_err(io::Error::other)?;
        // SAFETY: two valid NUL-terminated paths, relative to the working directory.
        let r = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                ca.as_ptr(),
                libc::AT_FDCWD,
                cb.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        };
        if r == 0 {
            return Ok(true);
        }
        let e = io::Error::last_os_error();
        return match e.raw_os_error() {
            Some(libc::EINVAL | libc::ENOSYS | libc::EXDEV) => Ok(false),
            _ => Err(e),
        };
    }
    #[allow(unreachable_code)]
    {
        let _ = (a, b);
        Ok(false)
    }
}

/// What occupies `dir` in the way of `claim`, in words; `None` when it is empty
/// or holds an earlier output with the same claim.
fn occupant(dir: &Path, claim: &Claim) -> Option<String> {
    let names = listing(dir);
    if names.is_empty() {
        return None;
    }
    let theirs = fs::read(dir.join(MARKER))
        .ok()
        .and_then(|b| serde_json::from_slice::<Claim>(&b).ok());
    match theirs {
        Some(c) if c == *claim => None,
        Some(c) => Some(format!("{} ({})", c.describe(), names.join(", "))),
        None => Some(format!(
            "files ivraie did not write there ({})",
            names.join(", ")
        )),
    }
}

/// The first names in `dir` (directories with a trailing `/`), for a message.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            if n == MARKER {
                return None;
            }
            let dir = e.file_type().is_ok_and(|t| t.is_dir());
            Some(if dir { format!("{n}/") } else { n })
        })
        .collect();
    names.sort();
    if names.len() > 6 {
        let more = names.len() - 5;
        names.truncate(5);
        names.push(format!("and {more} more"));
    }
    names
}

/// Whether the working directory is `dir` or inside it.
fn holds_cwd(dir: &Path) -> bool {
    match (fs::canonicalize(dir), std::env::current_dir()) {
        (Ok(d), Ok(cwd)) => cwd.starts_with(d),
        _ => false,
    }
}

/// Creates `dir` (not its parents), private to its owner (0700).
/// A fresh private (0700) temporary directory in `parent`, removed when the
/// guard is dropped or the process is interrupted.
pub fn private_temp_dir(parent: &Path, what: &str) -> io::Result<TempGuard> {
    let guard = TempGuard::register(temp_name(parent, what));
    make_private_dir(guard.path())?;
    Ok(guard)
}

fn make_private_dir(dir: &Path) -> io::Result<()> {
    let mut b = fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Bytes free for an unprivileged user on the file system holding `path` (or
/// its nearest existing ancestor); `None` where the system does not say.
pub fn available_space(path: &Path) -> Option<u64> {
    let mut p = path;
    while fs::metadata(p).is_err() {
        p = match p.parent() {
            Some(q) if q.as_os_str().is_empty() => Path::new("."),
            Some(q) => q,
            None => return None,
        };
    }
    #[cfg(unix)]
    {
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;
        let c = CString::new(p.as_os_str().as_bytes()).ok()?;
        let mut s = std::mem::MaybeUninit::<libc::statvfs>::uninit();
        // SAFETY: a valid path and a buffer of the right type, read only on success.
        let r = unsafe { libc::statvfs(c.as_ptr(), s.as_mut_ptr()) };
        if r != 0 {
            return None;
        }
        // SAFETY: statvfs returned 0, so it filled the buffer.
        let s = unsafe { s.assume_init() };
        Some((s.f_bavail as u64).saturating_mul(s.f_frsize as u64))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_replaced_output_keeps_no_file_of_the_earlier_one() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path().join("R");
        let claim = Claim::new("run", "scenario `a`");
        let s = Staged::prepare(&out, claim.clone(), false).unwrap();
        fs::write(s.dir().join("report.json"), "1").unwrap();
        fs::create_dir(s.dir().join("tables")).unwrap();
        fs::write(s.dir().join("tables/run.csv"), "a").unwrap();
        s.commit().unwrap();
        assert_eq!(names(&out), [MARKER, "report.json", "tables"]);

        // The same claim replaces it whole: `tables/` does not survive.
        let s = Staged::prepare(&out, claim, false).unwrap();
        fs::write(s.dir().join("report.json"), "2").unwrap();
        s.commit().unwrap();
        assert_eq!(names(&out), [MARKER, "report.json"]);
        assert_eq!(fs::read_to_string(out.join("report.json")).unwrap(), "2");
        // Nothing is left beside it.
        assert_eq!(names(t.path()), ["R"]);
    }

    #[test]
    fn another_claim_or_foreign_files_are_refused_without_force() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path().join("R");
        let s = Staged::prepare(&out, Claim::new("run", "scenario `a`"), false).unwrap();
        fs::write(s.dir().join("report.json"), "1").unwrap();
        s.commit().unwrap();
        let e = Staged::prepare(&out, Claim::new("run", "scenario `b`"), false).unwrap_err();
        let m = e.to_string();
        assert!(m.contains("`ivraie run` of scenario `a`"), "{m}");
        assert!(m.contains("report.json") && m.contains("--force"), "{m}");
        // Refused before anything was made.
        assert_eq!(names(t.path()), ["R"]);
        let s = Staged::prepare(&out, Claim::new("run", "scenario `b`"), true).unwrap();
        s.commit().unwrap();
        assert_eq!(names(&out), [MARKER]);

        let foreign = t.path().join("mine");
        fs::create_dir(&foreign).unwrap();
        fs::write(foreign.join("thesis.tex"), "x").unwrap();
        let m = Staged::prepare(&foreign, Claim::new("extract", ""), false)
            .unwrap_err()
            .to_string();
        assert!(
            m.contains("did not write") && m.contains("thesis.tex"),
            "{m}"
        );

        let file = t.path().join("f");
        fs::write(&file, "x").unwrap();
        let m = Staged::prepare(&file, Claim::new("extract", ""), true)
            .unwrap_err()
            .to_string();
        assert!(m.contains("is not a directory"), "{m}");
    }

    #[test]
    fn a_dropped_staging_leaves_nothing() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path().join("R");
        let s = Staged::prepare(&out, Claim::new("extract", ""), false).unwrap();
        fs::write(s.dir().join("flows.jsonl"), "x").unwrap();
        drop(s);
        assert!(names(t.path()).is_empty());
        let e = write_atomically(&t.path().join("f"), |_| Err(io::Error::other("no")));
        assert!(e.is_err());
        assert!(names(t.path()).is_empty());
    }

    #[test]
    fn stale_temporaries_of_dead_processes_are_removed() {
        let t = tempfile::tempdir().unwrap();
        // No process has id 0x7ffffffe (above Linux's pid_max ceiling).
        let dead = t.path().join(format!("{TEMP_PREFIX}2147483646-out-abc"));
        fs::create_dir(&dead).unwrap();
        fs::write(dead.join("x"), "x").unwrap();
        let mine = t
            .path()
            .join(format!("{TEMP_PREFIX}{}-file-abc", std::process::id()));
        fs::write(&mine, "x").unwrap();
        let other = t.path().join(".ivraie-notapid");
        fs::write(&other, "x").unwrap();
        assert_eq!(clean_stale(t.path()), 1);
        assert!(!dead.exists() && mine.exists() && other.exists());
    }

    #[test]
    fn a_read_only_place_fails_before_any_work() {
        let t = tempfile::tempdir().unwrap();
        // Below a file: no directory can be made there, whoever runs this.
        let file = t.path().join("file");
        fs::write(&file, "x").unwrap();
        let e = Staged::prepare(&file.join("out"), Claim::new("extract", ""), false);
        assert!(matches!(e, Err(PlaceError::NotADirectory { .. })), "{e:?}");
        let ro = t.path().join("ro");
        fs::create_dir(&ro).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&ro, fs::Permissions::from_mode(0o500)).unwrap();
            // root writes anywhere: the check means nothing then.
            if fs::write(ro.join("probe"), "x").is_ok() {
                return;
            }
            let e = Staged::prepare(&ro.join("out"), Claim::new("extract", ""), false);
            assert!(matches!(e, Err(PlaceError::Write(_))), "{e:?}");
            let e = claim_file(&ro.join("x.pcap"), "a capture", false, |_| false);
            assert!(matches!(e, Err(PlaceError::Write(_))), "{e:?}");
        }
    }

    #[test]
    fn available_space_is_reported_here() {
        assert!(available_space(Path::new(".")).is_some_and(|b| b > 0));
        assert!(available_space(Path::new("no/such/dir/below")).is_some());
    }
}

/// The first line of a file (at most 256 bytes read, line end trimmed), to
/// recognise an earlier output by its header; `None` if it cannot be read.
pub fn first_line(path: &Path) -> Option<String> {
    use std::io::{BufRead, Read};
    let f = fs::File::open(path).ok()?;
    let mut first = String::new();
    io::BufReader::new(f.take(256)).read_line(&mut first).ok()?;
    Some(first.trim_end().to_string())
}
