//! Moving a message from sender to receiver: register words, memory dwords,
//! string items (gathered and scattered by their `c` bits) and fpages.
//!
//! All or nothing: a probe reads every dope and checks every page of every
//! dword and string in both spaces before anything is copied. A page that is
//! not there (or not writable, on the receiver's side) comes back as a
//! [`Transfer::Fault`]; the IPC code turns it into a page-fault RPC to the
//! pager of that space and retries the whole transfer afterwards. Nothing
//! has been changed, so a retry is exact.

use crate::Kernel;
use crate::hardware::Hardware;
use crate::thread::{Tcb, flag, register};
use ia32::abi::{Fpage, MessageDope, ReceiveDescriptor, ResultWord, SendDescriptor, ThreadId, ipc_error, message};
use ia32::{PAGE_SIZE, VirtAddr};

/// Most string items per message (5-bit count).
const MAX_STRINGS: u32 = 31;
/// Most dwords per message we accept (a 4 MB message).
const MAX_DWORDS: u32 = 1 << 20;

/// What a transfer did.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Transfer {
    Done {
        /// The receiver's result word (EAX) and the sender's.
        receiver_result: u32,
        sender_result: u32,
        words: [u32; 3],
        dwords: u32,
        strings: u32,
        fpages: u32,
    },
    /// A page is missing in `thread`'s space (sender or receiver TCB index).
    Fault { thread: u16, address: u32, write: bool },
}

/// The sending side of an IPC, as the TCB describes it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Outgoing {
    pub descriptor: SendDescriptor,
    pub words: [u32; 3],
}

impl Outgoing {
    pub fn of(tcb: &Tcb) -> Self {
        if tcb.flags & flag::PAGE_FAULT != 0 {
            // The kernel's page-fault IPC: address (bit 1: write), EIP, 0.
            Self { descriptor: SendDescriptor(0), words: [tcb.fault_address, tcb.frame.eip, 0] }
        } else {
            let frame = &tcb.frame;
            Self {
                descriptor: SendDescriptor(frame.get(register::EAX)),
                words: [frame.get(register::EDX), frame.get(register::EBX), frame.get(register::EDI)],
            }
        }
    }
}

/// A memory message's header, read from its space.
#[derive(Clone, Copy, Debug, Default)]
struct Header {
    window: Fpage,
    size: MessageDope,
    send: MessageDope,
}

/// One piece of a string: an address and a length.
#[derive(Clone, Copy, Debug, Default)]
struct Piece {
    address: u32,
    length: u32,
    /// Continues the previous piece's logical string.
    continued: bool,
    /// Where the receive dope of this piece lies (to write back the received size).
    dope: u32,
}

enum Problem {
    Fault { thread: u16, address: u32, write: bool },
}

impl Kernel {
    /// Read user memory of the task `thread` belongs to.
    pub(crate) fn read_user<H: Hardware>(
        &self,
        hardware: &mut H,
        thread: u16,
        address: u32,
        buffer: &mut [u8],
    ) -> Result<(), u32> {
        let directory = self.directory_of(self.threads.tcb(thread).id.task()).ok_or(address)?;
        let mut done = 0usize;
        while done < buffer.len() {
            let at = address.wrapping_add(done as u32);
            if at >= crate::layout::USER_LIMIT {
                return Err(at);
            }
            let (physical, _) = self.spaces.translate(hardware, directory, VirtAddr(at)).ok_or(at)?;
            let chunk = (PAGE_SIZE - (at & (PAGE_SIZE - 1))) as usize;
            let take = chunk.min(buffer.len() - done);
            hardware.read_physical(physical, &mut buffer[done..done + take]);
            done += take;
        }
        Ok(())
    }

