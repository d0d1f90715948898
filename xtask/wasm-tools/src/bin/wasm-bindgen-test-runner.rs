//! `wasm-bindgen-test-runner`, used as the cargo runner for
//! `cargo test --target wasm32-unknown-unknown` (component tests in Chromium).
fn main() -> anyhow::Result<()> {
    wasm_bindgen_cli::wasm_bindgen_test_runner::run_cli_with_args(std::env::args_os())
}
