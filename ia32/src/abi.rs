//! The L4/x86 Version X.0 binary interface: the bit layouts of thread ids,
//! flexpages, timeouts, IPC descriptors, message dopes and result words, the
//! system-call vectors and the kernel-info-page offsets.
//!
//! Source of truth: `../shared/L4-X86-ABI.md` (Liedtke's X.0 reference manual
//! and the Hazelnut headers). Our choices where the sources disagree are
//! recorded in `docs/ABI.md`.

/// System-call vectors (`int 0x30` … `int 0x36`).
pub mod syscall {
    pub const IPC: u8 = 0x30;
    pub const ID_NEAREST: u8 = 0x31;
    pub const FPAGE_UNMAP: u8 = 0x32;
    pub const THREAD_SWITCH: u8 = 0x33;
    pub const THREAD_SCHEDULE: u8 = 0x34;
    pub const LTHREAD_EX_REGS: u8 = 0x35;
    pub const TASK_NEW: u8 = 0x36;

    /// The name of a system-call vector, for events and the explorer.
    pub const fn name(vector: u8) -> &'static str {
        match vector {
            IPC => "ipc",
            ID_NEAREST => "id_nearest",
            FPAGE_UNMAP => "fpage_unmap",
            THREAD_SWITCH => "thread_switch",
            THREAD_SCHEDULE => "thread_schedule",
            LTHREAD_EX_REGS => "lthread_ex_regs",
            TASK_NEW => "task_new",
            _ => "unknown",
        }
    }
}

/// Number of tasks an X.0 id can name (task field is 8 bits; task 0 is the kernel).
pub const TASK_COUNT: usize = 256;
/// Number of lthreads per task (6-bit field).
pub const LTHREADS_PER_TASK: usize = 64;
/// Highest user-space address + 1 for large spaces (Hazelnut's user limit).
pub const USER_LIMIT: u32 = 0xC000_0000;
/// The small-space area: 512 MB from 0xC0000000.
pub const SMALL_SPACE_AREA: u32 = 0xC000_0000;
pub const SMALL_SPACE_AREA_SIZE: u32 = 0x2000_0000;

/// A 32-bit X.0 thread id: version [0..9], lthread [10..15], task [16..23], chief [24..31].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ThreadId(pub u32);

impl ThreadId {
    pub const NIL: ThreadId = ThreadId(0);
    pub const INVALID: ThreadId = ThreadId(0xFFFF_FFFF);
    /// sigma0: task 2, chief 4, version 1.
    pub const SIGMA0: ThreadId = ThreadId(0x0402_0001);
    /// The root task's first thread: task 4, chief 4, version 1.
    pub const ROOT_TASK: ThreadId = ThreadId(0x0404_0001);

    pub const fn new(task: u8, lthread: u8, version: u16, chief: u8) -> Self {
        Self(
            (version as u32 & 0x3FF) | ((lthread as u32 & 0x3F) << 10) | ((task as u32) << 16) | ((chief as u32) << 24),
        )
    }
    /// The id IPC uses for hardware interrupt `irq`: irq+1, every other bit 0.
    pub const fn interrupt(irq: u8) -> Self {
        Self(irq as u32 + 1)
    }
    pub const fn raw(self) -> u32 {
        self.0
    }
    pub const fn version(self) -> u16 {
        (self.0 & 0x3FF) as u16
    }
    pub const fn lthread(self) -> u8 {
        ((self.0 >> 10) & 0x3F) as u8
    }
    pub const fn task(self) -> u8 {
        ((self.0 >> 16) & 0xFF) as u8
    }
    pub const fn chief(self) -> u8 {
        (self.0 >> 24) as u8
    }
    pub const fn is_nil(self) -> bool {
        self.0 == 0
    }
    pub const fn is_invalid(self) -> bool {
        self.0 == 0xFFFF_FFFF
    }
    /// Task 0 with a nonzero low part below 0x400: an interrupt id (irq+1).
    pub const fn interrupt_number(self) -> Option<u8> {
        if self.0 != 0 && self.0 <= 0x3F { Some((self.0 - 1) as u8) } else { None }
    }
    /// The same id with lthread 0: the task id.
    pub const fn task_id(self) -> Self {
        Self(self.0 & !(0x3F << 10))
    }
    pub const fn with_lthread(self, lthread: u8) -> Self {
        Self((self.0 & !(0x3F << 10)) | ((lthread as u32 & 0x3F) << 10))
    }
    pub const fn with_version(self, version: u16) -> Self {
        Self((self.0 & !0x3FF) | (version as u32 & 0x3FF))
    }
    pub const fn with_chief(self, chief: u8) -> Self {
        Self((self.0 & 0x00FF_FFFF) | ((chief as u32) << 24))
    }
}

