//! Black-box tests: every test runs the real `posthook` binary.

mod bench;
mod config;
mod doctor;
mod explain;
mod golden;
mod hook;
mod install;
mod replay;
mod replay_quality;
mod support;
mod transcripts;
