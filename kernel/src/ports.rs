//! I/O ports as flexpages (`CONFIG_IO_FLEXPAGES`): user threads run with
//! IOPL 0, so every `in`/`out` is checked against the I/O permission bitmap
//! of the TSS. The bitmap lies right after the TSS, on two pages of the
//! per-space kernel region — so each address space has its own bitmap and a
//! switch of CR3 switches I/O rights with no copying.
//!
//! Sigma0 owns every port but the kernel's own (PIC, PIT). A task that
//! receives an I/O fpage gets its own bitmap (two pool frames) with those
//! ports cleared; each grant is recorded so that fpage_unmap can take back
//! what was derived from the caller, recursively.

use crate::Kernel;
use crate::hardware::Hardware;
use crate::layout;
use crate::memory::{MapError, SIGMA0_TASK};
use crate::thread::{IO_GRANTS, IoGrant};
use ia32::abi::{Fpage, ThreadId};
use ia32::paging::Entry;
use ia32::{PAGE_SIZE, PhysAddr, VirtAddr};

/// Ports the kernel drives itself: the PICs and the PIT.
const KERNEL_PORTS: [(u16, u16); 3] = [(0x20, 0x21), (0x40, 0x43), (0xA0, 0xA1)];

fn kernel_port(port: u32) -> bool {
    KERNEL_PORTS.iter().any(|(low, high)| (*low as u32..=*high as u32).contains(&port))
}

/// The ports an I/O fpage covers: [first, first + count).
fn range(fpage: Fpage) -> (u32, u32) {
    let log2 = fpage.log2_size().min(16) as u32;
    let first = fpage.io_port() as u32 & !((1 << log2) - 1);
    (first, 1 << log2)
}

impl Kernel {
    /// Give a task its own I/O bitmap (all ports closed) if it has none.
    fn own_bitmap<H: Hardware>(&mut self, hardware: &mut H, task: u8) -> Option<PhysAddr> {
        let current = self.threads.tasks[task as usize].io_bitmap;
        if current != 0 {
            return Some(PhysAddr(current));
        }
        let first = self.pool.allocate(hardware)?;
        let Some(second) = self.pool.allocate(hardware) else {
            self.pool.free(first);
            return None;
        };
        // Two pool frames, contiguous or not: each is mapped on its own.
        let ones = [0xFFu8; 512];
        for frame in [first, second] {
            for offset in (0..PAGE_SIZE).step_by(ones.len()) {
                hardware.write_physical(frame.offset(offset), &ones);
            }
        }
        let region = PhysAddr(self.threads.tasks[task as usize].region_table);
        let slot = (layout::IO_BITMAP_VIRTUAL.value() >> 12) & 0x3FF;
        hardware.write_physical_u32(region.offset(slot * 4), Entry::new(first.frame(), 0).raw());
        hardware.write_physical_u32(region.offset((slot + 1) * 4), Entry::new(second.frame(), 0).raw());
        self.threads.tasks[task as usize].io_bitmap = first.value();
        self.io_second_frames[task as usize] = second.value();
        self.refresh_bitmap_translation(hardware, task);
        Some(first)
    }

    fn refresh_bitmap_translation<H: Hardware>(&mut self, hardware: &mut H, task: u8) {
        if self.directory_of(task).is_some_and(|directory| directory.value() == self.loaded_directory) {
            hardware.invalidate_page(layout::IO_BITMAP_VIRTUAL);
            hardware.invalidate_page(VirtAddr(layout::IO_BITMAP_VIRTUAL.value() + PAGE_SIZE));
        }
    }

    /// Set (close) or clear (open) the bitmap bits of ports [first, first + count).
    fn set_ports<H: Hardware>(&mut self, hardware: &mut H, task: u8, first: u32, count: u32, open: bool) {
        let frames = [self.threads.tasks[task as usize].io_bitmap, self.io_second_frames[task as usize]];
        if frames[0] == 0 {
            return;
        }
        for port in first..(first + count).min(65536) {
            let byte_index = port / 8;
            let frame = PhysAddr(frames[(byte_index / PAGE_SIZE) as usize]);
            let at = frame.offset(byte_index % PAGE_SIZE);
            let mut byte = [0u8];
            hardware.read_physical(at, &mut byte);
            let bit = 1u8 << (port % 8);
            let closed = !open || kernel_port(port);
            byte[0] = if closed { byte[0] | bit } else { byte[0] & !bit };
            hardware.write_physical(at, &byte);
        }
    }

