//! This process's side: the state dir it would write (writable, private, what it holds) and the
//! configuration it resolved.

use super::{fail, pass, warn, Check};
use crate::config::{self, Resolved};
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;

pub(super) fn state_dir_check(dir: Option<&Path>) -> Check {
    let Some(dir) = dir else {
        return fail(
            String::from("state dir: none (no HOME, XDG_STATE_HOME or POSTHOOK_STATE_DIR)"),
            "set HOME, or state_dir in ~/.config/posthook/config.json; without it posthook keeps \
             no history and multi-call rules cannot fire",
        );
    };
    let probe = dir.join(format!(".doctor-{}", std::process::id()));
    // Created as the store creates it (0700), so running doctor first changes nothing.
    let r = std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .and_then(|()| std::fs::write(&probe, b"ok"));
    let _ = std::fs::remove_file(&probe);
    match r {
        Ok(()) => trusted_state_dir(dir),
        Err(e) => fail(
            format!("state dir {}: not writable: {e}", dir.display()),
            format!(
                "fix its permissions (`chmod u+rwx {}`) or set state_dir in the config",
                dir.display()
            ),
        ),
    }
}

/// A writable state dir is used only when it is the user's own and private; what it holds that the
/// sweep leaves alone is counted.
fn trusted_state_dir(dir: &Path) -> Check {
    let store = crate::store::Store::new(dir);
    if let Err(e) = store.check_trusted() {
        let why = e
            .source
            .as_ref()
            .map_or_else(String::new, ToString::to_string);
        return fail(
            format!("state dir {}: writable, but not used: {why}", dir.display()),
            format!(
                "use a dir of your own that only you can write (`chmod 700 {}`), or set \
                 state_dir in ~/.config/posthook/config.json",
                dir.display()
            ),
        );
    }
    let s = store.survey(std::time::SystemTime::now());
    let text = format!(
        "state dir {}: writable, private, {} session(s), {} leftover(s) for the sweep, {} \
         file(s) not posthook's left alone",
        dir.display(),
        s.sessions,
        s.removable,
        s.foreign
    );
    if s.foreign > 0 {
        warn(
            text,
            "the sweep deletes only files posthook wrote; the others were put there by someone \
             else: look at them, and keep the state dir for posthook alone",
        )
    } else {
        pass(text)
    }
}

pub(super) fn config_check(r: &Resolved) -> Check {
    if r.problems.is_empty() {
        let read = r
            .files
            .iter()
            .filter(|f| f.status == config::FileStatus::Read)
            .count();
        return pass(format!("config: valid ({read} file(s) read)"));
    }
    let first: Vec<String> = r.problems.iter().take(3).map(ToString::to_string).collect();
    fail(
        format!(
            "config: {} problem(s): {}",
            r.problems.len(),
            first.join("; ")
        ),
        "run `posthook config check` and correct the values it names (meanwhile hook mode \
         ignores them)",
    )
}
