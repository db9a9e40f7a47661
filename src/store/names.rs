//! The names posthook gives the files of its state dir, told apart from every other name.

/// The kinds of names posthook gives the files of its state dir.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NameKind {
    /// `KEY.json`
    State,
    /// `KEY.json.corrupt-MILLIS`
    Corrupt,
    /// `KEY.json.tmp.PID`
    Tmp(u32),
    /// `KEY.lock`
    Lock,
}

fn is_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The kind of a file name of posthook's own pattern, `None` for any other name.
pub(super) fn own_name(name: &str) -> Option<NameKind> {
    if let Some(key) = name.strip_suffix(".lock") {
        return is_key(key).then_some(NameKind::Lock);
    }
    if let Some(key) = name.strip_suffix(".json") {
        return is_key(key).then_some(NameKind::State);
    }
    let (key, rest) = name.split_once(".json.")?;
    if !is_key(key) {
        return None;
    }
    if let Some(stamp) = rest.strip_prefix("corrupt-") {
        return digits(stamp).then_some(NameKind::Corrupt);
    }
    let pid = rest.strip_prefix("tmp.")?;
    if !digits(pid) {
        return None;
    }
    pid.parse().ok().map(NameKind::Tmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_names_only() {
        assert_eq!(own_name("abc.json"), Some(NameKind::State));
        assert_eq!(own_name("h-0123abcd.lock"), Some(NameKind::Lock));
        assert_eq!(own_name("s1.json.tmp.4242"), Some(NameKind::Tmp(4242)));
        assert_eq!(
            own_name("s1.json.corrupt-1700000000000"),
            Some(NameKind::Corrupt)
        );
        for other in [
            "package.json.bak",
            "tsconfig.build.json",
            ".hidden.json",
            "a b.json",
            "s1.json.tmp.x1",
            "s1.json.corrupt-",
            "config",
            "x.lock.old",
        ] {
            assert_eq!(own_name(other), None, "{other}");
        }
    }
}
