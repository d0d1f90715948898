//! gdb on the modelled machine: a GDB remote serial protocol server for a
//! [`Debugger`], built on the `gdbstub` crate, so that a kernel engineer
//! debugs L4 programs the way they debug anything else — and can go back.
//!
//! Every L4 thread is a gdb thread (the L4 id is the thread id; `info
//! threads` shows name, id and state); registers and memory are that
//! thread's, memory read and written through its own page tables (an
//! unmapped address is an error, never zeros). `stepi` runs one instruction
//! of whichever thread runs, kernel entries included; `continue` runs to a
//! breakpoint (bound to the code it was set on), a watchpoint (on the
//! memory it names, checked by the model's MMU), the end, or a Ctrl-C;
//! `reverse-stepi` and `reverse-continue` go back through the debugger's
//! checkpoints. `monitor …` shows the kernel's view (`monitor help`).
//!
//! The server listens on 127.0.0.1 only and serves one gdb at a time; a
//! second is refused with a message. A client that goes away leaves the
//! machine stopped where it was, for the next one. A packet with a wrong
//! checksum is asked for again (`connection`); a command the stub cannot
//! parse is answered with an error and the session goes on.

mod arch;
mod connection;
mod monitor;
mod target;

use crate::debugger::Debugger;
use connection::Client;
use gdbstub::common::Signal;
use gdbstub::conn::ConnectionExt;
use gdbstub::stub::run_blocking::{self, BlockingEventLoop};
use gdbstub::stub::{DisconnectReason, GdbStub, MultiThreadStopReason};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;
use target::{Action, Stub, tid_of};

/// Where messages about clients go (the runner prints them).
pub type Notes = Arc<dyn Fn(&str) + Send + Sync>;

/// How serving ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// gdb detached: the program may run on without it.
    Detached,
    /// gdb killed the program.
    Killed,
}

/// A listening server.
pub struct Server {
    port: u16,
    clients: Receiver<TcpStream>,
    attached: Arc<AtomicBool>,
    notes: Notes,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Server").field("port", &self.port).finish_non_exhaustive()
    }
}

impl Server {
    /// Listen on 127.0.0.1:`port` (0: any free port).
    pub fn bind(port: u16, notes: Notes) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let port = listener.local_addr()?.port();
        let (sender, clients) = channel();
        let attached = Arc::new(AtomicBool::new(false));
        let busy = Arc::clone(&attached);
        let refusals = Arc::clone(&notes);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if busy.swap(true, Ordering::SeqCst) {
                    let peer = stream.peer_addr().map_or_else(|_| "?".to_string(), |address| address.to_string());
                    refusals(&format!("refused a second gdb (from {peer}): one is attached"));
                    refuse(stream);
                } else if sender.send(stream).is_err() {
                    return;
                }
            }
        });
        Ok(Self { port, clients, attached, notes })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serve gdb clients one after another until one detaches or kills
    /// the program; console output goes to `console` as the machine runs.
    pub fn serve(&self, debugger: &mut Debugger, console: &mut dyn Write) -> Outcome {
        let mut printed = debugger.system().console().len();
        loop {
            let Ok(stream) = self.clients.recv() else { return Outcome::Detached };
            let peer = stream.peer_addr().map_or_else(|_| "?".to_string(), |address| address.to_string());
            (self.notes)(&format!("gdb attached from {peer}"));
            let outcome = self.session(debugger, stream, console, &mut printed);
            self.attached.store(false, Ordering::SeqCst);
            match outcome {
                Some(outcome) => return outcome,
                None => (self.notes)("gdb went away; the machine waits for the next one, stopped where it was"),
            }
        }
    }

    /// One client, until it detaches (`Some`) or is gone (`None`).
    fn session(
        &self,
        debugger: &mut Debugger,
        stream: TcpStream,
        console: &mut dyn Write,
        printed: &mut usize,
    ) -> Option<Outcome> {
        let client = Client::new(stream);
        let mut stub = Stub::new(debugger, console, *printed);
        loop {
            let built = GdbStub::<Stub, Client>::builder(client.clone())
                .packet_buffer_size(connection::MAX_PACKET + 64)
                .build();
            let Ok(gdb) = built else { return None };
            let result = gdb.run_blocking::<EventLoop<'_>>(&mut stub);
            stub.echo_console();
            *printed = stub.printed;
            match result {
                Ok(DisconnectReason::Kill) => return Some(Outcome::Killed),
                Ok(DisconnectReason::Disconnect) => return Some(Outcome::Detached),
                Ok(DisconnectReason::TargetExited(_) | DisconnectReason::TargetTerminated(_)) => {
                    return Some(Outcome::Detached);
                }
                Err(error) if error.is_connection_error() => return None,
                Err(error) => {
                    // A command gdbstub could not parse (or a NACK it cannot
                    // answer): say so and go on with a fresh stub.
                    let message = format!("E.{error}");
                    (self.notes)(&format!("a bad packet from gdb: {error}"));
                    if client.reply(&message.replace(['#', '$', '}', '*'], " ")).is_err() {
                        return None;
                    }
                    stub.action = None;
                }
            }
        }
    }
}

