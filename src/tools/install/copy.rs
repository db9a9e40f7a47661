//! The executable `install` registers: a copy of the hook in a per-user directory, outside any
//! build tree, so that the next `cargo build` (which replaces `target/release/...` in place) never
//! changes the program a running session calls.
//!
//! The copy is the lean `posthook-hook` when it sits beside the running executable (cargo builds
//! both), else the running executable itself. It lives in
//! `$XDG_DATA_HOME/posthook/bin/<version>-<hash>/` (else `~/.local/share/posthook/bin/...`), one
//! directory per build: the name carries the version and a hash of the bytes, so installing the
//! same build again changes nothing, and a new build gets a new directory, filled under a
//! temporary name and renamed into place in one step. A hook that is running keeps the file it
//! started from; the settings point at the new one only once it is complete. Older copies are
//! kept: another project's settings may still name them.

use posthook_analyzers::fnv1a64;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The lean hook executable's file name.
pub(crate) const LEAN_NAME: &str = "posthook-hook";

/// The executable to copy: `posthook-hook` beside `exe` when it is there, else `exe`.
pub(crate) fn hook_source(exe: &Path) -> PathBuf {
    let lean = exe.with_file_name(LEAN_NAME);
    if lean.is_file() {
        lean
    } else {
        exe.to_path_buf()
    }
}

/// Where copies go: `$XDG_DATA_HOME/posthook/bin`, else `~/.local/share/posthook/bin`.
pub(crate) fn bin_dir(env: &dyn Fn(&str) -> Option<std::ffi::OsString>) -> Option<PathBuf> {
    let absolute = |v: std::ffi::OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
    env("XDG_DATA_HOME")
        .and_then(absolute)
        .or_else(|| {
            env("HOME")
                .and_then(absolute)
                .map(|h| h.join(".local/share"))
        })
        .map(|d| d.join("posthook/bin"))
}

/// The path the copy of `source` has (or would have) under `dir`, and its bytes.
pub(crate) fn copy_path(dir: &Path, source: &Path) -> io::Result<(PathBuf, Vec<u8>)> {
    let bytes = fs::read(source)?;
    let name = source
        .file_name()
        .ok_or_else(|| io::Error::other("the executable has no file name"))?;
    let build = format!("{}-{:016x}", env!("CARGO_PKG_VERSION"), fnv1a64(&bytes));
    Ok((dir.join(build).join(name), bytes))
}

/// Puts a copy of `source` under `dir` (see the module's docs) and returns its path. Nothing is
/// written when an identical copy is there already. `dir` and its parent `posthook` directory
/// are created 0755 when missing; an existing one must belong to the user and be writable by
/// nobody else (whoever can write there could change the program every hook call runs).
pub(crate) fn stable_copy(dir: &Path, source: &Path) -> io::Result<PathBuf> {
    let (path, bytes) = copy_path(dir, source)?;
    let build_dir = path.parent().expect("a build directory");
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(dir)?;
    for d in [dir.parent().unwrap_or(dir), dir] {
        trusted(d)?;
    }
    if fs::read(&path).is_ok_and(|have| have == bytes) {
        return Ok(path);
    }
    let tmp = dir.join(format!(".tmp-{}", std::process::id()));
    let _ = fs::remove_dir_all(&tmp);
    fs::DirBuilder::new().mode(0o755).create(&tmp)?;
    let written = (|| {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o755)
            .open(tmp.join(path.file_name().expect("a file name")))?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        // A directory left by an interrupted install of the same build is incomplete: replace it.
        if build_dir.exists() {
            fs::remove_dir_all(build_dir)?;
        }
        fs::rename(&tmp, build_dir)
    })();
    if written.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    written.map(|()| path)
}

/// Refuses a directory another user owns, or that group or others may write to.
fn trusted(dir: &Path) -> io::Result<()> {
    let m = fs::symlink_metadata(dir)?;
    let me = rustix::process::geteuid().as_raw();
    if !m.is_dir() || m.uid() != me || m.mode() & 0o022 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} must be a directory of yours that only you can write to (the hook's program \
                 is kept there)",
                dir.display()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_is_copied_once_and_a_new_build_beside_it() {
        let tmp = tempfile::tempdir().expect("tmp");
        let src = tmp.path().join("posthook-hook");
        fs::write(&src, b"build one").expect("write");
        let dir = tmp.path().join("data/posthook/bin");
        let a = stable_copy(&dir, &src).expect("copied");
        assert_eq!(fs::read(&a).expect("read"), b"build one");
        assert_eq!(fs::metadata(&a).expect("meta").mode() & 0o777, 0o755);
        assert!(a.starts_with(&dir) && a.ends_with("posthook-hook"));
        let mtime = fs::metadata(&a).expect("meta").mtime_nsec();
        assert_eq!(
            stable_copy(&dir, &src).expect("again"),
            a,
            "same build, same path"
        );
        assert_eq!(
            fs::metadata(&a).expect("meta").mtime_nsec(),
            mtime,
            "not rewritten"
        );
        fs::write(&src, b"build two").expect("write");
        let b = stable_copy(&dir, &src).expect("copied");
        assert_ne!(a, b);
        assert_eq!(fs::read(&a).expect("old copy kept"), b"build one");
        let names: Vec<_> = fs::read_dir(&dir).expect("dir").flatten().collect();
        assert_eq!(names.len(), 2, "no temporary left: {names:?}");
    }

    #[test]
    fn a_directory_others_can_write_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().expect("tmp");
        let src = tmp.path().join("posthook-hook");
        fs::write(&src, b"x").expect("write");
        let dir = tmp.path().join("data/posthook/bin");
        fs::create_dir_all(&dir).expect("dir");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).expect("chmod");
        let e = stable_copy(&dir, &src).expect_err("refused");
        assert_eq!(e.kind(), io::ErrorKind::PermissionDenied);
    }

    #[test]
    fn the_data_dir_follows_xdg_then_home() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| std::ffi::OsString::from(v))
            }
        };
        assert_eq!(
            bin_dir(&env(&[("XDG_DATA_HOME", "/x"), ("HOME", "/h")])),
            Some(PathBuf::from("/x/posthook/bin"))
        );
        assert_eq!(
            bin_dir(&env(&[("XDG_DATA_HOME", "rel"), ("HOME", "/h")])),
            Some(PathBuf::from("/h/.local/share/posthook/bin"))
        );
        assert_eq!(bin_dir(&env(&[])), None);
    }
}
