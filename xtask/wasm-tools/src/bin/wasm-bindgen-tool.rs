//! `wasm-bindgen` (named `wasm-bindgen-tool`: rustc rejects a crate called
//! `wasm_bindgen` at version 0.1), exactly the version the workspace's `wasm-bindgen` crate is
//! pinned to (a mismatch is a hard error at bindgen time).
fn main() -> anyhow::Result<()> {
    wasm_bindgen_cli::wasm_bindgen::run_cli_with_args(std::env::args_os())
}