impl core::fmt::Debug for ThreadId {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.is_nil() {
            write!(formatter, "nil")
        } else if self.is_invalid() {
            write!(formatter, "invalid")
        } else if let Some(irq) = self.interrupt_number() {
            write!(formatter, "irq{irq}")
        } else {
            write!(formatter, "{:x}.{:x}", self.task(), self.lthread())
        }
    }
}
impl core::fmt::Display for ThreadId {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self, formatter)
    }
}

/// A flexpage: g [0], w [1], log2 size [2..7], base/4K [12..31]; an IO fpage
/// has 0xF in [28..31] and the port in [12..27].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct Fpage(pub u32);

impl Fpage {
    pub const GRANT: u32 = 1 << 0;
    pub const WRITE: u32 = 1 << 1;
    /// The whole user space: base 0, size 2^32.
    pub const WHOLE_SPACE: Fpage = Fpage(32 << 2);

    pub const fn new(base: u32, log2_size: u8, writable: bool, grant: bool) -> Self {
        Self((base & 0xFFFF_F000) | ((log2_size as u32 & 0x3F) << 2) | ((writable as u32) << 1) | grant as u32)
    }
    /// An IO flexpage covering 2^log2_size ports from `port`.
    pub const fn io(port: u16, log2_size: u8, writable: bool, grant: bool) -> Self {
        Self(
            0xF000_0000
                | ((port as u32) << 12)
                | ((log2_size as u32 & 0x3F) << 2)
                | ((writable as u32) << 1)
                | grant as u32,
        )
    }
    pub const fn raw(self) -> u32 {
        self.0
    }
    pub const fn is_grant(self) -> bool {
        self.0 & Self::GRANT != 0
    }
    pub const fn is_writable(self) -> bool {
        self.0 & Self::WRITE != 0
    }
    pub const fn log2_size(self) -> u8 {
        ((self.0 >> 2) & 0x3F) as u8
    }
    pub const fn is_io(self) -> bool {
        self.0 >> 28 == 0xF
    }
    pub const fn io_port(self) -> u16 {
        ((self.0 >> 12) & 0xFFFF) as u16
    }
    /// The base address, aligned down to the fpage size (the low bits of the
    /// written base are ignored, as the manual says the base is size-aligned).
    pub const fn base(self) -> u32 {
        let size = self.log2_size();
        if size >= 32 {
            0
        } else if size <= 12 {
            self.0 & 0xFFFF_F000
        } else {
            self.0 & !((1u32 << size) - 1)
        }
    }
    /// Size in bytes, as u64 so 2^32 fits.
    pub const fn size(self) -> u64 {
        let size = self.log2_size();
        if size > 32 { 1 << 32 } else { 1u64 << size }
    }
    /// A memory fpage the kernel can act on: 4 KB ≤ size ≤ 4 GB.
    pub const fn is_valid_memory(self) -> bool {
        !self.is_io() && self.log2_size() >= 12 && self.log2_size() <= 32
    }
}

/// One IPC timeout, decoded: `None` = infinite, `Some(µs)`.
pub type Microseconds = Option<u64>;

/// The timeout word (ECX): e_r [0..3], e_s [4..7], p_r [8..11], p_s [12..15], m_s [16..23], m_r [24..31].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct Timeouts(pub u32);

impl Timeouts {
    pub const INFINITE: Timeouts = Timeouts(0);
    /// Send ∞, receive 0 (poll).
    pub const RECEIVE_POLL: Timeouts = Timeouts(0x0000_0001);
    /// Send 0, receive 0.
    pub const POLL: Timeouts = Timeouts(0x0000_0011);

