//! The server against a raw protocol client: what gdb itself would not
//! send — malformed packets, wrong checksums, a second client, a client
//! that leaves while the machine runs — must each end in a clear answer
//! and a machine that is still there. (`tests/tests/gdb.rs` drives Debian's
//! gdb through a whole session.)

use super::*;
use crate::{CpuModel, SystemConfig, scenarios};
use std::io::{Read, Write};
use std::sync::Mutex;

/// A root task that never ends.
const ENDLESS: &str = "section .text\n_start:\n    inc eax\n    jmp _start\n";

fn debugger(endless: bool) -> Debugger {
    let mut system = System::new(SystemConfig::new(CpuModel::I486));
    let modules = if endless {
        vec![
            scenarios::sigma0().unwrap(),
            crate::Module::new("endless", scenarios::assemble("endless.asm", ENDLESS).unwrap()),
        ]
    } else {
        scenarios::find("ping-pong").unwrap().modules().unwrap()
    };
    system.boot(&modules).unwrap();
    Debugger::new(system, u64::MAX)
}

use crate::System;

/// Undo the protocol's run-length encoding (`x*N`: N − 29 more `x`).
fn expand(encoded: &[u8]) -> String {
    let mut text = Vec::new();
    let mut bytes = encoded.iter();
    while let Some(&byte) = bytes.next() {
        if byte == b'*'
            && let (Some(&count), Some(&last)) = (bytes.next(), text.last())
        {
            text.extend(std::iter::repeat_n(last, (count as usize).saturating_sub(29)));
            continue;
        }
        text.push(byte);
    }
    String::from_utf8_lossy(&text).into_owned()
}

/// A minimal protocol client.
struct RawClient {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl RawClient {
    fn connect(port: u16) -> Self {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        Self { stream, buffer: Vec::new() }
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        Write::write_all(&mut self.stream, bytes).unwrap();
    }

    fn send(&mut self, payload: &str) {
        self.send_raw(connection::frame(payload).as_bytes());
    }

    /// The next reply packet's payload (acknowledged); `-` for a NACK.
    fn receive(&mut self) -> String {
        loop {
            if let Some(start) = self.buffer.iter().position(|byte| *byte == b'$' || *byte == b'-') {
                if self.buffer[start] == b'-' {
                    self.buffer.drain(..=start);
                    return "-".into();
                }
                if let Some(end) = self.buffer[start..].iter().position(|byte| *byte == b'#')
                    && self.buffer.len() >= start + end + 3
                {
                    let payload = expand(&self.buffer[start + 1..start + end]);
                    self.buffer.drain(..start + end + 3);
                    Write::write_all(&mut self.stream, b"+").unwrap();
                    return payload;
                }
            }
            let mut chunk = [0u8; 4096];
            let count = Read::read(&mut self.stream, &mut chunk).unwrap();
            assert!(count > 0, "the server closed the connection");
            self.buffer.extend_from_slice(&chunk[..count]);
        }
    }

    fn command(&mut self, payload: &str) -> String {
        self.send(payload);
        self.receive()
    }
}

/// Serve on a free port while `client` runs on another thread.
fn serve_with(endless: bool, client: impl FnOnce(u16) + Send + 'static) -> (Outcome, Vec<String>) {
    let notes = Arc::new(Mutex::new(Vec::new()));
    let kept = Arc::clone(&notes);
    let record: Notes = Arc::new(move |line: &str| kept.lock().unwrap().push(line.to_string()));
    let server = Server::bind(0, record).unwrap();
    let port = server.port();
    let mut debugger = debugger(endless);
    let client = std::thread::spawn(move || {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| client(port)));
        if result.is_err() {
            // End the server too, once it has seen the failed client go.
            std::thread::sleep(Duration::from_millis(500));
            RawClient::connect(port).send("k");
        }
        result
    });
    let outcome = server.serve(&mut debugger, &mut std::io::sink());
    if let Err(panic) = client.join().unwrap() {
        std::panic::resume_unwind(panic);
    }
    let notes = notes.lock().unwrap().clone();
    (outcome, notes)
}

#[test]
fn bad_packets_get_clear_answers_and_the_session_goes_on() {
    let (outcome, notes) = serve_with(false, |port| {
        let mut gdb = RawClient::connect(port);
        assert!(gdb.command("?").starts_with("T05thread:"), "stopped, with a thread");
        // A wrong checksum: asked for again.
        gdb.send_raw(b"$g#00");
        assert_eq!(gdb.receive(), "-");
        // A command gdbstub cannot parse: an error that says so.
        let reply = gdb.command("mzz,4");
        assert!(reply.starts_with("E."), "{reply}");
        // Memory outside every space: an error, not zeros.
        assert_eq!(gdb.command("m70000000,4"), "E0e");
        assert_eq!(gdb.command("Z0,70000000,1"), "E0e", "no breakpoint in unmapped memory");
        // The machine is still there: the root task's registers, EIP at its entry.
        let registers = gdb.command("g");
        assert_eq!(&registers[64..72], "00004000", "{registers}");
        gdb.send("k");
    });
    assert_eq!(outcome, Outcome::Killed);
    assert!(notes.iter().any(|note| note.contains("bad packet")), "{notes:?}");
}

#[test]
fn a_second_client_is_refused_and_one_that_leaves_running_leaves_the_machine() {
    let (outcome, notes) = serve_with(false, |port| {
        let mut first = RawClient::connect(port);
        let stop = first.command("?");
        let mut second = RawClient::connect(port);
        let refusal = second.command("qSupported");
        assert!(refusal.contains("another gdb is attached"), "{refusal}");
        // The first asks to run and is gone at once.
        first.send("vCont;c");
        drop(first);
        std::thread::sleep(Duration::from_millis(200));
        let mut third = RawClient::connect(port);
        let again = third.command("?");
        assert!(again.starts_with("T05thread:"), "{again} (before: {stop})");
        assert_eq!(third.command("m400000,1").len(), 2, "the machine answers");
        third.send("D");
        assert_eq!(third.receive(), "OK");
    });
    assert_eq!(outcome, Outcome::Detached);
    assert!(notes.iter().any(|note| note.contains("refused a second gdb")), "{notes:?}");
    assert!(notes.iter().any(|note| note.contains("went away")), "{notes:?}");
}

#[test]
fn a_ctrl_c_stops_the_running_machine_between_two_instructions() {
    let (outcome, _) = serve_with(true, |port| {
        let mut gdb = RawClient::connect(port);
        let eax_before = gdb.command("p0");
        gdb.send("vCont;c");
        std::thread::sleep(Duration::from_millis(300));
        gdb.send_raw(&[0x03]);
        let stop = gdb.receive();
        assert!(stop.starts_with("T02thread:"), "a SIGINT stop: {stop}");
        assert_ne!(gdb.command("p0"), eax_before, "the loop ran");
        // And on again, and stopped again.
        gdb.send("vCont;c");
        std::thread::sleep(Duration::from_millis(100));
        gdb.send_raw(&[0x03]);
        assert!(gdb.receive().starts_with("T02thread:"));
        gdb.send("k");
    });
    assert_eq!(outcome, Outcome::Killed);
}
