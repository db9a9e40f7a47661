//! The tools: every subcommand but the hook call itself, each a module with its own arguments
//! and its own typed error. They use the hook path (`input`, `store`, `runtime`, `output`) and
//! `config`; the hook path never uses them.

pub(crate) mod atomic;
pub(crate) mod bench;
pub(crate) mod doctor;
pub(crate) mod explain;
pub(crate) mod install;
pub(crate) mod replay;
pub(crate) mod serve;
pub(crate) mod session;
pub(crate) mod stats;
pub(crate) mod statusline;
