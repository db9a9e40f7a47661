//! Hook input parsing plus the pipeline: any bytes either parse into an event or give a one-line
//! error; a parsed tool call goes through every analyzer twice on one history (so the
//! history-dependent rules run), and the history it leaves round-trips through its stored form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use posthook::analyzers::guidance::MAX_MESSAGE_CHARS;
use posthook::{History, Runtime};
use std::sync::OnceLock;
use std::time::Duration;

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let event = match posthook::input::parse(data, 1_700_000_000_000, Some("/tmp/project")) {
        Ok(ev) => ev,
        Err(e) => {
            let line = e.to_string();
            assert!(!line.contains('\n'), "multi-line error: {line:?}");
            return;
        }
    };
    let Some(call) = event.call.as_ref() else {
        return;
    };
    // A budget no instrumented build reaches: every analyzer runs.
    let rt = RUNTIME.get_or_init(|| Runtime::builder().budget(Duration::from_secs(60)).build());
    let mut history = History::new();
    for _ in 0..2 {
        let report = rt.process(call, &mut history);
        if let Some(fb) = &report.feedback {
            assert!(fb.text.chars().count() <= MAX_MESSAGE_CHARS);
        }
    }
    assert_eq!(history.events_total, 2);
    let stored = serde_json::to_vec(&history).expect("history serializes");
    let back: History = serde_json::from_slice(&stored).expect("stored history reads back");
    assert_eq!(back, history);
});
