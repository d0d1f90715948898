//! A small client of the GDB remote serial protocol, enough to drive QEMU's
//! gdbstub: read registers and memory, set breakpoints, continue and
//! single-step. (Used by `cargo xtask calibrate` to count the kernel's
//! instructions exactly, one step at a time.)

use crate::{Result, TaskError};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A connection to a gdbstub.
#[derive(Debug)]
pub struct Gdb {
    stream: TcpStream,
    buffer: Vec<u8>,
}

/// i386 register numbers in the protocol.
pub mod register {
    pub const EIP: u32 = 8;
    pub const CS: u32 = 10;
}

fn checksum(data: &[u8]) -> u8 {
    data.iter().fold(0u8, |sum, byte| sum.wrapping_add(*byte))
}

fn hex_to_bytes(text: &str) -> Result<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return Err(TaskError::new(format!("gdb: odd-length hex reply `{text}`")));
    }
    (0..text.len())
        .step_by(2)
        .map(|index| {
            u8::from_str_radix(&text[index..index + 2], 16)
                .map_err(|_| TaskError::new(format!("gdb: bad hex in reply `{text}`")))
        })
        .collect()
}

impl Gdb {
    /// Connect, retrying while QEMU starts up.
    pub fn connect(address: &str, timeout: Duration) -> Result<Self> {
        let started = Instant::now();
        loop {
            match TcpStream::connect(address) {
                Ok(stream) => {
                    stream.set_nodelay(true)?;
                    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
                    return Ok(Self { stream, buffer: Vec::new() });
                }
                Err(error) if started.elapsed() < timeout => {
                    let _ = error;
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(error) => return Err(TaskError::new(format!("cannot reach QEMU's gdbstub at {address}: {error}"))),
            }
        }
    }

    fn send(&mut self, packet: &str) -> Result<()> {
        let frame = format!("${packet}#{:02x}", checksum(packet.as_bytes()));
        self.stream.write_all(frame.as_bytes())?;
        Ok(())
    }

    /// Read one packet (acknowledging it), skipping acks and notifications.
    fn receive(&mut self) -> Result<String> {
        loop {
            if let Some(start) = self.buffer.iter().position(|byte| *byte == b'$')
                && let Some(hash) = self.buffer[start..].iter().position(|byte| *byte == b'#')
                && self.buffer.len() >= start + hash + 3
            {
                let body = self.buffer[start + 1..start + hash].to_vec();
                self.buffer.drain(..start + hash + 3);
                self.stream.write_all(b"+")?;
                return String::from_utf8(body).map_err(|_| TaskError::new("gdb: a reply that is not text"));
            }
            let mut chunk = [0u8; 4096];
            let count = self
                .stream
                .read(&mut chunk)
                .map_err(|error| TaskError::new(format!("gdb: reading from QEMU failed: {error}")))?;
            if count == 0 {
                return Err(TaskError::new("gdb: QEMU closed the connection (did the guest exit?)"));
            }
            self.buffer.extend_from_slice(&chunk[..count]);
        }
    }

    /// Send a command and return its reply.
    pub fn command(&mut self, packet: &str) -> Result<String> {
        self.send(packet)?;
        self.receive()
    }

    /// Read one 32-bit register (from the `g` packet: QEMU's i386 stub
    /// does not answer `p`).
    pub fn register(&mut self, number: u32) -> Result<u32> {
        let reply = self.command("g")?;
        let offset = number as usize * 8;
        let text = reply
            .get(offset..offset + 8)
            .ok_or_else(|| TaskError::new(format!("gdb: the register reply `{reply}` has no register {number}")))?;
        let bytes = hex_to_bytes(text)?;
        Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    /// Read guest memory (virtual addresses, as the CPU sees them now).
    pub fn memory(&mut self, address: u32, length: u32) -> Result<Vec<u8>> {
        let reply = self.command(&format!("m{address:x},{length:x}"))?;
        if reply.starts_with('E') {
            return Err(TaskError::new(format!("gdb: cannot read {length} bytes at {address:#x} ({reply})")));
        }
        hex_to_bytes(&reply)
    }

    /// Insert a software breakpoint.
    pub fn break_at(&mut self, address: u32) -> Result<()> {
        let reply = self.command(&format!("Z0,{address:x},1"))?;
        if reply != "OK" {
            return Err(TaskError::new(format!("gdb: cannot set a breakpoint at {address:#x} ({reply})")));
        }
        Ok(())
    }

    /// Remove a software breakpoint.
    pub fn remove_break(&mut self, address: u32) -> Result<()> {
        let reply = self.command(&format!("z0,{address:x},1"))?;
        if reply != "OK" {
            return Err(TaskError::new(format!("gdb: cannot remove the breakpoint at {address:#x} ({reply})")));
        }
        Ok(())
    }

    /// Continue until the next stop; returns the stop reply.
    pub fn resume(&mut self) -> Result<String> {
        self.command("c")
    }

    /// Execute one instruction; returns the stop reply.
    pub fn step(&mut self) -> Result<String> {
        self.command("s")
    }
}
