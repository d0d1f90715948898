//! Moving a message from sender to receiver: register words, memory dwords,
//! string items (gathered and scattered by their `c` bits) and fpages.
//!
//! The memory dwords and the strings are one stream of bytes, copied page
//! by page. A page that is not there (or not writable, on the receiver's
//! side) stops the copy and comes back as a [`Transfer::Fault`]; the IPC
//! code turns it into a page-fault RPC to the pager of that space and
//! retries the transfer afterwards, which goes on from where the copy
//! stopped (the sender's `transfer_copied`). So a string whose every page
//! faults costs page lookups in proportion to its pages, not to their
//! square. What was copied before a transfer is aborted stays (X.0 leaves it
//! undefined); fpages are mapped only once everything is copied.

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
        // Both dope lists.
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
        }
        // Copy the memory dwords, then the strings, as one stream of bytes.
        // A missing page stops the copy there: the page-fault RPC follows,
        // and the retry goes on from where this one stopped (the sender's
        // `transfer_copied`), so every page is looked at a bounded number of
        // times whatever the number of faults ([X0M]: which parts of an
        // aborted message were transferred is not defined).
        let mut copied = self.threads.tcb(sender).transfer_copied;
        let dword_bytes = memory_dwords * 4;
        let result = self
            .copy_span(
                hardware,
                sender,
                send_address.wrapping_add(message::DWORDS + 12),
                receiver,
                buffer.wrapping_add(message::DWORDS + 12),
                dword_bytes,
                0,
                &mut copied,
            )
            .and_then(|()| {
                self.copy_strings(
                    hardware,
                    (sender, &send_pieces[..send_count]),
                    (receiver, &mut receive_pieces[..receive_count]),
                    dword_bytes,
                    &mut copied,
                )
            });
        self.threads.tcb_mut(sender).transfer_copied = copied;
        let (strings, cut) = result?;
        if cut {
            receiver_error = ipc_error::RECEIVE_CUT;
            sender_error = ipc_error::SEND_CUT;
        }
        // Everything is there: the transfer is done, whatever comes next.
        self.threads.tcb_mut(sender).transfer_copied = 0;
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

    /// Copy bytes [position, position + length) of a transfer's stream from
    /// `sender`'s `from` to `receiver`'s `to`, page by page, skipping what an
    /// earlier attempt copied (`copied`, advanced as bytes go). A page that
    /// is missing (or read-only in the receiver) stops the copy there.
    #[allow(clippy::too_many_arguments)]
    fn copy_span<H: Hardware>(
        &mut self,
        hardware: &mut H,
        sender: u16,
        from: u32,
        receiver: u16,
        to: u32,
        length: u32,
        position: u32,
        copied: &mut u32,
    ) -> Result<(), Problem> {
        let end = position as u64 + length as u64;
        if end <= *copied as u64 || length == 0 {
            return Ok(());
        }
        let skip = copied.saturating_sub(position);
        let (mut from, mut to, mut left) = (from.wrapping_add(skip), to.wrapping_add(skip), length - skip);
        let missing = |thread: u16, address: u32, write: bool| Problem::Fault { thread, address, write };
        let source_directory =
            self.directory_of(self.threads.tcb(sender).id.task()).ok_or(missing(sender, from, false))?;
        let target_directory =
            self.directory_of(self.threads.tcb(receiver).id.task()).ok_or(missing(receiver, to, true))?;
        let mut chunk = [0u8; 256];
        while left > 0 {
            if from >= crate::layout::USER_LIMIT {
                return Err(missing(sender, from, false));
            }
            if to >= crate::layout::USER_LIMIT {
                return Err(missing(receiver, to, true));
            }
            self.statistics.transfer_page_lookups += 1;
            let (source, _) = self
                .spaces
                .translate(hardware, source_directory, VirtAddr(from))
                .ok_or(missing(sender, from, false))?;
            self.statistics.transfer_page_lookups += 1;
            let target = match self.spaces.translate(hardware, target_directory, VirtAddr(to)) {
                Some((target, true)) => target,
                _ => return Err(missing(receiver, to, true)),
            };
            let in_pages = (PAGE_SIZE - (from & (PAGE_SIZE - 1))).min(PAGE_SIZE - (to & (PAGE_SIZE - 1)));
            let step = left.min(in_pages);
            let mut done = 0;
            while done < step {
                let take = (step - done).min(chunk.len() as u32) as usize;
                hardware.read_physical(source.offset(done), &mut chunk[..take]);
                hardware.write_physical(target.offset(done), &chunk[..take]);
                done += take as u32;
            }
            from = from.wrapping_add(step);
            to = to.wrapping_add(step);
            left -= step;
            *copied += step;
        }
        Ok(())
    }

    /// Copy the logical strings (gather on the sender's side, scatter on the
    /// receiver's), from stream position `position` on, and write back the
    /// received sizes into the receive dopes. Returns the number of strings
    /// and whether the receiver's buffers cut the message.
    fn copy_strings<H: Hardware>(
        &mut self,
        hardware: &mut H,
        (sender, send): (u16, &[Piece]),
        (receiver, receive): (u16, &mut [Piece]),
        mut position: u32,
        copied: &mut u32,
    ) -> Result<(u32, bool), Problem> {
        if send.is_empty() {
            return Ok((0, false));
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
        let mut cut = false;
        let mut received = [0u32; MAX_STRINGS as usize];
        while send_index < send.len() {
            let send_end = groups(send, send_index);
            if receive_index >= receive.len() {
                cut = true;
                break;
            }
            let receive_end = groups(receive, receive_index);
            // Stream bytes from the send pieces into the receive pieces.
            let (mut from_piece, mut from_offset) = (send_index, 0u32);
            let (mut to_piece, mut to_offset) = (receive_index, 0u32);
            while from_piece < send_end {
                let available = send[from_piece].length - from_offset;
                if available == 0 {
                    from_piece += 1;
                    from_offset = 0;
                    continue;
                }
                if to_piece >= receive_end {
                    cut = true;
                    break;
                }
                let room = receive[to_piece].length - to_offset;
                if room == 0 {
                    to_piece += 1;
                    to_offset = 0;
                    continue;
                }
                let take = available.min(room);
                self.copy_span(
                    hardware,
                    sender,
                    send[from_piece].address.wrapping_add(from_offset),
                    receiver,
                    receive[to_piece].address.wrapping_add(to_offset),
                    take,
                    position,
                    copied,
                )?;
                position = position.wrapping_add(take);
                received[to_piece] += take;
                from_offset += take;
                to_offset += take;
            }
            strings += 1;
            send_index = send_end;
            receive_index = receive_end;
        }
        // After receipt each receive dope holds the bytes received and the
        // buffer address (its page must be there and writable first).
        for (index, piece) in receive.iter().enumerate() {
            let size = received[index] | if piece.continued { message::STRING_CONTINUE } else { 0 };
            let mut dope = [0u8; 8];
            dope[..4].copy_from_slice(&size.to_le_bytes());
            dope[4..].copy_from_slice(&piece.address.to_le_bytes());
            self.write_user(hardware, receiver, piece.dope, &dope).map_err(|address| Problem::Fault {
                thread: receiver,
                address,
                write: true,
            })?;
        }
        Ok((strings, cut))
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