    pub const fn receive_exponent(self) -> u32 {
        self.0 & 0xF
    }
    pub const fn send_exponent(self) -> u32 {
        (self.0 >> 4) & 0xF
    }
    pub const fn receive_pagefault_exponent(self) -> u32 {
        (self.0 >> 8) & 0xF
    }
    pub const fn send_pagefault_exponent(self) -> u32 {
        (self.0 >> 12) & 0xF
    }
    pub const fn send_mantissa(self) -> u32 {
        (self.0 >> 16) & 0xFF
    }
    pub const fn receive_mantissa(self) -> u32 {
        self.0 >> 24
    }
    /// Send timeout: e=0 → ∞, else 4^(15−e)·m µs.
    pub const fn send(self) -> Microseconds {
        Self::decode(self.send_exponent(), self.send_mantissa())
    }
    pub const fn receive(self) -> Microseconds {
        Self::decode(self.receive_exponent(), self.receive_mantissa())
    }
    /// Pagefault timeouts: p=0 → ∞, p=15 → 0, else 4^(15−p) µs.
    pub const fn send_pagefault(self) -> Microseconds {
        Self::decode_pagefault(self.send_pagefault_exponent())
    }
    pub const fn receive_pagefault(self) -> Microseconds {
        Self::decode_pagefault(self.receive_pagefault_exponent())
    }
    const fn decode(exponent: u32, mantissa: u32) -> Microseconds {
        if exponent == 0 { None } else { Some((mantissa as u64) << (2 * (15 - exponent))) }
    }
    const fn decode_pagefault(exponent: u32) -> Microseconds {
        match exponent {
            0 => None,
            15 => Some(0),
            _ => Some(1u64 << (2 * (15 - exponent))),
        }
    }
    /// The timeouts of the kernel's page-fault RPC for a transfer fault: the
    /// pagefault timeout with exponent `p` as both its send and its receive
    /// timeout (p=0 → ∞, p=15 → 0, else 4^(15−p) µs).
    pub const fn pagefault_rpc(p: u32) -> Self {
        let p = p & 0xF;
        let (exponent, mantissa) = match p {
            0 => (0, 0),
            15 => (15, 0),
            _ => (p, 1),
        };
        Self(exponent | (exponent << 4) | (mantissa << 16) | (mantissa << 24))
    }
    /// Encode a send and a receive timeout (pagefault timeouts ∞). `None` = ∞.
    /// Chooses the smallest exponent-mantissa pair that is at least the request.
    pub const fn encode(send: Microseconds, receive: Microseconds) -> Self {
        let (send_exponent, send_mantissa) = Self::encode_one(send);
        let (receive_exponent, receive_mantissa) = Self::encode_one(receive);
        Self(receive_exponent | (send_exponent << 4) | (send_mantissa << 16) | (receive_mantissa << 24))
    }
    const fn encode_one(value: Microseconds) -> (u32, u32) {
        match value {
            None => (0, 0),
            Some(0) => (1, 0),
            Some(micros) => {
                let mut exponent = 15u32;
                while exponent >= 1 {
                    let unit = 1u64 << (2 * (15 - exponent));
                    let mantissa = micros.div_ceil(unit);
                    if mantissa <= 255 {
                        return (exponent, mantissa as u32);
                    }
                    exponent -= 1;
                }
                (1, 255)
            }
        }
    }
}

/// Send descriptor (EAX on ipc): 0xFFFFFFFF = no send; [2..31] = message
/// address/4 (0 = register-only); bit 1 m = map; bit 0 p = propagate/deceive.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct SendDescriptor(pub u32);

impl SendDescriptor {
    pub const NONE: SendDescriptor = SendDescriptor(0xFFFF_FFFF);
    pub const fn is_none(self) -> bool {
        self.0 == 0xFFFF_FFFF
    }
    pub const fn maps(self) -> bool {
        self.0 & 2 != 0
    }
    pub const fn propagates(self) -> bool {
        self.0 & 1 != 0
    }
    /// Message address, or 0 for a register-only message.
    pub const fn message_address(self) -> u32 {
        self.0 & !3
    }
}

/// Receive descriptor (EBP on ipc): 0xFFFFFFFF = no receive; bit 0 o = open;
/// bit 1 = rmap (the rest is a receive fpage); else [2..31] = buffer address/4.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct ReceiveDescriptor(pub u32);

