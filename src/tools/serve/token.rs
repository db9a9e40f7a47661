//! The server's per-user token: 32 random bytes as hex, in `<config dir>/posthook/serve.token`,
//! created 0600 (its dir 0700). Every request must carry it (`Authorization: Bearer <token>`):
//! any local process can reach a loopback port, and only the user can read the file.

use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The token file's name inside posthook's config dir.
pub(crate) const FILE_NAME: &str = "serve.token";

/// `$XDG_CONFIG_HOME/posthook/serve.token`, else `~/.config/posthook/serve.token`.
pub(crate) fn default_path(env: &dyn Fn(&str) -> Option<std::ffi::OsString>) -> Option<PathBuf> {
    crate::config::user_config_path(env).map(|p| p.with_file_name(FILE_NAME))
}

fn random_hex() -> io::Result<String> {
    let mut bytes = [0u8; 32];
    fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Reads the token at `path`, creating it when there is none. Refuses a file that others can
/// read or that is not a plain file (a symlink is never followed).
pub(crate) fn load_or_create(path: &Path) -> io::Result<String> {
    if let Some(dir) = path.parent() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
    {
        Ok(mut f) => {
            let token = random_hex()?;
            f.write_all(token.as_bytes())?;
            f.write_all(b"\n")?;
            f.sync_all()?;
            return Ok(token);
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    load(path)
}

/// Reads an existing token (see [`load_or_create`] for what is refused).
pub(crate) fn load(path: &Path) -> io::Result<String> {
    let f = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(io::Error::other(format!(
            "readable by others (mode {:o}); run `chmod 600 {}`",
            meta.permissions().mode() & 0o777,
            path.display()
        )));
    }
    // The token is only as private as its owner.
    let uid = rustix::process::geteuid().as_raw();
    if meta.uid() != uid {
        return Err(io::Error::other(format!(
            "owned by uid {}, not by this user ({uid})",
            meta.uid()
        )));
    }
    let mut s = String::new();
    f.take(4096).read_to_string(&mut s)?;
    let token = s.trim().to_string();
    if token.len() < 32 || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(io::Error::other("not a token (too short or not printable)"));
    }
    Ok(token)
}

/// Compares in time independent of where the two differ.
pub(crate) fn matches(given: &[u8], token: &[u8]) -> bool {
    if given.len() != token.len() {
        return false;
    }
    given
        .iter()
        .zip(token)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_private_and_stable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("cfg/posthook/serve.token");
        let t = load_or_create(&p).expect("create");
        assert_eq!(t.len(), 64);
        assert_eq!(
            fs::metadata(&p).expect("meta").permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(load_or_create(&p).expect("again"), t);
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(load(&p).is_err(), "a token others can read is refused");
    }

    #[test]
    fn compare() {
        assert!(matches(b"abc", b"abc"));
        assert!(!matches(b"abd", b"abc"));
        assert!(!matches(b"ab", b"abc"));
    }
}
