//! A small static file server for the explorer: GET and HEAD, correct MIME
//! types (`application/wasm` lets the browser compile while downloading),
//! no caching, nothing outside the site folder.

use crate::{Result, TaskError};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A running server.
#[derive(Debug)]
pub struct Server {
    address: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Bind 127.0.0.1:`port` (0 = any free port) and serve `folder` in the background.
    pub fn start(folder: &Path, port: u16) -> Result<Server> {
        let listener = TcpListener::bind(("127.0.0.1", port)).map_err(|error| {
            if error.kind() == std::io::ErrorKind::AddrInUse {
                TaskError::new(format!(
                    "port {port} is already in use on 127.0.0.1; pick another with `--port N` (for example `cargo xtask serve --port 8081`)"
                ))
            } else {
                TaskError::new(format!("cannot listen on 127.0.0.1:{port}: {error}"))
            }
        })?;
        let address = listener.local_addr()?;
        listener.set_nonblocking(true)?;
        let stop = Arc::new(AtomicBool::new(false));
        let folder = folder.to_path_buf();
        let stop_flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !stop_flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let folder = folder.clone();
                        std::thread::spawn(move || {
                            let _ = serve_connection(stream, &folder);
                        });
                    }
                    Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(std::time::Duration::from_millis(5));
                    }
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(5)),
                }
            }
        });
        Ok(Server { address, stop, thread: Some(thread) })
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.address)
    }

    /// Serve until the process is interrupted.
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|extension| extension.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") | Some("mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("elf") => "application/octet-stream",
        Some("asm") | Some("inc") | Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Map a request path onto the site folder; `None` if it tries to leave it.
fn resolve(folder: &Path, request_path: &str) -> Option<PathBuf> {
    let path = request_path.split(['?', '#']).next().unwrap_or("/");
    let mut resolved = folder.to_path_buf();
    for component in Path::new(path.trim_start_matches('/')).components() {
        match component {
            Component::Normal(part) => resolved.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if resolved.is_dir() {
        resolved.push("index.html");
    }
    Some(resolved)
}

fn serve_connection(stream: TcpStream, folder: &Path) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("/");
    let mut stream = stream;
    if method != "GET" && method != "HEAD" {
        return respond(&mut stream, "405 Method Not Allowed", "text/plain", b"only GET and HEAD\n", method == "HEAD");
    }
    match resolve(folder, target).filter(|path| path.is_file()) {
        Some(path) => {
            let body = std::fs::read(&path)?;
            respond(&mut stream, "200 OK", content_type(&path), &body, method == "HEAD")
        }
        None => respond(&mut stream, "404 Not Found", "text/plain", b"not found\n", method == "HEAD"),
    }
}

fn respond(stream: &mut TcpStream, status: &str, kind: &str, body: &[u8], head_only: bool) -> std::io::Result<()> {
    let header = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(header.as_bytes())?;
    if !head_only {
        stream.write_all(body)?;
    }
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_cannot_leave_the_site_folder() {
        let folder = Path::new("/srv/site");
        assert_eq!(resolve(folder, "/../etc/passwd"), None);
        assert_eq!(resolve(folder, "/pkg/../../x"), None);
        assert_eq!(resolve(folder, "/pkg/explorer.js?v=1"), Some(PathBuf::from("/srv/site/pkg/explorer.js")));
    }

    #[test]
    fn wasm_is_served_as_wasm() {
        assert_eq!(content_type(Path::new("a/explorer_bg.wasm")), "application/wasm");
        assert_eq!(content_type(Path::new("a/explorer.js")), "text/javascript; charset=utf-8");
    }
}
