//! The reference run gives in WebAssembly (`wasm32-unknown-unknown` in Node, through
//! `wasm-bindgen-test-runner`) the committed native footer (see the crate docs). Run:
//! `cargo test --target wasm32-unknown-unknown -p bourse-conformance --test wasm_node`.
#![cfg(target_arch = "wasm32")]

use bourse_conformance::{auction_run, reference_run, Expected};
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn wasm_reference_run_equals_native() {
    let native = Expected::committed().reference;
    assert_eq!(
        reference_run(false),
        native,
        "wasm32 (commands, events, event digest, state digest) differ from the native fixture"
    );
    // A run that produced nothing would make the comparison vacuous.
    assert!(native.event_count > 10_000, "reference run too small");
}

#[wasm_bindgen_test]
fn wasm_auction_run_equals_native() {
    let native = Expected::committed().auction;
    assert_eq!(
        auction_run(false),
        native,
        "wasm32 call-auction run differs from the native fixture"
    );
    assert!(native.event_count > 10_000, "auction run too small");
}
