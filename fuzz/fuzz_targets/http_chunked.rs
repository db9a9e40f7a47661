//! `posthook serve`'s chunked body decoder on any bytes, fed at once and one byte at a time.
//! Properties: nothing panics; the body never exceeds the cap, whatever the sizes say (a size
//! near 2^64 must not wrap past it); both ways give the same body, refusal, or need for more.
#![no_main]

#[path = "../../src/tools/serve/wire.rs"]
#[allow(dead_code)]
mod wire;

use libfuzzer_sys::fuzz_target;
use wire::Chunked;

fuzz_target!(|data: &[u8]| {
    let Some((&cap, input)) = data.split_first() else {
        return;
    };
    let max = u64::from(cap) * 16;
    let mut d = Chunked::new(max);
    let mut buf = input.to_vec();
    let at_once = d.feed(&mut buf);
    let left_at_once = buf.len();
    let mut d = Chunked::new(max);
    let mut buf = Vec::new();
    let mut byte_wise = Ok(None);
    for (i, b) in input.iter().enumerate() {
        buf.push(*b);
        byte_wise = d.feed(&mut buf);
        match &byte_wise {
            Ok(Some(_)) => {
                buf.extend_from_slice(&input[i + 1..]);
                break;
            }
            Ok(None) => {}
            Err(_) => break,
        }
    }
    if let Ok(Some(body)) = &at_once {
        assert!(body.len() as u64 <= max);
    }
    match (&at_once, &byte_wise) {
        (Ok(Some(a)), Ok(Some(b))) => {
            assert_eq!(a, b);
            assert_eq!(left_at_once, buf.len(), "the bytes after the body are kept");
        }
        (Ok(None), Ok(None)) => {}
        (Err(a), Err(b)) => assert_eq!(a, b),
        (a, b) => panic!("at once {a:?}, byte-wise {b:?}"),
    }
});
