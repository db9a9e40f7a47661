#!/bin/sh
# Seeds the hook_input fuzz corpus from the transcripts: every payload rebuilt from them, the state
# file each leaves, and a few config files (see examples/fuzz_seeds.rs).
# usage: fuzz/seed.sh [TRANSCRIPTS_DIR]   (default: tests/data/transcripts)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
transcripts=${1:-$root/tests/data/transcripts}
cargo run -q --manifest-path "$root/Cargo.toml" --example fuzz_seeds -- \
    "$transcripts" "$here/corpus/hook_input"
