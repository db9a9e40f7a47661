#!/bin/sh
# Seeds the hook_input fuzz corpus with every PostToolUse payload rebuilt from the transcripts.
# usage: fuzz/seed.sh [TRANSCRIPTS_DIR]   (default: shared/data/transcripts beside the checkout)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
transcripts=${1:-$root/../shared/data/transcripts}
cargo run -q --manifest-path "$root/Cargo.toml" --example fuzz_seeds -- \
    "$transcripts" "$here/corpus/hook_input"
