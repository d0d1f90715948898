//! The connection to one gdb: TCP, read in blocks, with the packet framing
//! checked before the stub sees a byte.
//!
//! The remote protocol asks a receiver to answer a packet whose checksum
//! is wrong with `-`, so that the sender sends it again; `gdbstub` instead
//! ends the session on one. So packets are framed here (`$…#xx`), checked,
//! and only whole, correct ones are passed on; a bad one is answered with
//! `-` and dropped, an oversized one with an error. Bytes outside a packet
//! other than the acknowledgements and Ctrl-C (0x03) are line noise and
//! dropped. The state is shared (`Rc`) so that a stub rebuilt after a
//! malformed command continues on the same connection and buffer.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::rc::Rc;

/// Longest packet accepted (gdbstub is told the same through its buffer).
pub const MAX_PACKET: usize = 16 * 1024;

#[derive(Debug)]
enum Framing {
    /// Between packets.
    Outside,
    /// After `$`, collecting the payload.
    Payload,
    /// After `#`, this many checksum digits read.
    Checksum(u8),
}

#[derive(Debug)]
struct State {
    stream: TcpStream,
    /// Checked bytes for the stub.
    ready: VecDeque<u8>,
    /// The packet being received (from its `$`).
    packet: Vec<u8>,
    framing: Framing,
    /// The client closed the connection.
    closed: bool,
}

/// One client's connection (cheap to clone: the clones share it).
#[derive(Clone, Debug)]
pub struct Client {
    state: Rc<RefCell<State>>,
}

fn checksum(payload: &[u8]) -> u8 {
    payload.iter().fold(0u8, |sum, byte| sum.wrapping_add(*byte))
}

/// `$payload#xx` for a reply.
pub fn frame(payload: &str) -> String {
    format!("${payload}#{:02x}", checksum(payload.as_bytes()))
}

impl State {
    /// Take bytes from the socket through the framing.
    fn absorb(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            match self.framing {
                Framing::Outside => match byte {
                    b'$' => {
                        self.packet.clear();
                        self.packet.push(byte);
                        self.framing = Framing::Payload;
                    }
                    b'+' | b'-' | 0x03 => self.ready.push_back(byte),
                    _ => {}
                },
                Framing::Payload => {
                    self.packet.push(byte);
                    if byte == b'#' {
                        self.framing = Framing::Checksum(0);
                    } else if self.packet.len() > MAX_PACKET {
                        let _ = self.stream.write_all(b"+");
                        let _ = self.stream.write_all(frame("E.packet too long").as_bytes());
                        self.packet.clear();
                        self.framing = Framing::Outside;
                    }
                }
                Framing::Checksum(digits) => {
                    self.packet.push(byte);
                    if digits == 0 {
                        self.framing = Framing::Checksum(1);
                        continue;
                    }
                    self.framing = Framing::Outside;
                    let length = self.packet.len();
                    let payload = &self.packet[1..length - 3];
                    let sent = std::str::from_utf8(&self.packet[length - 2..])
                        .ok()
                        .and_then(|text| u8::from_str_radix(text, 16).ok());
                    if sent == Some(checksum(payload)) {
                        self.ready.extend(self.packet.iter().copied());
                    } else {
                        // Ask for it again, as the protocol says.
                        let _ = self.stream.write_all(b"-");
                    }
                    self.packet.clear();
                }
            }
        }
    }

    /// Read what the socket has; `blocking` waits for at least one byte.
    fn fill(&mut self, blocking: bool) -> std::io::Result<()> {
        if self.closed {
            return Err(std::io::Error::new(ErrorKind::UnexpectedEof, "gdb closed the connection"));
        }
        self.stream.set_nonblocking(!blocking)?;
        let mut buffer = [0u8; 4096];
        match self.stream.read(&mut buffer) {
            Ok(0) => {
                self.closed = true;
                Err(std::io::Error::new(ErrorKind::UnexpectedEof, "gdb closed the connection"))
            }
            Ok(count) => {
                self.absorb(&buffer[..count]);
                Ok(())
            }
            Err(error) if !blocking && error.kind() == ErrorKind::WouldBlock => Ok(()),
            Err(error) if error.kind() == ErrorKind::Interrupted => Ok(()),
            Err(error) => Err(error),
        }
    }
}

impl Client {
    pub fn new(stream: TcpStream) -> Self {
        let _ = stream.set_nodelay(true);
        Self {
            state: Rc::new(RefCell::new(State {
                stream,
                ready: VecDeque::new(),
                packet: Vec::new(),
                framing: Framing::Outside,
                closed: false,
            })),
        }
    }

    /// Send a reply outside the stub (after a command it could not parse).
    pub fn reply(&self, payload: &str) -> std::io::Result<()> {
        let mut state = self.state.borrow_mut();
        state.stream.set_nonblocking(false)?;
        state.stream.write_all(frame(payload).as_bytes())
    }

    /// Whether the client has sent something (a Ctrl-C, say) or gone.
    pub fn has_news(&self) -> bool {
        let mut state = self.state.borrow_mut();
        if !state.ready.is_empty() {
            return true;
        }
        state.fill(false).is_err() || !state.ready.is_empty()
    }
}

impl gdbstub::conn::Connection for Client {
    type Error = std::io::Error;

    fn write(&mut self, byte: u8) -> Result<(), Self::Error> {
        self.write_all(&[byte])
    }

    fn write_all(&mut self, buffer: &[u8]) -> Result<(), Self::Error> {
        let mut state = self.state.borrow_mut();
        state.stream.set_nonblocking(false)?;
        Write::write_all(&mut state.stream, buffer)
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        Write::flush(&mut self.state.borrow_mut().stream)
    }
}

impl gdbstub::conn::ConnectionExt for Client {
    fn read(&mut self) -> Result<u8, Self::Error> {
        let mut state = self.state.borrow_mut();
        loop {
            if let Some(byte) = state.ready.pop_front() {
                return Ok(byte);
            }
            state.fill(true)?;
        }
    }

    fn peek(&mut self) -> Result<Option<u8>, Self::Error> {
        let mut state = self.state.borrow_mut();
        if state.ready.is_empty() {
            state.fill(false)?;
        }
        Ok(state.ready.front().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gdbstub::conn::ConnectionExt;
    use std::net::TcpListener;

    fn pair() -> (Client, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let peer = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (stream, _) = listener.accept().unwrap();
        (Client::new(stream), peer)
    }

    #[test]
    fn good_packets_pass_bad_ones_are_answered_with_a_nack() {
        let (mut client, mut peer) = pair();
        peer.write_all(b"noise+$g#67$m0,4#00\x03").unwrap();
        let mut received = Vec::new();
        for _ in 0..7 {
            received.push(client.read().unwrap());
        }
        assert_eq!(received, b"+$g#67\x03");
        let mut answer = [0u8; 1];
        peer.read_exact(&mut answer).unwrap();
        assert_eq!(&answer, b"-", "the packet with the wrong checksum is asked for again");
        drop(peer);
        assert!(client.read().is_err(), "a closed connection is an error, not a byte");
        assert!(client.has_news());
    }

    #[test]
    fn replies_are_framed_with_their_checksum() {
        assert_eq!(frame("OK"), "$OK#9a");
        assert_eq!(frame(""), "$#00");
    }
}
