//! The crate compiled natively agrees with its build script (guards the harness itself, so a wasm
//! mismatch can be blamed on the platform, not on the harness).
#![cfg(not(target_arch = "wasm32"))]

#[test]
fn native_build_and_runtime_agree() {
    let native = bourse_conformance::native_figures();
    let here = bourse_conformance::this_platform_figures();
    assert_eq!(
        (
            here.0.as_str(),
            here.1.as_str(),
            here.2.as_str(),
            here.3.as_str()
        ),
        native
    );
}