impl ReceiveDescriptor {
    pub const NONE: ReceiveDescriptor = ReceiveDescriptor(0xFFFF_FFFF);
    pub const fn is_none(self) -> bool {
        self.0 == 0xFFFF_FFFF
    }
    pub const fn is_open(self) -> bool {
        self.0 & 1 != 0
    }
    /// Register-only receive into a flexpage window (no memory buffer).
    pub const fn is_map_window(self) -> bool {
        self.0 & 2 != 0
    }
    /// The receive window when `is_map_window`.
    pub const fn window(self) -> Fpage {
        Fpage(self.0 & !3)
    }
    /// Buffer address when not a map window (0 = registers only).
    pub const fn buffer_address(self) -> u32 {
        if self.is_map_window() { 0 } else { self.0 & !3 }
    }
}

/// A message dope (size dope at +4, send dope at +8 of a message):
/// [13..31] dwords, [8..12] strings, [0..7] ignored.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct MessageDope(pub u32);

impl MessageDope {
    pub const fn new(dwords: u32, strings: u32) -> Self {
        Self((dwords << 13) | ((strings & 0x1F) << 8))
    }
    pub const fn dwords(self) -> u32 {
        self.0 >> 13
    }
    pub const fn strings(self) -> u32 {
        (self.0 >> 8) & 0x1F
    }
}

/// Offsets inside a memory message or buffer.
pub mod message {
    pub const RECEIVE_FPAGE: u32 = 0;
    pub const SIZE_DOPE: u32 = 4;
    pub const SEND_DOPE: u32 = 8;
    /// dword 0 (EDX's slot; never touched in X.0).
    pub const DWORDS: u32 = 12;
    /// Number of dwords carried in registers (EDX, EBX, EDI).
    pub const REGISTER_DWORDS: u32 = 3;
    /// A string dope is 16 bytes: send size(+c bit 31), send address, receive size(+c), receive address.
    pub const STRING_DOPE_SIZE: u32 = 16;
    /// The c ("continue") bit in a string dope's size words.
    pub const STRING_CONTINUE: u32 = 1 << 31;
    /// Liedtke caps a string at 4 MB.
    pub const MAX_STRING: u32 = 4 << 20;
}

/// IPC error codes (the ec field, bits 4..7 of the result word). "+0x10" is the send phase.
pub mod ipc_error {
    pub const OK: u32 = 0x00;
    pub const NO_PARTNER: u32 = 0x10;
    pub const RECEIVE_TIMEOUT: u32 = 0x20;
    pub const SEND_TIMEOUT: u32 = 0x30;
    pub const RECEIVE_CANCELLED: u32 = 0x40;
    pub const SEND_CANCELLED: u32 = 0x50;
    pub const RECEIVE_MAP_FAILED: u32 = 0x60;
    pub const SEND_MAP_FAILED: u32 = 0x70;
    /// The send-pagefault timeout ran out (the sender's snd pf, bounding a
    /// page fault in the receiver's space during a transfer): the receiver's code…
    pub const SEND_PAGEFAULT_TIMEOUT_AT_RECEIVER: u32 = 0x80;
    /// … and the sender's.
    pub const SEND_PAGEFAULT_TIMEOUT_AT_SENDER: u32 = 0x90;
    /// The receive-pagefault timeout ran out (the receiver's rcv pf, bounding
    /// a page fault in the sender's space): the receiver's code…
    pub const RECEIVE_PAGEFAULT_TIMEOUT_AT_RECEIVER: u32 = 0xA0;
    /// … and the sender's.
    pub const RECEIVE_PAGEFAULT_TIMEOUT_AT_SENDER: u32 = 0xB0;
    pub const RECEIVE_ABORTED: u32 = 0xC0;
    pub const SEND_ABORTED: u32 = 0xD0;
    pub const RECEIVE_CUT: u32 = 0xE0;
    pub const SEND_CUT: u32 = 0xF0;
    /// The send-phase bit.
    pub const SEND_PHASE: u32 = 0x10;

