//! Black-box tests: every test runs the real `posthook` binary.

mod api;
mod bench;
mod concurrency;
mod config;
mod doctor;
mod events;
mod explain;
mod faults;
mod golden;
mod harness;
mod hook;
mod hostile;
mod install;
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
