//! Runs the reference simulation natively on the build host and exports its figures.
include!("src/run.rs");

fn main() {
    println!("cargo:rerun-if-changed=src/run.rs");
    let (commands, events, digest, state) = reference_run();
    println!("cargo:rustc-env=BOURSE_NATIVE_COMMANDS={commands}");
    println!("cargo:rustc-env=BOURSE_NATIVE_EVENTS={events}");
    println!("cargo:rustc-env=BOURSE_NATIVE_EVENT_DIGEST={digest:016x}");
    println!("cargo:rustc-env=BOURSE_NATIVE_STATE_DIGEST={state:016x}");
}
