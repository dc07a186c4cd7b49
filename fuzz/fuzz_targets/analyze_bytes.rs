//! (a) Arbitrary bytes analyzed as Bicep and as ARM JSON, through both the one-shot
//! (`analyze_text`) and the editor's (`parse` + `analyze`) paths.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use mtlsguard_analyzer::Language;

fuzz_target!(|data: &[u8]| {
    let text = common::text_of(data);
    common::exercise(Language::Bicep, &text);
    common::exercise(Language::Json, &text);
});
