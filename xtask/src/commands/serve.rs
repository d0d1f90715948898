//! `cargo xtask serve [--port N]`

use crate::arguments::Arguments;
use xtask::{Result, TaskError, server::Server, web};

pub fn run(mut arguments: Arguments) -> Result<i32> {
    let port = match arguments.value("--port")? {
        None => 8080,
        Some(text) => text
            .parse::<u16>()
            .map_err(|_| TaskError::new(format!("`--port {text}` is not a port number (1–65535)")))?,
    };
    arguments.finish("serve", "--port N")?;
    eprintln!("xtask: building the explorer (release)…");
    let site = web::build_site()?;
    let server = Server::start(&site.folder, port)?;
    println!("L4 Explorer: {}", server.url());
    println!("(wasm bundle {} KB; press Ctrl-C to stop)", site.wasm_bytes / 1024);
    server.wait();
    Ok(0)
}
