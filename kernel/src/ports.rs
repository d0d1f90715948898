//! I/O ports as flexpages (`CONFIG_IO_FLEXPAGES`): user threads run with
//! IOPL 0, so every `in`/`out` is checked against the I/O permission bitmap
//! of the TSS. The bitmap lies right after the TSS, on two pages of the
//! per-space kernel region — so each address space has its own bitmap and a
//! switch of CR3 switches I/O rights with no copying.
//!
//! Sigma0 owns every port but the kernel's own (PIC, PIT). A task that
//! receives an I/O fpage gets its own bitmap (two pool frames) with those
//! ports cleared. Who holds which ports from whom is the I/O mapping
//! database (`io_mapping`), so fpage_unmap takes back what was derived from
//! the caller, recursively, and a task may hold any number of runs of ports;
//! each bitmap is kept equal to the union of its task's runs.

use crate::Kernel;
use crate::hardware::Hardware;
use crate::layout;
use crate::memory::{MapError, SIGMA0_TASK};
use crate::thread::NONE;
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
        self.bitmap_allows(hardware, task, first, count)
    }

    /// Sigma0 gets a bitmap with every port open but the kernel's.
    pub(crate) fn open_all_ports<H: Hardware>(&mut self, hardware: &mut H, task: u8) {
        if self.own_bitmap(hardware, task).is_some() {
            self.set_ports(hardware, task, 0, 65536, true);
        }
    }

    /// Map (or grant) the ports of an I/O fpage from one task to another:
    /// one node for the receiver under the mapper's node that holds them
    /// all, or one under each of the mapper's smaller runs that make them up.
    pub(crate) fn grant_ports<H: Hardware>(
        &mut self,
        hardware: &mut H,
        from: ThreadId,
        to: ThreadId,
        fpage: Fpage,
    ) -> Result<u32, MapError> {
        let (first, count) = range(fpage);
        let (mapper, receiver) = (from.task(), to.task());
        // Ports map 1:1: a task mapping its own ports to itself changes nothing.
        if mapper == receiver || !self.has_ports(hardware, mapper, first, count) {
            return Ok(0);
        }
        self.own_bitmap(hardware, receiver).ok_or(MapError::NoMemory)?;
        let grant = fpage.is_grant() && mapper != SIGMA0_TASK;
        let high = first + count;
        if mapper == SIGMA0_TASK {
            self.io_mappings
                .insert(receiver, first as u16, count.trailing_zeros() as u8, NONE)
                .ok_or(MapError::NoMemory)?;
        } else if let Some(container) = self.io_mappings.covering(mapper, first, high) {
            if grant && self.io_mappings.node(container).range() == (first, high) {
                self.io_mappings.move_node(container, receiver);
            } else {
                // (A grant of part of a larger run maps that part: the run stays whole.)
                self.io_mappings
                    .insert(receiver, first as u16, count.trailing_zeros() as u8, container)
                    .ok_or(MapError::NoMemory)?;
            }
        } else {
            for index in 0..crate::io_mapping::MAX_IO_NODES as u16 {
                let node = *self.io_mappings.node(index);
                let (low, end) = node.range();
                if !node.in_use() || node.task != mapper || low < first || end > high {
                    continue;
                }
                if grant {
                    self.io_mappings.move_node(index, receiver);
                } else {
                    self.io_mappings.insert(receiver, node.first, node.log2, index).ok_or(MapError::NoMemory)?;
                }
            }
        }
        self.set_ports(hardware, receiver, first, count, true);
        if grant {
            self.refresh_ports(hardware, mapper, first, high);
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
    /// got them (directly or further on) from `task`; with bit 31, from `task`
    /// too. A run of ports that is partly in the fpage goes as a whole (as a
    /// partly unmapped 4 MB page does).
    pub(crate) fn revoke_ports<H: Hardware>(&mut self, hardware: &mut H, task: u8, fpage: Fpage, mask: u32) {
        let (first, count) = range(fpage);
        let own = mask & 0x8000_0000 != 0 && task != SIGMA0_TASK;
        for index in 0..crate::io_mapping::MAX_IO_NODES as u16 {
            let node = *self.io_mappings.node(index);
            if !node.in_use() || !node.overlaps(first, first + count) {
                continue;
            }
            let derived =
                if node.parent == NONE { task == SIGMA0_TASK } else { self.io_mappings.node(node.parent).task == task };
            if derived || (own && node.task == task) {
                self.remove_port_subtree(hardware, index);
            }
        }
    }

    /// Remove an I/O node and everything derived from it, and close the
    /// ports in the bitmaps of the tasks that lost them.
    fn remove_port_subtree<H: Hardware>(&mut self, hardware: &mut H, index: u16) {
        let (low, high) = self.io_mappings.node(index).range();
        let mut losers = [0u32; 8];
        self.io_mappings.remove_subtree(index, |node| losers[node.task as usize / 32] |= 1 << (node.task % 32));
        for task in 1..=255u8 {
            if losers[task as usize / 32] & (1 << (task % 32)) != 0 {
                self.refresh_ports(hardware, task, low, high);
            }
        }
    }

    /// Make a task's bitmap over [low, high) say exactly what its runs hold.
    fn refresh_ports<H: Hardware>(&mut self, hardware: &mut H, task: u8, low: u32, high: u32) {
        if task == SIGMA0_TASK {
            return;
        }
        self.set_ports(hardware, task, low, high - low, false);
        for index in 0..crate::io_mapping::MAX_IO_NODES as u16 {
            let node = *self.io_mappings.node(index);
            if node.in_use() && node.task == task && node.overlaps(low, high) {
                let (first, end) = node.range();
                let (from, to) = (first.max(low), end.min(high));
                self.set_ports(hardware, task, from, to - from, true);
            }
        }
    }

    /// A task goes: what it holds goes with everything derived from it, and
    /// its bitmap is freed.
    pub(crate) fn release_ports<H: Hardware>(&mut self, hardware: &mut H, task: u8) {
        for index in 0..crate::io_mapping::MAX_IO_NODES as u16 {
            let node = self.io_mappings.node(index);
            if node.in_use() && node.task == task {
                self.remove_port_subtree(hardware, index);
            }
        }
        let bitmap = self.threads.tasks[task as usize].io_bitmap;
        if bitmap != 0 {
            self.pool.free(PhysAddr(bitmap));
            self.pool.free(PhysAddr(self.io_second_frames[task as usize]));
        }
        self.threads.tasks[task as usize].io_bitmap = 0;
        self.io_second_frames[task as usize] = 0;
    }

    /// Whether a task's bitmap lets it use every port of [first, first + count).
    pub(crate) fn bitmap_allows<H: Hardware>(&self, hardware: &mut H, task: u8, first: u32, count: u32) -> bool {
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
}
