//! The kernel info page (ABI §7.1): one page at a fixed physical address,
//! found by sigma0 in EAX at start and mapped read-only to others by sigma0.

use crate::boot::BootInfo;
use crate::hardware::Hardware;
use crate::{Kernel, layout};
use ia32::abi::kip;

/// The KIP's version word (Hazelnut's value).
const KIP_VERSION: u32 = 0x4711;

impl Kernel {
    pub(crate) fn write_kip<H: Hardware>(&mut self, hardware: &mut H, info: &BootInfo) {
        let base = layout::KIP;
        self.kip = base;
        crate::pool::zero_frame(hardware, base);
        let put = |hardware: &mut H, offset: u32, value: u32| hardware.write_physical_u32(base.offset(offset), value);
        put(hardware, kip::OFFSET_MAGIC, kip::MAGIC);
        put(hardware, kip::OFFSET_VERSION, KIP_VERSION);
        // Byte 9: the kpage version (Liedtke's kernels use 3).
        put(hardware, kip::OFFSET_VERSION_STRING, 3 << 8);
        let modules = &info.modules[..info.module_count.min(crate::boot::MAX_BOOT_MODULES as u32) as usize];
        if let Some(sigma0) = modules.first() {
            put(hardware, kip::OFFSET_SIGMA0_ESP, sigma0.stack);
            put(hardware, kip::OFFSET_SIGMA0_EIP, sigma0.entry);
            put(hardware, kip::OFFSET_SIGMA0_LOW, sigma0.memory.low);
            put(hardware, kip::OFFSET_SIGMA0_HIGH, sigma0.memory.high);
        } else {
            put(hardware, kip::OFFSET_SIGMA0_EIP, 0xFFFF_FFFF);
        }
        match modules.get(1) {
            Some(root) => {
                put(hardware, kip::OFFSET_ROOT_ESP, root.stack);
                put(hardware, kip::OFFSET_ROOT_EIP, root.entry);
                put(hardware, kip::OFFSET_ROOT_LOW, root.memory.low);
                put(hardware, kip::OFFSET_ROOT_HIGH, root.memory.high);
            }
            None => put(hardware, kip::OFFSET_ROOT_EIP, 0xFFFF_FFFF),
        }
        put(hardware, kip::OFFSET_MAIN_MEMORY_LOW, 0);
        put(hardware, kip::OFFSET_MAIN_MEMORY_HIGH, self.memory_high);
        put(hardware, kip::OFFSET_RESERVED0_LOW, layout::KERNEL_IMAGE.value());
        put(hardware, kip::OFFSET_RESERVED0_HIGH, layout::RESERVED_END.value());
        put(hardware, kip::OFFSET_RESERVED1_LOW, self.pool.low);
        put(hardware, kip::OFFSET_RESERVED1_HIGH, self.pool.high());
        // dedicated0: VGA and BIOS; dedicated1: the further boot modules (for the root task).
        put(hardware, kip::OFFSET_DEDICATED, layout::DEDICATED_LOW);
        put(hardware, kip::OFFSET_DEDICATED + 4, layout::DEDICATED_HIGH);
        let further = &modules[modules.len().min(2)..];
        if let (Some(first), Some(last)) = (
            further.iter().map(|module| module.memory.low).min(),
            further.iter().map(|module| module.memory.high).max(),
        ) {
            put(hardware, kip::OFFSET_DEDICATED + 8, first);
            put(hardware, kip::OFFSET_DEDICATED + 12, last);
        }
        self.write_clock(hardware);
    }

    /// The 64-bit clock at 0xA0 (µs since boot).
    pub(crate) fn write_clock<H: Hardware>(&mut self, hardware: &mut H) {
        if self.kip.value() == 0 {
            return;
        }
        hardware.write_physical_u32(self.kip.offset(kip::OFFSET_CLOCK), self.clock as u32);
        hardware.write_physical_u32(self.kip.offset(kip::OFFSET_CLOCK + 4), (self.clock >> 32) as u32);
    }
}
