//! Black-box tests: every test runs the real `posthook` binary.

mod concurrency;
mod faults;
mod harness;
mod hook;
mod hostile;
mod props;
mod security;
mod support;
mod time;
