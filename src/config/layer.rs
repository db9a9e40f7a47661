//! Where a value came from, what was wrong with one, and how a value moves in and out of the
//! fields of a level ([`Layer`](super::Layer)) and of the effective [`Config`](super::Config).

use crate::output::OutputMode;
use posthook_analyzers::{Profile, StopMode};
use serde::{Serialize, Serializer};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Built in.
    Default,
    /// The user config file.
    User(PathBuf),
    /// The project config file.
    Project(PathBuf),
    /// An environment variable.
    Env(&'static str),
    /// A command-line flag.
    Flag(&'static str),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::User(p) => write!(f, "user file {}", p.display()),
            Source::Project(p) => write!(f, "project file {}", p.display()),
            Source::Env(k) => write!(f, "env {k}"),
            Source::Flag(k) => write!(f, "flag {k}"),
        }
    }
}

impl Serialize for Source {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One thing wrong with a config file or variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file, or `env NAME` for a variable.
    pub origin: String,
    /// JSON path inside the file (`thresholds["native-overuse.major"]`), empty for the whole file.
    pub path: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for Problem {
    /// One line: a key or value of a file can hold any character, and reaches a terminal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use posthook_analyzers::visible_controls as shown;
        if self.path.is_empty() {
            write!(f, "{}: {}", shown(&self.origin), shown(&self.message))
        } else {
            write!(
                f,
                "{}: {}: {}",
                shown(&self.origin),
                shown(&self.path),
                shown(&self.message)
            )
        }
    }
}

/// One setting's value as a level gives it, already validated.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// A rule profile.
    Profile(Profile),
    /// An output mode.
    Output(OutputMode),
    /// What the end of a turn with unchecked changes gets.
    Stop(StopMode),
    /// A number of milliseconds.
    Ms(u64),
    /// A directory.
    Dir(PathBuf),
    /// On or off.
    Switch(bool),
    /// A word (a log level).
    Text(String),
}

/// A type a single-valued setting holds: the [`Value`] that carries it.
pub(crate) trait Scalar: Sized + Clone {
    /// This as a value.
    fn into_value(self) -> Value;
    /// The value's `Self` (`None`: a value of another type).
    fn from_value(v: Value) -> Option<Self>;
}

macro_rules! scalar {
    ($($t:ty => $variant:ident),* $(,)?) => {$(
        impl Scalar for $t {
            fn into_value(self) -> Value {
                Value::$variant(self)
            }
            fn from_value(v: Value) -> Option<Self> {
                match v {
                    Value::$variant(x) => Some(x),
                    _ => None,
                }
            }
        }
    )*};
}

scalar!(Profile => Profile, OutputMode => Output, StopMode => Stop, u64 => Ms, PathBuf => Dir,
    bool => Switch, String => Text);

/// A field of [`Layer`](super::Layer): a single value the level may set, or (by default) the
/// rules and thresholds, which are merged (read apart), not replaced.
pub(crate) trait Slot {
    /// What this level sets.
    fn get(&self) -> Option<Value> {
        None
    }
    /// Sets (or with `None` clears) the value.
    fn set(&mut self, _: Option<Value>) {}
}

impl<T: Scalar> Slot for Option<T> {
    fn get(&self) -> Option<Value> {
        self.clone().map(T::into_value)
    }
    fn set(&mut self, v: Option<Value>) {
        *self = v.and_then(T::from_value);
    }
}

impl Slot for Vec<String> {}
impl Slot for BTreeMap<String, f64> {}

/// A field of [`Config`](super::Config): set from a [`Value`], shown by `config show`, written
/// by `config show --json`.
pub(crate) trait Field {
    /// Takes the value (nothing for the rules and the thresholds, merged apart).
    fn set(&mut self, v: Value);
    /// As `config show` prints it (empty for the rules and the thresholds, listed apart).
    fn shown(&self) -> String;
    /// As `config show --json` writes it.
    fn json<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error>;
}

macro_rules! field {
    ($($t:ty: |$x:ident| $shown:expr, $json:ident;)*) => {$(
        impl Field for $t {
            fn set(&mut self, v: Value) {
                if let Some(x) = <$t>::from_value(v) {
                    *self = x;
                }
            }
            fn shown(&self) -> String {
                let $x = self;
                $shown
            }
            fn json<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                field!(@json $json, self, s)
            }
        }
    )*};
    (@json as_str, $v:expr, $s:expr) => { $s.serialize_str($v.as_str()) };
    (@json serde, $v:expr, $s:expr) => { Serialize::serialize($v, $s) };
}

field! {
    Profile: |p| p.as_str().into(), as_str;
    OutputMode: |o| o.as_str().into(), as_str;
    StopMode: |m| m.as_str().into(), as_str;
    u64: |n| n.to_string(), serde;
    bool: |b| b.to_string(), serde;
    String: |t| t.clone(), serde;
}

/// The state dir: `None` when there is no HOME and nothing configured.
impl Field for Option<PathBuf> {
    fn set(&mut self, v: Value) {
        if let Some(p) = PathBuf::from_value(v) {
            *self = Some(p);
        }
    }
    fn shown(&self) -> String {
        self.as_ref().map_or_else(
            || "(none: history not kept)".into(),
            |p| p.display().to_string(),
        )
    }
    fn json<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.serialize(s)
    }
}

/// The disabled rules and the thresholds: merged level by level, listed apart by `config show`.
macro_rules! merged {
    ($($t:ty),*) => {$(
        impl Field for $t {
            fn set(&mut self, _: Value) {}
            fn shown(&self) -> String {
                String::new()
            }
            fn json<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                self.serialize(s)
            }
        }
    )*};
}

merged!(BTreeSet<String>, BTreeMap<String, f64>);
