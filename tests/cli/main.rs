//! Black-box tests: every test runs the real `posthook` binary.

mod harness;
mod hook;
mod hostile;
mod support;
