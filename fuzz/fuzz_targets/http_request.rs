//! `posthook serve`'s request reading, on any bytes: the head parser and, for a chunked request,
//! the body decoder, fed in pieces whose sizes the input chooses. Properties: nothing panics; a
//! head is found the same whether the bytes come at once or one piece at a time; a body never
//! exceeds the cap; decoding in pieces gives what decoding at once gives.
#![no_main]

#[path = "../../src/tools/serve/wire.rs"]
#[allow(dead_code)]
mod wire;

use libfuzzer_sys::fuzz_target;
use wire::{parse_head, Chunked};

const MAX_BODY: u64 = 4096;

fn decode(bytes: &[u8], pieces: &[u8]) -> Result<Option<Vec<u8>>, wire::WireError> {
    let mut d = Chunked::new(MAX_BODY);
    let mut buf = Vec::new();
    let mut rest = bytes;
    let mut i = 0;
    while !rest.is_empty() {
        let n = usize::from(pieces.get(i).copied().unwrap_or(255)).max(1).min(rest.len());
        buf.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        i += 1;
        if let Some(body) = d.feed(&mut buf)? {
            assert!(body.len() as u64 <= MAX_BODY);
            return Ok(Some(body));
        }
    }
    Ok(None)
}

fuzz_target!(|data: &[u8]| {
    // The first 8 bytes choose the piece sizes; the rest is the request.
    let (pieces, input) = data.split_at(data.len().min(8));
    let whole = parse_head(input);
    // The head of a prefix is incomplete or the same head (or the same refusal).
    let mut seen = None;
    for end in 0..=input.len().min(512) {
        if let Ok(Some(h)) = parse_head(&input[..end]) {
            seen = Some(h);
            break;
        }
    }
    if let (Some(h), Ok(Some(w))) = (&seen, &whole) {
        assert_eq!(h, w);
    }
    let Ok(Some(head)) = whole else { return };
    assert!(head.len <= input.len());
    if head.chunked {
        let body = &input[head.len..];
        let at_once = decode(body, &[255; 64]);
        let in_pieces = decode(body, pieces);
        match (&at_once, &in_pieces) {
            (Ok(Some(a)), Ok(Some(b))) => assert_eq!(a, b),
            // Pieces can end before a refusal is visible, never the other way round.
            _ => {}
        }
    }
});
