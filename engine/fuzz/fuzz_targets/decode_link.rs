//! Any text as a link: decoding returns a scenario or an error, never panics, and what it
//! returns encodes to a link that decodes to the same thing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use replica_engine::scenario::{decode_link, encode_link};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok((scenario, view)) = decode_link(&text) {
        let again = decode_link(&encode_link(&scenario, &view));
        assert_eq!(again, Ok((scenario, view)));
    }
});
