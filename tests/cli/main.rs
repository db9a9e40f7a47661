//! Black-box tests: every test runs the real `posthook` binary.
// A test may be a long scenario: the 80-line bound on functions is for the code that ships.
#![allow(clippy::too_many_lines)]

mod api;
mod bench;
mod concurrency;
mod config;
mod docs;
mod doctor;
mod events;
mod explain;
mod faults;
mod golden;
mod harness;
mod hook;
mod hostile;
mod install;
mod modules;
mod notice;
#[cfg(feature = "otlp")]
mod otlp;
mod props;
mod quality;
mod replay;
mod security;
mod serve;
mod serve_install;
mod serve_overload;
mod stats;
mod stop;
mod support;
mod time;
mod transcripts;
mod trust;
