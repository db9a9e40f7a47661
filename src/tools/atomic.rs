//! Replacing a file atomically in a directory posthook does not own: a project's `.claude/`
//! (whose content arrives with any `git clone`) or `~/.claude/`.
//!
//! Every step refuses to be redirected by a link someone planted there:
//! - the directory is opened once, and every later step is relative to that descriptor; where
//!   links are not followed (a project's files), a directory that is a link is refused;
//! - the temporary file has an unpredictable name (`.<name>.posthook-<16 random hex>.tmp`) and is
//!   created with `O_CREAT|O_EXCL|O_NOFOLLOW`, mode 0600, so it is always a new file of this
//!   process: a link or a file already at that name makes the open fail instead of writing
//!   through it. Its final mode is set on the descriptor just before the rename;
//! - the rename replaces whatever is at the destination, a link included, and never follows it;
//!   where links are not followed, a destination that is a link is refused before anything is
//!   written;
//! - temporary files left by an earlier run that crashed are removed only when `lstat` shows a
//!   regular file of this naming, owned by this user and older than [`STALE_AFTER`].

use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{self as rfs, AtFlags, Mode, OFlags};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// A temporary file of posthook's naming older than this is a leftover of a crash.
pub(crate) const STALE_AFTER: Duration = Duration::from_secs(600);

/// How a file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WriteOpts {
    /// The new file's mode; `None` keeps the old file's (0644 for a new file).
    pub mode: Option<u32>,
    /// Whether a link at the destination (or its directory) is followed to the file it names:
    /// yes for the user's own `~/.claude/settings.json` (dotfile managers link it), never in a
    /// project's directory.
    pub follow_links: bool,
}

fn random_hex() -> io::Result<String> {
    let mut bytes = [0u8; 8];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// `.<name>.posthook-`: the prefix of posthook's temporary files beside `<name>`.
fn tmp_prefix(name: &str) -> String {
    format!(".{name}.posthook-")
}

/// Whether `entry` is a temporary file name posthook makes beside `name`.
fn is_tmp_name(entry: &str, name: &str) -> bool {
    entry
        .strip_prefix(&tmp_prefix(name))
        .and_then(|r| r.strip_suffix(".tmp"))
        .is_some_and(|mid| !mid.is_empty() && mid.bytes().all(|b| b.is_ascii_alphanumeric()))
}

fn refuse(what: &Path, why: &str) -> io::Error {
    io::Error::other(format!("'{}' {why}", what.display()))
}

/// Where the file really is: `path` itself, or with `follow_links` the file a link there names.
fn destination(path: &Path, follow_links: bool) -> PathBuf {
    if follow_links {
        std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
    } else {
        path.to_path_buf()
    }
}

fn open_dir(dir: &Path, follow_links: bool) -> io::Result<OwnedFd> {
    let mut flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    if !follow_links {
        flags |= OFlags::NOFOLLOW;
    }
    match rfs::open(dir, flags, Mode::empty()) {
        Ok(fd) => Ok(fd),
        Err(rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR) => Err(refuse(
            dir,
            "is a symbolic link or not a directory; posthook does not write through links here",
        )),
        Err(e) => Err(e.into()),
    }
}

/// Replaces the file at `path` with `bytes` (see the module's doc for how).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], opts: WriteOpts) -> io::Result<()> {
    let real = destination(path, opts.follow_links);
    let dir = real.parent().unwrap_or(Path::new("."));
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let name = real
        .file_name()
        .ok_or_else(|| refuse(&real, "names no file"))?
        .to_string_lossy()
        .into_owned();
    let dfd = open_dir(dir, opts.follow_links)?;
    let old_mode = match rfs::statat(&dfd, name.as_str(), AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) if rfs::FileType::from_raw_mode(st.st_mode) == rfs::FileType::Symlink => {
            return Err(refuse(
                &real,
                "is a symbolic link; posthook does not write through links here",
            ));
        }
        Ok(st) if rfs::FileType::from_raw_mode(st.st_mode) != rfs::FileType::RegularFile => {
            return Err(refuse(&real, "is not a regular file"));
        }
        Ok(st) => Some(st.st_mode & 0o7777),
        Err(rustix::io::Errno::NOENT) => None,
        Err(e) => return Err(e.into()),
    };
    remove_stale(&dfd, &name);
    let mode = opts.mode.or(old_mode).unwrap_or(0o644);
    let tmp = format!("{}{}.tmp", tmp_prefix(&name), random_hex()?);
    let fd = rfs::openat(
        &dfd,
        tmp.as_str(),
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )?;
    let written = (|| -> io::Result<()> {
        let mut f = std::fs::File::from(fd);
        f.write_all(bytes)?;
        f.sync_all()?;
        rfs::fchmod(f.as_fd(), Mode::from_raw_mode(mode))?;
        rfs::renameat(&dfd, tmp.as_str(), &dfd, name.as_str())?;
        Ok(())
    })();
    if let Err(e) = written {
        let _ = rfs::unlinkat(&dfd, tmp.as_str(), AtFlags::empty());
        return Err(e);
    }
    let _ = rfs::fsync(&dfd);
    Ok(())
}

