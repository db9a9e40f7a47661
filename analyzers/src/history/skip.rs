//! `skip_serializing_if` predicates: a field at its default is left out of the state file (and
//! read back as the default, so older and newer state files stay readable).

use crate::Outcome;

pub(super) fn is_zero16(v: &u16) -> bool {
    *v == 0
}

pub(super) fn is_zero(v: &u32) -> bool {
    *v == 0
}

pub(super) fn is_zero64(v: &u64) -> bool {
    *v == 0
}

pub(super) fn is_ok(o: &Outcome) -> bool {
    *o == Outcome::Ok
}

pub(super) fn is_false(b: &bool) -> bool {
    !*b
}
