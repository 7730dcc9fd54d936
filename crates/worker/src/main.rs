//! The Web Worker entry point: `bourse-worker` built for `wasm32-unknown-unknown` by Trunk
//! (`data-type="worker"`). It installs the message loop of [`bourse_worker::web`] and returns;
//! the worker then lives on its message handler and timer. Built natively it only explains itself.

#[cfg(target_arch = "wasm32")]
fn main() {
    bourse_worker::web::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "bourse-worker runs inside a browser Web Worker; build it with `trunk build` (see README.md)"
    );
    std::process::exit(2);
}
