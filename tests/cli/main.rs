//! Black-box tests: every test runs the real `posthook` binary.

mod golden;
mod hook;
mod replay_quality;
mod support;
