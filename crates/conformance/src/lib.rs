//! # bourse-conformance
//!
//! Checks the determinism invariant across platforms: the reference seeded simulation
//! ([`reference_run`]) must give the same event digest and state digest in WebAssembly as natively.
//!
//! `build.rs` runs the reference simulation natively (on the build host) and passes its figures to
//! the compiled crate as `BOURSE_NATIVE_*` environment variables; the wasm-bindgen test
//! `tests/wasm_digest.rs` re-runs it under `wasm32-unknown-unknown` (in Node via
//! `wasm-bindgen-test-runner`) and compares. Run it with
//! `cargo test --target wasm32-unknown-unknown -p bourse-conformance`.

#![warn(missing_docs)]

include!("run.rs");

/// The native figures computed by `build.rs`: (commands, events, event digest, state digest), the
/// digests as 16 lower-case hex digits.
pub fn native_figures() -> (&'static str, &'static str, &'static str, &'static str) {
    (
        env!("BOURSE_NATIVE_COMMANDS"),
        env!("BOURSE_NATIVE_EVENTS"),
        env!("BOURSE_NATIVE_EVENT_DIGEST"),
        env!("BOURSE_NATIVE_STATE_DIGEST"),
    )
}

/// This platform's figures, formatted like [`native_figures`].
pub fn this_platform_figures() -> (String, String, String, String) {
    let (c, e, d, s) = reference_run();
    (
        c.to_string(),
        e.to_string(),
        format!("{d:016x}"),
        format!("{s:016x}"),
    )
}