    /// A readable name for an error code (with or without the send bit).
    pub const fn name(code: u32) -> &'static str {
        match code & 0xF0 {
            0x00 => "ok",
            0x10 => "no partner",
            0x20 => "receive timeout",
            0x30 => "send timeout",
            0x40 => "receive cancelled",
            0x50 => "send cancelled",
            0x60 => "receive map failed",
            0x70 => "send map failed",
            0x80 => "send pagefault timeout (receiver's side)",
            0x90 => "send pagefault timeout (sender's side)",
            0xA0 => "receive pagefault timeout (receiver's side)",
            0xB0 => "receive pagefault timeout (sender's side)",
            0xC0 => "receive aborted",
            0xD0 => "send aborted",
            0xE0 => "receive cut",
            _ => "send cut",
        }
    }
}

/// The result word returned in EAX by ipc: [13..31] dwords received,
/// [8..12] strings received, [4..7] error code, bit 3 i (inner clan),
/// bit 2 r (redirected), bit 1 m (fpages mapped), bit 0 d (deceived).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct ResultWord(pub u32);

impl ResultWord {
    pub const DECEIVED: u32 = 1 << 0;
    pub const MAPPED: u32 = 1 << 1;
    pub const REDIRECTED: u32 = 1 << 2;
    pub const INNER_CLAN: u32 = 1 << 3;

    pub const fn error(code: u32) -> Self {
        Self(code & 0xF0)
    }
    pub const fn new(dwords: u32, strings: u32, flags: u32) -> Self {
        Self((dwords << 13) | ((strings & 0x1F) << 8) | (flags & 0xF))
    }
    pub const fn error_code(self) -> u32 {
        self.0 & 0xF0
    }
    pub const fn dwords(self) -> u32 {
        self.0 >> 13
    }
    pub const fn strings(self) -> u32 {
        (self.0 >> 8) & 0x1F
    }
}

/// thread_schedule's parameter word: prio [0..7], small-space id [8..15],
/// state [16..19] (output), timeslice exponent [20..23], mantissa [24..31].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct ScheduleParameter(pub u32);

impl ScheduleParameter {
    /// "Only read": change nothing.
    pub const READ_ONLY: ScheduleParameter = ScheduleParameter(0xFFFF_FFFF);
    pub const fn priority(self) -> u8 {
        self.0 as u8
    }
    pub const fn small_space(self) -> u8 {
        (self.0 >> 8) as u8
    }
    pub const fn timeslice_exponent(self) -> u32 {
        (self.0 >> 20) & 0xF
    }
    pub const fn timeslice_mantissa(self) -> u32 {
        self.0 >> 24
    }
    /// Timeslice = 4^(15−e)·m µs.
    pub const fn timeslice(self) -> u64 {
        (self.timeslice_mantissa() as u64) << (2 * (15 - self.timeslice_exponent()))
    }
}

/// A small-space id: the lowest set bit k gives the size 4 MB·2^k, the bits
/// above k the slot number (offset = slot × size) in the small-space area.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct SmallSpaceId(pub u8);

impl SmallSpaceId {
    /// (size in bytes, offset in the area), or `None` for 0/0xFF ("no change")
    /// and for ids whose slot would lie beyond the 512 MB area.
    pub const fn window(self) -> Option<(u32, u32)> {
        if self.0 == 0 || self.0 == 0xFF || self.0 >= 128 {
            return None;
        }
        let k = self.0.trailing_zeros();
        let size = (4u32 << 20) << k;
        let slot = (self.0 as u32) >> (k + 1);
        let offset = slot * size;
        if offset as u64 + size as u64 > SMALL_SPACE_AREA_SIZE as u64 {
            return None;
        }
        Some((size, offset))
    }
    /// `l4_make_small_id(sz, num)` with size = 4 MB·2^(log2_units): ((num<<1)|1) << k.
    pub const fn make(log2_units: u8, slot: u8) -> Self {
        Self((((slot as u32) << 1 | 1) << log2_units) as u8)
    }
}