    pub(crate) fn read_user_u32<H: Hardware>(&self, hardware: &mut H, thread: u16, address: u32) -> Result<u32, u32> {
        let mut bytes = [0u8; 4];
        self.read_user(hardware, thread, address, &mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    /// Write user memory (the pages must be writable).
    pub(crate) fn write_user<H: Hardware>(
        &self,
        hardware: &mut H,
        thread: u16,
        address: u32,
        data: &[u8],
    ) -> Result<(), u32> {
        let directory = self.directory_of(self.threads.tcb(thread).id.task()).ok_or(address)?;
        let mut done = 0usize;
        while done < data.len() {
            let at = address.wrapping_add(done as u32);
            if at >= crate::layout::USER_LIMIT {
                return Err(at);
            }
            let (physical, writable) = self.spaces.translate(hardware, directory, VirtAddr(at)).ok_or(at)?;
            if !writable {
                return Err(at);
            }
            let chunk = (PAGE_SIZE - (at & (PAGE_SIZE - 1))) as usize;
            let take = chunk.min(data.len() - done);
            hardware.write_physical(physical, &data[done..done + take]);
            done += take;
        }
        Ok(())
    }

    /// Check that [address, address + length) is mapped (writable if asked).
    fn probe<H: Hardware>(
        &self,
        hardware: &mut H,
        thread: u16,
        address: u32,
        length: u32,
        write: bool,
    ) -> Result<(), Problem> {
        if length == 0 {
            return Ok(());
        }
        let fault = |at: u32| Problem::Fault { thread, address: at, write };
        let directory = self.directory_of(self.threads.tcb(thread).id.task()).ok_or(fault(address))?;
        let end = address as u64 + length as u64;
        if end > crate::layout::USER_LIMIT as u64 {
            return Err(fault(address));
        }
        let mut page = address & !(PAGE_SIZE - 1);
        while (page as u64) < end {
            match self.spaces.translate(hardware, directory, VirtAddr(page)) {
                Some((_, writable)) if writable || !write => {}
                _ => return Err(fault(page.max(address))),
            }
            page = page.wrapping_add(PAGE_SIZE);
            if page == 0 {
                break;
            }
        }
        Ok(())
    }

    fn header<H: Hardware>(&self, hardware: &mut H, thread: u16, address: u32) -> Result<Header, Problem> {
        let mut raw = [0u8; 12];
        self.read_user(hardware, thread, address, &mut raw).map_err(|at| Problem::Fault {
            thread,
            address: at,
            write: false,
        })?;
        let word = |index: usize| {
            u32::from_le_bytes([raw[index * 4], raw[index * 4 + 1], raw[index * 4 + 2], raw[index * 4 + 3]])
        };
        Ok(Header { window: Fpage(word(0)), size: MessageDope(word(1)), send: MessageDope(word(2)) })
    }

    /// The string pieces of a message: `count` dopes at `dopes` in `thread`'s
    /// space. Sender pieces are the send halves, receiver pieces the receive halves.
    fn pieces<H: Hardware>(
        &self,
        hardware: &mut H,
        thread: u16,
        dopes: u32,
        count: u32,
        receiving: bool,
        out: &mut [Piece; MAX_STRINGS as usize],
    ) -> Result<usize, Problem> {
        let count = count.min(MAX_STRINGS);
        for index in 0..count {
            let at = dopes.wrapping_add(index * message::STRING_DOPE_SIZE);
            let mut raw = [0u8; 16];
            self.read_user(hardware, thread, at, &mut raw).map_err(|fault| Problem::Fault {
                thread,
                address: fault,
                write: false,
            })?;
            let word = |slot: usize| {
                u32::from_le_bytes([raw[slot * 4], raw[slot * 4 + 1], raw[slot * 4 + 2], raw[slot * 4 + 3]])
            };
            let (size, address) = if receiving { (word(2), word(3)) } else { (word(0), word(1)) };
            out[index as usize] = Piece {
                address,
                length: (size & !message::STRING_CONTINUE).min(message::MAX_STRING),
                continued: index > 0 && size & message::STRING_CONTINUE != 0,
                dope: at,
            };
        }
        Ok(count as usize)
    }

    /// Transfer the message of `sender` to `receiver`. `source` is the id the
    /// receiver sees (the sender, or a propagatee), `flags` the r/i/d bits.
    pub(crate) fn transfer<H: Hardware>(
        &mut self,
        hardware: &mut H,
        sender: u16,
        receiver: u16,
        flags: u32,
    ) -> Transfer {
        match self.try_transfer(hardware, sender, receiver, flags) {
            Ok(done) => done,
            Err(Problem::Fault { thread, address, write }) => Transfer::Fault { thread, address, write },
        }
    }

    fn try_transfer<H: Hardware>(
        &mut self,
        hardware: &mut H,
        sender: u16,
        receiver: u16,
        flags: u32,
    ) -> Result<Transfer, Problem> {
        let outgoing = Outgoing::of(self.threads.tcb(sender));
        let receiving = ReceiveDescriptor(self.threads.tcb(receiver).receive_descriptor);
        // The common case first: three words in registers, nothing to map.
        if outgoing.descriptor.message_address() == 0 && !outgoing.descriptor.maps() {
            let buffer = receiving.buffer_address();
            if receiving.is_map_window() || buffer < 4 {
                return Ok(Transfer::Done {
                    receiver_result: ResultWord::new(0, 0, flags).0,
                    sender_result: 0,
                    words: outgoing.words,
                    dwords: 0,
                    strings: 0,
                    fpages: 0,
                });
            }
        }
        let from = self.threads.tcb(sender).id;
        let to = self.threads.tcb(receiver).id;
        let mut receiver_error = 0;
        let mut sender_error = 0;
        let words = outgoing.words;
        // The receiver's side: a map window, or a memory buffer.
        let buffer = receiving.buffer_address();
        let receive_header = if buffer >= 4 { Some(self.header(hardware, receiver, buffer)?) } else { None };
        let window = if receiving.is_map_window() {
            Some(receiving.window())
        } else {
            receive_header.map(|header| header.window).filter(|window| window.raw() != 0)
        };
        // The sender's side: a memory message.
        let send_address = outgoing.descriptor.message_address();
        let send_header = if send_address != 0 { Some(self.header(hardware, sender, send_address)?) } else { None };
        let send_dwords = send_header.map_or(message::REGISTER_DWORDS, |header| {
            header.send.dwords().clamp(message::REGISTER_DWORDS, MAX_DWORDS)
        });
        let send_strings = send_header.map_or(0, |header| header.send.strings());
        let receive_dwords = receive_header.map_or(message::REGISTER_DWORDS, |header| {
            header.size.dwords().clamp(message::REGISTER_DWORDS, MAX_DWORDS)
        });
        let receive_strings = receive_header.map_or(0, |header| header.size.strings());
        // Dwords beyond the three in registers.
        let dwords = if send_dwords > receive_dwords {
            receiver_error = ipc_error::RECEIVE_CUT;
            sender_error = ipc_error::SEND_CUT;
            receive_dwords
        } else {
            send_dwords
        };
        let memory_dwords = dwords - message::REGISTER_DWORDS;
        if memory_dwords > 0 {
            self.probe(hardware, sender, send_address + message::DWORDS + 12, memory_dwords * 4, false)?;
            self.probe(hardware, receiver, buffer + message::DWORDS + 12, memory_dwords * 4, true)?;
        }
        // Strings: read both dope lists and check every page first.
        let mut send_pieces = [Piece::default(); MAX_STRINGS as usize];
        let mut receive_pieces = [Piece::default(); MAX_STRINGS as usize];
        let mut send_count = 0;
        let mut receive_count = 0;
        if send_strings > 0 {
            let size = send_header.map_or(MessageDope(0), |header| header.size);
            let send_dopes = send_address + message::DWORDS + 4 * size.dwords().max(message::REGISTER_DWORDS);
            send_count = self.pieces(hardware, sender, send_dopes, send_strings, false, &mut send_pieces)?;
            if let Some(header) = receive_header {
                let receive_dopes = buffer + message::DWORDS + 4 * header.size.dwords().max(message::REGISTER_DWORDS);
                receive_count =
                    self.pieces(hardware, receiver, receive_dopes, receive_strings, true, &mut receive_pieces)?;
            }
            for piece in &send_pieces[..send_count] {
                self.probe(hardware, sender, piece.address, piece.length, false)?;
            }
            for piece in &receive_pieces[..receive_count] {
                self.probe(hardware, receiver, piece.address, piece.length, true)?;
                self.probe(hardware, receiver, piece.dope, message::STRING_DOPE_SIZE, true)?;
            }
        }
        // Everything is there: perform.
        if memory_dwords > 0 {
            let mut chunk = [0u8; 256];
            let mut done = 0;
            let total = memory_dwords * 4;
            while done < total {
                let take = (total - done).min(chunk.len() as u32);
                let from_address = send_address + message::DWORDS + 12 + done;
                let to_address = buffer + message::DWORDS + 12 + done;
                let _ = self.read_user(hardware, sender, from_address, &mut chunk[..take as usize]);
                let _ = self.write_user(hardware, receiver, to_address, &chunk[..take as usize]);
                done += take;
            }
        }
        let strings = self.copy_strings(
            hardware,
            sender,
            receiver,
            &send_pieces[..send_count],
            &mut receive_pieces[..receive_count],
            &mut receiver_error,
            &mut sender_error,
        );
        // Fpages: (hot spot, fpage) pairs in w0/w1, then in the memory dwords.
        let mut fpages = 0;
        let mut mapped_flag = 0;
        if outgoing.descriptor.maps() {
            match window {
                None => {
                    // A map sent to a receiver without a window: a cut, for the receiver (Hazelnut).
                    receiver_error = ipc_error::RECEIVE_CUT;
                }
                Some(window) => {
                    // Pairs are dwords (2p, 2p+1): (w0, w1), (w2, dword 3), (dword 4, dword 5)…
                    let mut pair = 0u32;
                    loop {
                        if 2 * pair + 1 >= dwords {
                            break;
                        }
                        let mut dword = |index: u32| -> u32 {
                            if index < message::REGISTER_DWORDS {
                                words[index as usize]
                            } else {
                                self.read_user_u32(hardware, sender, send_address + message::DWORDS + 4 * index)
                                    .unwrap_or(0)
                            }
                        };
                        let hot_spot = dword(2 * pair);
                        let fpage = Fpage(dword(2 * pair + 1));
                        if fpage.raw() == 0 || !(fpage.is_valid_memory() || fpage.is_io()) {
                            break;
                        }
                        let result = if fpage.is_io() {
                            self.map_io_fpage(hardware, from, to, fpage, window)
                        } else {
                            self.map_fpage(hardware, from, to, fpage, hot_spot, window)
                        };
                        match result {
                            Ok(count) => fpages += count,
                            Err(_) => {
                                receiver_error = ipc_error::RECEIVE_MAP_FAILED;
                                sender_error = ipc_error::SEND_MAP_FAILED;
                                break;
                            }
                        }
                        pair += 1;
                        if pair > 256 {
                            break;
                        }
                    }
                    mapped_flag = ResultWord::MAPPED;
                }
            }
        }
        let received_dwords = if send_address != 0 { dwords } else { 0 };
        let receiver_result = ResultWord::new(received_dwords, strings, mapped_flag | flags).0 | receiver_error;
        Ok(Transfer::Done {
            receiver_result,
            sender_result: sender_error,
            words,
            dwords: received_dwords,
            strings,
            fpages,
        })
    }

    /// Copy the logical strings (gather on the sender's side, scatter on the
    /// receiver's) and write back the received sizes into the receive dopes.
    #[allow(clippy::too_many_arguments)]
    fn copy_strings<H: Hardware>(
        &mut self,
        hardware: &mut H,
        sender: u16,
        receiver: u16,
        send: &[Piece],
        receive: &mut [Piece],
        receiver_error: &mut u32,
        sender_error: &mut u32,
    ) -> u32 {
        if send.is_empty() {
            return 0;
        }
        // Group into logical strings: a piece starts one unless it is continued.
        let groups = |pieces: &[Piece], start: usize| -> usize {
            let mut end = start + 1;
            while end < pieces.len() && pieces[end].continued {
                end += 1;
            }
            end
        };
        let mut send_index = 0;
        let mut receive_index = 0;
        let mut strings = 0;
        let mut received = [0u32; MAX_STRINGS as usize];
        while send_index < send.len() {
            let send_end = groups(send, send_index);
            if receive_index >= receive.len() {
                *receiver_error = ipc_error::RECEIVE_CUT;
                *sender_error = ipc_error::SEND_CUT;
                break;
            }
            let receive_end = groups(receive, receive_index);
            // Stream bytes from the send pieces into the receive pieces.
            let (mut from_piece, mut from_offset) = (send_index, 0u32);
            let (mut to_piece, mut to_offset) = (receive_index, 0u32);
            let mut chunk = [0u8; 256];
            while from_piece < send_end {
                let available = send[from_piece].length - from_offset;
                if available == 0 {
                    from_piece += 1;
                    from_offset = 0;
                    continue;
                }
                if to_piece >= receive_end {
                    *receiver_error = ipc_error::RECEIVE_CUT;
                    *sender_error = ipc_error::SEND_CUT;
                    break;
                }
                let room = receive[to_piece].length - to_offset;
                if room == 0 {
                    to_piece += 1;
                    to_offset = 0;
                    continue;
                }
                let take = available.min(room).min(chunk.len() as u32);
                let _ = self.read_user(
                    hardware,
                    sender,
                    send[from_piece].address + from_offset,
                    &mut chunk[..take as usize],
                );
                let _ =
                    self.write_user(hardware, receiver, receive[to_piece].address + to_offset, &chunk[..take as usize]);
                received[to_piece] += take;
                from_offset += take;
                to_offset += take;
            }
            strings += 1;
            send_index = send_end;
            receive_index = receive_end;
        }
        // After receipt each receive dope holds the bytes received and the buffer address.
        for (index, piece) in receive.iter().enumerate() {
            let size = received[index] | if piece.continued { message::STRING_CONTINUE } else { 0 };
            let _ = self.write_user(hardware, receiver, piece.dope, &size.to_le_bytes());
            let _ = self.write_user(hardware, receiver, piece.dope + 4, &piece.address.to_le_bytes());
        }
        strings
    }

    /// Map an I/O fpage: ports go 1:1 into the receiver's I/O bitmap.
    pub(crate) fn map_io_fpage<H: Hardware>(
        &mut self,
        hardware: &mut H,
        from: ThreadId,
        to: ThreadId,
        fpage: Fpage,
        window: Fpage,
    ) -> Result<u32, crate::memory::MapError> {
        // The window must be an I/O window too (or the whole space, which covers everything).
        let accepts = window.is_io() || window.log2_size() >= 32;
        if !accepts {
            return Ok(0);
        }
        self.grant_ports(hardware, from, to, fpage)
    }
}
