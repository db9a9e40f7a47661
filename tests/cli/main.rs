//! Black-box tests: every test runs the real `posthook` binary.

mod bench;
mod concurrency;
mod config;
mod faults;
mod harness;
mod hook;
mod hostile;
mod install;
mod props;
mod replay;
mod security;
mod support;
mod time;
mod transcripts;