    /// Whether a task may use every port of a range.
    fn has_ports<H: Hardware>(&mut self, hardware: &mut H, task: u8, first: u32, count: u32) -> bool {
        if task == SIGMA0_TASK {
            return (first..first + count).all(|port| !kernel_port(port));
        }
        let frames = [self.threads.tasks[task as usize].io_bitmap, self.io_second_frames[task as usize]];
        if frames[0] == 0 {
            return false;
        }
        (first..(first + count).min(65536)).all(|port| {
            let byte_index = port / 8;
            let mut byte = [0u8];
            hardware.read_physical(
                PhysAddr(frames[(byte_index / PAGE_SIZE) as usize]).offset(byte_index % PAGE_SIZE),
                &mut byte,
            );
            byte[0] & (1 << (port % 8)) == 0
        })
    }

    /// Sigma0 gets a bitmap with every port open but the kernel's.
    pub(crate) fn open_all_ports<H: Hardware>(&mut self, hardware: &mut H, task: u8) {
        if self.own_bitmap(hardware, task).is_some() {
            self.set_ports(hardware, task, 0, 65536, true);
        }
    }

    /// Map (or grant) the ports of an I/O fpage from one task to another.
    pub(crate) fn grant_ports<H: Hardware>(
        &mut self,
        hardware: &mut H,
        from: ThreadId,
        to: ThreadId,
        fpage: Fpage,
    ) -> Result<u32, MapError> {
        let (first, count) = range(fpage);
        if !self.has_ports(hardware, from.task(), first, count) {
            return Ok(0);
        }
        let receiver = to.task();
        let slot = self.threads.tasks[receiver as usize]
            .io_grants
            .iter()
            .position(|grant| !grant.used)
            .ok_or(MapError::NoMemory)?;
        self.own_bitmap(hardware, receiver).ok_or(MapError::NoMemory)?;
        self.set_ports(hardware, receiver, first, count, true);
        self.threads.tasks[receiver as usize].io_grants[slot] =
            IoGrant { port: first as u16, log2: count.trailing_zeros() as u8, from: from.task(), used: true };
        if fpage.is_grant() && from.task() != SIGMA0_TASK {
            self.set_ports(hardware, from.task(), first, count, false);
        }
        hardware.emit(&crate::event::KernelEvent::Map {
            from,
            to,
            from_address: fpage.raw(),
            to_address: fpage.raw(),
            frame: first,
            writable: true,
            grant: fpage.is_grant(),
            large: false,
        });
        Ok(1)
    }

    /// fpage_unmap of an I/O fpage: take the ports back from every task that
    /// got them (directly or further on) from `task`; with bit 31, from `task` too.
    pub(crate) fn revoke_ports<H: Hardware>(&mut self, hardware: &mut H, task: u8, fpage: Fpage, mask: u32) {
        let (first, count) = range(fpage);
        self.revoke_derived(hardware, task, first, count, 0);
        if mask & 0x8000_0000 != 0 && task != SIGMA0_TASK {
            self.set_ports(hardware, task, first, count, false);
        }
    }

    fn revoke_derived<H: Hardware>(&mut self, hardware: &mut H, granter: u8, first: u32, count: u32, depth: u32) {
        if depth > 255 {
            return;
        }
        for receiver in 1..=255u8 {
            for index in 0..IO_GRANTS {
                let grant = self.threads.tasks[receiver as usize].io_grants[index];
                let grant_first = grant.port as u32;
                let grant_count = 1u32 << grant.log2;
                if !grant.used
                    || grant.from != granter
                    || grant_first + grant_count <= first
                    || first + count <= grant_first
                {
                    continue;
                }
                let low = grant_first.max(first);
                let high = (grant_first + grant_count).min(first + count);
                self.revoke_derived(hardware, receiver, low, high - low, depth + 1);
                self.set_ports(hardware, receiver, low, high - low, false);
                if low <= grant_first && high >= grant_first + grant_count {
                    self.threads.tasks[receiver as usize].io_grants[index].used = false;
                }
            }
        }
    }

    /// A task goes: free its bitmap and forget its grants.
    pub(crate) fn release_ports<H: Hardware>(&mut self, hardware: &mut H, task: u8) {
        self.revoke_derived(hardware, task, 0, 65536, 0);
        let bitmap = self.threads.tasks[task as usize].io_bitmap;
        if bitmap != 0 {
            self.pool.free(PhysAddr(bitmap));
            self.pool.free(PhysAddr(self.io_second_frames[task as usize]));
        }
        self.threads.tasks[task as usize].io_bitmap = 0;
        self.io_second_frames[task as usize] = 0;
        self.threads.tasks[task as usize].io_grants = [IoGrant::default(); IO_GRANTS];
    }
}