/// Kernel info page layout (offsets in the 4 KB page).
pub mod kip {
    /// 'L','4',0xE6,'K' — "L4µK".
    pub const MAGIC: u32 = 0x4BE6_344C;
    pub const OFFSET_MAGIC: u32 = 0x00;
    pub const OFFSET_VERSION: u32 = 0x04;
    pub const OFFSET_VERSION_STRING: u32 = 0x08;
    pub const OFFSET_KDEBUG_INIT: u32 = 0x10;
    pub const OFFSET_KDEBUG_EXCEPTION: u32 = 0x14;
    pub const OFFSET_KDEBUG_BEGIN: u32 = 0x18;
    pub const OFFSET_KDEBUG_END: u32 = 0x1C;
    pub const OFFSET_SIGMA0_ESP: u32 = 0x20;
    pub const OFFSET_SIGMA0_EIP: u32 = 0x24;
    pub const OFFSET_SIGMA0_LOW: u32 = 0x28;
    pub const OFFSET_SIGMA0_HIGH: u32 = 0x2C;
    pub const OFFSET_SIGMA1_ESP: u32 = 0x30;
    pub const OFFSET_ROOT_ESP: u32 = 0x40;
    pub const OFFSET_ROOT_EIP: u32 = 0x44;
    pub const OFFSET_ROOT_LOW: u32 = 0x48;
    pub const OFFSET_ROOT_HIGH: u32 = 0x4C;
    pub const OFFSET_L4_CONFIG: u32 = 0x50;
    pub const OFFSET_KDEBUG_CONFIG: u32 = 0x58;
    pub const OFFSET_KDEBUG_PERMISSIONS: u32 = 0x5C;
    pub const OFFSET_MAIN_MEMORY_LOW: u32 = 0x60;
    pub const OFFSET_MAIN_MEMORY_HIGH: u32 = 0x64;
    pub const OFFSET_RESERVED0_LOW: u32 = 0x68;
    pub const OFFSET_RESERVED0_HIGH: u32 = 0x6C;
    pub const OFFSET_RESERVED1_LOW: u32 = 0x70;
    pub const OFFSET_RESERVED1_HIGH: u32 = 0x74;
    /// dedicated mem0..4: low/high pairs from 0x78.
    pub const OFFSET_DEDICATED: u32 = 0x78;
    pub const DEDICATED_COUNT: u32 = 5;
    pub const OFFSET_CLOCK: u32 = 0xA0;
    pub const OFFSET_PROCESSOR_FREQUENCY: u32 = 0xB0;
    pub const OFFSET_BUS_FREQUENCY: u32 = 0xB4;
}

/// Kernel-debugger operations selected by the byte after `int3; cmp al, N`.
pub mod kdebug {
    pub const OUTCHAR: u8 = 0;
    pub const OUTSTRING_COUNTED: u8 = 1;
    pub const OUTSTRING: u8 = 2;
    pub const CLEAR_SCREEN: u8 = 3;
    pub const CURSOR: u8 = 4;
    pub const OUTHEX32: u8 = 5;
    pub const OUTHEX20: u8 = 6;
    pub const OUTHEX16: u8 = 7;
    pub const OUTHEX12: u8 = 8;
    pub const OUTHEX8: u8 = 9;
    pub const OUTHEX4: u8 = 10;
    pub const OUTDEC: u8 = 11;
    pub const INCHAR_NONBLOCKING: u8 = 12;
    pub const INCHAR: u8 = 13;
    pub const INHEX32: u8 = 14;
    pub const INHEX16: u8 = 15;
    pub const INHEX8: u8 = 16;
    pub const INHEX: u8 = 17;
    /// `jmp short` opcode that follows int3 in enter_kdebug(text).
    pub const JMP_SHORT: u8 = 0xEB;
    /// `nop` that starts kd_display(text).
    pub const NOP: u8 = 0x90;
    /// `cmp al, imm8` opcode for the I/O protocol.
    pub const CMP_AL: u8 = 0x3C;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_ids_decode() {
        assert_eq!((ThreadId::SIGMA0.task(), ThreadId::SIGMA0.chief(), ThreadId::SIGMA0.version()), (2, 4, 1));
        assert_eq!(ThreadId::new(4, 0, 1, 4), ThreadId::ROOT_TASK);
        assert_eq!(ThreadId::interrupt(0).interrupt_number(), Some(0));
        assert_eq!(ThreadId::ROOT_TASK.interrupt_number(), None);
        assert_eq!(ThreadId::ROOT_TASK.with_lthread(5).lthread(), 5);
    }

