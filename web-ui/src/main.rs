//! Entry point of the explorer's WebAssembly bundle.

#[cfg(target_arch = "wasm32")]
fn main() {
    web_ui::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("The explorer runs in a browser. Build and serve it with `cargo xtask serve`.");
    std::process::exit(2);
}