/// Answer a client while another is attached: its first packet gets an
/// error reply saying why, and the connection closes.
fn refuse(mut stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut buffer = [0u8; 512];
    let mut seen = Vec::new();
    while !seen.contains(&b'#') {
        match Read::read(&mut stream, &mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(count) => seen.extend_from_slice(&buffer[..count]),
        }
    }
    let reply = connection::frame("E.another gdb is attached to this machine; detach it first");
    let _ = Write::write_all(&mut stream, b"+");
    let _ = Write::write_all(&mut stream, reply.as_bytes());
    let _ = Write::flush(&mut stream);
    std::thread::sleep(Duration::from_millis(200));
}

/// gdbstub's event loop: runs the machine while watching the connection.
struct EventLoop<'a>(std::marker::PhantomData<&'a ()>);

impl<'a> BlockingEventLoop for EventLoop<'a> {
    type Target = Stub<'a>;
    type Connection = Client;
    type StopReason = MultiThreadStopReason<u32>;

    fn wait_for_stop_reason(
        stub: &mut Stub<'a>,
        client: &mut Client,
    ) -> Result<
        run_blocking::Event<MultiThreadStopReason<u32>>,
        run_blocking::WaitForStopReasonError<target::Fatal, std::io::Error>,
    > {
        let action = stub.action.take().unwrap_or(Action::Continue);
        let mut news = false;
        let stop = match action {
            Action::Continue => {
                let watched = client.clone();
                let (console, printed) = (&mut *stub.console, &mut stub.printed);
                stub.debugger.resume(|system| {
                    target::echo(system, console, printed);
                    news = watched.has_news();
                    news
                })
            }
            Action::Step => stub.debugger.step(),
            Action::ReverseStep => stub.debugger.reverse_step(),
            Action::ReverseContinue => stub.debugger.reverse_resume(),
        };
        stub.echo_console();
        if news && matches!(stop, crate::debugger::Stop::Interrupted { .. }) {
            // Stopped for what gdb sent (a Ctrl-C, or it went away): the
            // machine waits at a clean moment; a Ctrl-C makes it a stop.
            stub.action = Some(Action::Continue);
            let byte = client.read().map_err(run_blocking::WaitForStopReasonError::Connection)?;
            return Ok(run_blocking::Event::IncomingData(byte));
        }
        Ok(run_blocking::Event::TargetStopped(stub.stop_reason(&stop)))
    }

    fn on_interrupt(stub: &mut Stub<'a>) -> Result<Option<MultiThreadStopReason<u32>>, target::Fatal> {
        stub.action = None;
        let tid = tid_of(stub.debugger.current_thread());
        Ok(Some(MultiThreadStopReason::SignalWithThread { tid, signal: Signal::SIGINT }))
    }
}

#[cfg(test)]
mod tests;