    #[test]
    fn fpage_fields() {
        let page = Fpage::new(0x0012_3000, 12, true, false);
        assert_eq!(page.raw(), 0x0012_3032);
        assert_eq!(page.base(), 0x0012_3000);
        assert!(page.is_valid_memory());
        assert_eq!(Fpage::WHOLE_SPACE.size(), 1 << 32);
        assert_eq!(Fpage::WHOLE_SPACE.raw(), 0x80);
        let io = Fpage::io(0xF4, 0, true, false);
        assert!(io.is_io() && io.io_port() == 0xF4);
        // The low bits of a large fpage's base are ignored.
        assert_eq!(Fpage::new(0x0040_1000, 22, false, false).base(), 0x0040_0000);
    }

    #[test]
    fn timeouts_decode_as_the_manual_says() {
        assert_eq!(Timeouts::INFINITE.send(), None);
        assert_eq!(Timeouts::RECEIVE_POLL.receive(), Some(0));
        assert_eq!(Timeouts::RECEIVE_POLL.send(), None);
        assert_eq!(Timeouts::POLL.send(), Some(0));
        // e=14, m=1: 4 µs; e=1, m=255: 255 · 4^14 µs ≈ 19 h.
        let timeouts = Timeouts(14 | (1 << 24));
        assert_eq!(timeouts.receive(), Some(4));
        assert_eq!(Timeouts(1 | (255 << 24)).receive(), Some(255u64 << 28));
        assert_eq!(Timeouts(0xF00).receive_pagefault(), Some(0));
        assert_eq!(Timeouts(0xE00).receive_pagefault(), Some(4));
    }

    #[test]
    fn timeout_encoding_round_trips_to_at_least_the_request() {
        for micros in [0u64, 1, 3, 250, 1000, 1953, 10_000, 1_000_000, 60_000_000] {
            let encoded = Timeouts::encode(Some(micros), None);
            let decoded = encoded.send().unwrap_or(0);
            assert!(decoded >= micros, "{micros} encoded to {decoded}");
            assert!(decoded <= micros.saturating_mul(4).max(1) + 255, "{micros} → {decoded}");
            assert_eq!(encoded.receive(), None);
        }
    }

    #[test]
    fn small_space_ids_follow_l4_make_small_id() {
        // 2 = 8 MB slot 0, 6 = 8 MB slot 1 (ABI page §9).
        assert_eq!(SmallSpaceId(2).window(), Some((8 << 20, 0)));
        assert_eq!(SmallSpaceId(6).window(), Some((8 << 20, 8 << 20)));
        assert_eq!(SmallSpaceId(1).window(), Some((4 << 20, 0)));
        assert_eq!(SmallSpaceId::make(1, 1), SmallSpaceId(6));
        assert_eq!(SmallSpaceId(0).window(), None);
        assert_eq!(SmallSpaceId(0xFF).window(), None);
        // 64 = 256 MB·2^6? no: k=6 → 256 MB, slot 0; fits in 512 MB.
        assert_eq!(SmallSpaceId(64).window(), Some((256 << 20, 0)));
    }

    #[test]
    fn pagefault_timeout_codes_are_named_by_the_timeout_and_the_side() {
        // [X0M] p. 19: 8 + s "send pagefault timeout", A + s "receive
        // pagefault timeout"; s (0x10 in the result word) marks the sender's side.
        assert_eq!(ipc_error::SEND_PAGEFAULT_TIMEOUT_AT_RECEIVER, 0x80);
        assert_eq!(ipc_error::SEND_PAGEFAULT_TIMEOUT_AT_SENDER, 0x90);
        assert_eq!(ipc_error::RECEIVE_PAGEFAULT_TIMEOUT_AT_RECEIVER, 0xA0);
        assert_eq!(ipc_error::RECEIVE_PAGEFAULT_TIMEOUT_AT_SENDER, 0xB0);
        assert_eq!(ipc_error::name(0x80), "send pagefault timeout (receiver's side)");
        assert_eq!(ipc_error::name(0x90), "send pagefault timeout (sender's side)");
        assert_eq!(ipc_error::name(0xA0), "receive pagefault timeout (receiver's side)");
        assert_eq!(ipc_error::name(0xB0), "receive pagefault timeout (sender's side)");
    }

    #[test]
    fn result_word_fields() {
        let result = ResultWord::new(5, 2, ResultWord::MAPPED);
        assert_eq!((result.dwords(), result.strings(), result.error_code()), (5, 2, 0));
        assert_eq!(ResultWord::error(ipc_error::SEND_TIMEOUT).error_code(), 0x30);
    }
}
