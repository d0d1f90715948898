//! Control-register and EFLAGS bits, and the exception vectors, named once.

/// CR0 bits.
pub mod cr0 {
    /// Protection enable.
    pub const PE: u32 = 1 << 0;
    /// Monitor coprocessor.
    pub const MP: u32 = 1 << 1;
    /// x87 emulation: with EM=1 every FPU instruction raises #NM.
    pub const EM: u32 = 1 << 2;
    /// Task switched (lazy FPU switching).
    pub const TS: u32 = 1 << 3;
    /// Extension type (387 present).
    pub const ET: u32 = 1 << 4;
    /// Numeric error (486+).
    pub const NE: u32 = 1 << 5;
    /// Write protect: supervisor writes honour R/W (486+).
    pub const WP: u32 = 1 << 16;
    /// Alignment mask (486+).
    pub const AM: u32 = 1 << 18;
    /// Not write-through.
    pub const NW: u32 = 1 << 29;
    /// Cache disable.
    pub const CD: u32 = 1 << 30;
    /// Paging.
    pub const PG: u32 = 1 << 31;
}

/// CR4 bits that exist on the Pentium (the 486 has no CR4).
pub mod cr4 {
    /// Virtual-8086 mode extensions.
    pub const VME: u32 = 1 << 0;
    /// Protected-mode virtual interrupts.
    pub const PVI: u32 = 1 << 1;
    /// Time-stamp disable: `rdtsc` at CPL > 0 raises #GP.
    pub const TSD: u32 = 1 << 2;
    /// Debugging extensions.
    pub const DE: u32 = 1 << 3;
    /// Page size extensions: 4 MB pages.
    pub const PSE: u32 = 1 << 4;
    /// Machine-check enable.
    pub const MCE: u32 = 1 << 6;
}

/// EFLAGS bits.
pub mod eflags {
    pub const CF: u32 = 1 << 0;
    /// Bit 1 always reads as 1.
    pub const RESERVED_ONE: u32 = 1 << 1;
    pub const PF: u32 = 1 << 2;
    pub const AF: u32 = 1 << 4;
    pub const ZF: u32 = 1 << 6;
    pub const SF: u32 = 1 << 7;
    pub const TF: u32 = 1 << 8;
    pub const IF: u32 = 1 << 9;
    pub const DF: u32 = 1 << 10;
    pub const OF: u32 = 1 << 11;
    /// I/O privilege level, bits 13..12.
    pub const IOPL_MASK: u32 = 3 << 12;
    pub const IOPL_SHIFT: u32 = 12;
    pub const NT: u32 = 1 << 14;
    pub const RF: u32 = 1 << 16;
    pub const VM: u32 = 1 << 17;
    /// Alignment check (486+).
    pub const AC: u32 = 1 << 18;
    /// CPUID-present flag: software can toggle it only on CPUs with `cpuid`.
    pub const ID: u32 = 1 << 21;
    /// The six arithmetic status flags.
    pub const STATUS: u32 = CF | PF | AF | ZF | SF | OF;
}

/// Exception vectors.
pub mod vector {
    pub const DIVIDE_ERROR: u8 = 0;
    pub const DEBUG: u8 = 1;
    pub const NMI: u8 = 2;
    pub const BREAKPOINT: u8 = 3;
    pub const OVERFLOW: u8 = 4;
    pub const BOUND_RANGE: u8 = 5;
    pub const INVALID_OPCODE: u8 = 6;
    pub const DEVICE_NOT_AVAILABLE: u8 = 7;
    pub const DOUBLE_FAULT: u8 = 8;
    pub const INVALID_TSS: u8 = 10;
    pub const SEGMENT_NOT_PRESENT: u8 = 11;
    pub const STACK_FAULT: u8 = 12;
    pub const GENERAL_PROTECTION: u8 = 13;
    pub const PAGE_FAULT: u8 = 14;
    pub const FLOATING_POINT: u8 = 16;
    pub const ALIGNMENT_CHECK: u8 = 17;
    pub const MACHINE_CHECK: u8 = 18;
    /// First vector the kernel programs the master 8259 to use (IRQ 0).
    pub const IRQ_BASE: u8 = 0x20;

    /// Whether the CPU pushes an error code for this exception vector.
    pub const fn has_error_code(vector: u8) -> bool {
        matches!(vector, 8 | 10 | 11 | 12 | 13 | 14 | 17)
    }

    /// A short mnemonic for display ("#PF").
    pub const fn mnemonic(vector: u8) -> &'static str {
        match vector {
            0 => "#DE",
            1 => "#DB",
            2 => "NMI",
            3 => "#BP",
            4 => "#OF",
            5 => "#BR",
            6 => "#UD",
            7 => "#NM",
            8 => "#DF",
            10 => "#TS",
            11 => "#NP",
            12 => "#SS",
            13 => "#GP",
            14 => "#PF",
            16 => "#MF",
            17 => "#AC",
            18 => "#MC",
            _ => "int",
        }
    }

    /// The exception's name in words ("invalid opcode").
    pub const fn name(vector: u8) -> &'static str {
        match vector {
            0 => "divide error",
            1 => "debug",
            2 => "non-maskable interrupt",
            3 => "breakpoint",
            4 => "overflow",
            5 => "bound range exceeded",
            6 => "invalid opcode",
            7 => "device not available",
            8 => "double fault",
            10 => "invalid TSS",
            11 => "segment not present",
            12 => "stack fault",
            13 => "general protection",
            14 => "page fault",
            16 => "floating-point error",
            17 => "alignment check",
            18 => "machine check",
            _ => "interrupt",
        }
    }
}