/// Removes posthook's temporary files beside `name` left by a run that crashed: only regular
/// files of posthook's naming, this user's, older than [`STALE_AFTER`] (`lstat`, not `stat`: a
/// link of that name is left alone).
fn remove_stale(dfd: &OwnedFd, name: &str) {
    let Ok(dir) = rfs::Dir::read_from(dfd) else {
        return;
    };
    let uid = rustix::process::geteuid().as_raw();
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    for entry in dir.flatten() {
        let entry_name = entry.file_name().to_string_lossy().into_owned();
        if !is_tmp_name(&entry_name, name) {
            continue;
        }
        let Ok(st) = rfs::statat(dfd, entry_name.as_str(), AtFlags::SYMLINK_NOFOLLOW) else {
            continue;
        };
        let age = now.saturating_sub(u64::try_from(st.st_mtime).unwrap_or(u64::MAX));
        if rfs::FileType::from_raw_mode(st.st_mode) == rfs::FileType::RegularFile
            && st.st_uid == uid
            && age >= STALE_AFTER.as_secs()
        {
            let _ = rfs::unlinkat(dfd, entry_name.as_str(), AtFlags::empty());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};

    const PROJECT: WriteOpts = WriteOpts {
        mode: None,
        follow_links: false,
    };

    #[test]
    fn planted_links_leave_their_target_untouched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let claude = dir.path().join(".claude");
        fs::create_dir(&claude).expect("mkdir");
        let victim = dir.path().join("victim");
        fs::write(&victim, b"precious").expect("write");
        fs::set_permissions(&victim, fs::Permissions::from_mode(0o640)).expect("chmod");
        // Links at every name the old code used (one per pid) and at the destination.
        for pid in 0..64u32 {
            let pid = std::process::id().saturating_sub(32) + pid;
            symlink(
                &victim,
                claude.join(format!(".settings.json.posthook-{pid}.tmp")),
            )
            .expect("symlink");
        }
        let settings = claude.join("settings.json");
        symlink(&victim, &settings).expect("symlink");
        let err = write_atomic(&settings, b"{}\n", PROJECT).expect_err("a link is refused");
        assert!(err.to_string().contains("symbolic link"), "{err}");
        // Without the link at the destination, the temp names still do not lead to the victim.
        fs::remove_file(&settings).expect("rm");
        write_atomic(&settings, b"{}\n", PROJECT).expect("write");
        assert_eq!(fs::read(&victim).expect("read"), b"precious");
        let meta = fs::metadata(&victim).expect("meta");
        assert_eq!(meta.permissions().mode() & 0o777, 0o640);
        let meta = fs::symlink_metadata(&settings).expect("meta");
        assert!(meta.is_file(), "settings.json is a plain file");
        assert_eq!(fs::read(&settings).expect("read"), b"{}\n");
        // The planted links are not posthook's temp files: they stay (lstat: not regular files).
        assert!(fs::symlink_metadata(claude.join(format!(
            ".settings.json.posthook-{}.tmp",
            std::process::id()
        )))
        .is_ok());
    }

    #[test]
    fn a_linked_directory_is_refused_in_a_project() {
        let dir = tempfile::tempdir().expect("tempdir");
        let elsewhere = dir.path().join("elsewhere");
        fs::create_dir(&elsewhere).expect("mkdir");
        let claude = dir.path().join(".claude");
        symlink(&elsewhere, &claude).expect("symlink");
        assert!(write_atomic(&claude.join("settings.json"), b"{}", PROJECT).is_err());
        assert!(!elsewhere.join("settings.json").exists());
    }

    #[test]
    fn user_links_are_followed_and_modes_kept_or_set() {
        let dir = tempfile::tempdir().expect("tempdir");
        let real = dir.path().join("dotfiles-settings.json");
        fs::write(&real, b"{}").expect("write");
        fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).expect("chmod");
        let link = dir.path().join("settings.json");
        symlink(&real, &link).expect("symlink");
        let user = WriteOpts {
            mode: None,
            follow_links: true,
        };
        write_atomic(&link, b"{\"a\":1}", user).expect("write");
        assert!(fs::symlink_metadata(&link).expect("meta").is_symlink());
        assert_eq!(fs::read(&real).expect("read"), b"{\"a\":1}");
        assert_eq!(
            fs::metadata(&real).expect("meta").permissions().mode() & 0o777,
            0o640
        );
        let private = WriteOpts {
            mode: Some(0o600),
            follow_links: false,
        };
        let p = dir.path().join("settings.local.json");
        write_atomic(&p, b"{}", private).expect("write");
        assert_eq!(
            fs::metadata(&p).expect("meta").permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn only_stale_regular_temps_of_posthook_are_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fresh = dir.path().join(".s.json.posthook-00aa.tmp");
        let old = dir.path().join(".s.json.posthook-00bb.tmp");
        let other = dir.path().join(".s.json.other.tmp");
        for p in [&fresh, &old, &other] {
            fs::write(p, b"x").expect("write");
        }
        let past = SystemTime::now() - STALE_AFTER - Duration::from_secs(5);
        fs::File::options()
            .write(true)
            .open(&old)
            .and_then(|f| f.set_modified(past))
            .expect("mtime");
        let victim = dir.path().join("victim");
        fs::write(&victim, b"v").expect("write");
        let link = dir.path().join(".s.json.posthook-00cc.tmp");
        symlink(&victim, &link).expect("symlink");
        write_atomic(&dir.path().join("s.json"), b"{}", PROJECT).expect("write");
        assert!(!old.exists(), "a stale temp is removed");
        assert!(fresh.exists(), "a recent one may be another run's");
        assert!(other.exists() && victim.exists());
        assert!(fs::symlink_metadata(&link).is_ok(), "a link is left alone");
        assert_eq!(
            fs::metadata(&victim).expect("m").uid(),
            rustix::process::geteuid().as_raw()
        );
        assert!(is_tmp_name(".s.json.posthook-ab12.tmp", "s.json"));
        assert!(!is_tmp_name(".s.json.posthook-.tmp", "s.json"));
        assert!(!is_tmp_name(".s.json.posthook-a/b.tmp", "s.json"));
    }
}
