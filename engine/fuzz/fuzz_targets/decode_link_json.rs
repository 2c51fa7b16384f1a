//! Any bytes as the link's JSON, deflated and base64url-encoded as a link is: the decoder's
//! JSON, scenario and view validation must answer without panicking.
#![no_main]

use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use replica_engine::scenario::{decode_link, encode_link};

fuzz_target!(|data: &[u8]| {
    let packed = miniz_oxide::deflate::compress_to_vec(data, 1);
    let link = format!(
        "1.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(packed)
    );
    if let Ok((scenario, view)) = decode_link(&link) {
        let again = decode_link(&encode_link(&scenario, &view));
        assert_eq!(again, Ok((scenario, view)));
    }
});
