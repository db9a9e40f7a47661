//! Black-box tests: every test runs the real `posthook` binary.

mod bench;
mod config;
mod doctor;
mod explain;
mod hook;
mod install;
mod replay;
mod support;
mod transcripts;
