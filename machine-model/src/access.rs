//! Memory accesses of user instructions: segment checks (type, limit, null
//! selector), paging through the MMU, cache accounting and penalties.

use crate::cpu::segment;
use crate::events::MachineEvent;
use crate::fault::Fault;
use crate::machine::Machine;
use crate::mmu::{AccessKind, PageFault, Probe, Translation};
use ia32::registers::{cr0, eflags};

impl Machine {
    /// Translate a linear address with the MMU, charging a TLB miss. The
    /// common case (paging off, or a TLB hit the access may use) is inlined
    /// where memory is accessed; the rest is one call.
    #[inline(always)]
    pub(crate) fn translate(&mut self, linear: u32, kind: AccessKind, user: bool) -> Result<u32, Fault> {
        let control = self.control();
        if control.cr0 & cr0::PG == 0 {
            return Ok(linear);
        }
        match self.mmu.translate_hit(control, linear, kind, user, &mut self.events) {
            Probe::Hit(physical) => Ok(physical),
            Probe::Absent => self.translate_missed(linear, kind, user),
            Probe::Other => self.translate_slowly(linear, kind, user),
        }
    }

    /// The physical address of an access that cannot fault, found without
    /// a look-up (nothing counted, no replacement bits): paging off, or a
    /// TLB holds the page with rights that allow it. `None`: `translate`
    /// must look it up (and may walk, fill or fault).
    pub(crate) fn held_translation(&self, linear: u32, kind: AccessKind, user: bool) -> Option<u32> {
        let control = self.control();
        if control.cr0 & cr0::PG == 0 {
            return Some(linear);
        }
        self.mmu.allows_unchanged(control, linear, kind, user)
    }

    /// `translate` for a page no TLB holds: the walk and the fill.
    #[inline(never)]
    fn translate_missed(&mut self, linear: u32, kind: AccessKind, user: bool) -> Result<u32, Fault> {
        let control = self.control();
        let outcome = self.mmu.translate_missed(&mut self.memory, control, linear, kind, user, &mut self.events);
        self.after_translation(outcome)
    }

    /// `translate` for a first write through a clean entry, or a fault.
    #[inline(never)]
    fn translate_slowly(&mut self, linear: u32, kind: AccessKind, user: bool) -> Result<u32, Fault> {
        let control = self.control();
        let outcome = self.mmu.translate_slowly(&mut self.memory, control, linear, kind, user, &mut self.events);
        self.after_translation(outcome)
    }

    /// A walk's penalty, or a page fault's CR2 and exception.
    #[inline(always)]
    fn after_translation(&mut self, outcome: Result<Translation, PageFault>) -> Result<u32, Fault> {
        match outcome {
            Ok(translation) => {
                if translation.walked {
                    self.penalty += self.costs.tlb_miss;
                }
                Ok(translation.physical)
            }
            Err(fault) => {
                self.cpu.cr2 = fault.linear;
                self.forget_fetch_line();
                Err(Fault::raise(14, Some(fault.error.0)))
            }
        }
    }

    /// Check a data access through segment register `seg` and return its
    /// linear address. `size` is in bytes.
    #[inline]
    pub(crate) fn linear(&self, seg: usize, offset: u32, size: u32, write: bool) -> Result<u32, Fault> {
        let register = &self.cpu.segments[seg];
        let fault = |code| if seg == segment::SS { Fault::stack(code) } else { Fault::general_protection(code) };
        if !register.usable {
            return Err(fault(0));
        }
        let descriptor = register.cache;
        if write && !descriptor.is_writable() {
            return Err(fault(0));
        }
        if !write && !descriptor.is_readable() {
            return Err(fault(0));
        }
        let limit = register.limit();
        let last = offset.wrapping_add(size - 1);
        if descriptor.is_expand_down() {
            let upper = if descriptor.default_big { u32::MAX } else { 0xFFFF };
            if offset <= limit || last > upper || last < offset {
                return Err(fault(0));
            }
        } else if last > limit || last < offset {
            return Err(fault(0));
        }
        Ok(register.base().wrapping_add(offset))
    }

    /// The alignment check of CR0.AM + EFLAGS.AC at CPL 3.
    #[inline]
    fn check_alignment(&mut self, linear: u32, size: u32) -> Result<(), Fault> {
        if size > 1 && linear & (size - 1) != 0 {
            if self.cpu.cr0 & cr0::AM != 0 && self.cpu.flag(eflags::AC) && self.cpu.cpl == 3 {
                return Err(Fault::raise(17, Some(0)));
            }
            self.penalty += self.costs.misaligned;
        }
        Ok(())
    }

    /// Translate every page an access touches (so a fault happens before any
    /// byte is written) and return the physical address of each byte's page.
    #[inline(always)]
    fn translate_access(&mut self, linear: u32, size: u32, kind: AccessKind) -> Result<(u32, Option<u32>), Fault> {
        let user = self.cpu.cpl == 3;
        let first = self.translate(linear, kind, user)?;
        let last = linear.wrapping_add(size - 1);
        let second = if last >> 12 != linear >> 12 { Some(self.translate(last & !0xFFF, kind, user)?) } else { None };
        if self.debug.watching() {
            let eip = self.instruction_eip;
            self.debug.access(linear, size, first, second, kind == AccessKind::Write, eip);
        }
        Ok((first, second))
    }

    #[inline]
    fn account_read(&mut self, physical: u32) {
        if !self.caches.data_mut().read(physical) {
            self.penalty += self.costs.cache_miss;
        }
    }

    #[inline]
    fn account_write(&mut self, physical: u32) {
        self.caches.data_mut().write(physical);
    }

    /// The cache line an access within one page ends in, when it is not the
    /// line it begins in: the hardware accesses both (only a misaligned
    /// access can cross a line; one that crosses a page has both lines
    /// accounted with their pages).
    #[inline(always)]
    fn second_line(&self, first: u32, size: u32) -> Option<u32> {
        if first & (size - 1) == 0 {
            return None;
        }
        let last = first + (size - 1);
        let shift = self.caches.data().line_shift();
        (last >> shift != first >> shift).then_some(last)
    }

    /// Read `size` bytes at a linear address.
    pub(crate) fn read_linear(&mut self, linear: u32, size: u32) -> Result<u32, Fault> {
        self.check_alignment(linear, size)?;
        let (first, second) = self.translate_access(linear, size, AccessKind::Read)?;
        self.account_read(first);
        match second {
            None => {
                if let Some(last) = self.second_line(first, size) {
                    self.account_read(last);
                }
                Ok(self.memory.read_sized(first, size))
            }
            Some(second) => {
                self.account_read(second);
                let in_first = 4096 - (linear & 0xFFF);
                let mut value = 0;
                for index in 0..size {
                    let address = if index < in_first { first + index } else { second + (index - in_first) };
                    value |= (self.memory.read_u8(address) as u32) << (8 * index);
                }
                Ok(value)
            }
        }
    }

    /// Write `size` bytes at a linear address.
    pub(crate) fn write_linear(&mut self, linear: u32, size: u32, value: u32) -> Result<(), Fault> {
        self.check_alignment(linear, size)?;
        let (first, second) = self.translate_access(linear, size, AccessKind::Write)?;
        self.account_write(first);
        match second {
            None => {
                if let Some(last) = self.second_line(first, size) {
                    self.account_write(last);
                }
                self.memory.write_sized(first, size, value)
            }
            Some(second) => {
                self.account_write(second);
                let in_first = 4096 - (linear & 0xFFF);
                for index in 0..size {
                    let address = if index < in_first { first + index } else { second + (index - in_first) };
                    self.memory.write_u8(address, (value >> (8 * index)) as u8);
                }
            }
        }
        Ok(())
    }

    /// Check that a write would succeed (segment and paging) without
    /// writing, before an instruction's other accesses (a fault must come
    /// before any of them changes memory). When the TLB holds the page
    /// with rights that allow the write, it cannot fault, and nothing is
    /// looked up: the hardware looks the page up once, for the write
    /// itself, and so does the model then (a look-up here would count a TLB
    /// hit twice; its replacement bits the write sets again). Otherwise the
    /// page is translated as the write would, with its walk, fill or fault.
    pub(crate) fn probe_write(&mut self, seg: usize, offset: u32, size: u32) -> Result<(), Fault> {
        let linear = self.linear(seg, offset, size, true)?;
        let user = self.cpu.cpl == 3;
        let last = linear.wrapping_add(size - 1);
        let first = self.held_translation(linear, AccessKind::Write, user);
        let second = if last >> 12 == linear >> 12 {
            None
        } else {
            Some(self.held_translation(last & !0xFFF, AccessKind::Write, user))
        };
        match (first, second) {
            (Some(first), None | Some(Some(_))) => {
                // A debugger's watchpoint sees the write first, as the CPU
                // checks it before the instruction reads (`translate_access`).
                if self.debug.watching() {
                    let eip = self.instruction_eip;
                    self.debug.access(linear, size, first, second.flatten(), true, eip);
                }
                Ok(())
            }
            _ => self.translate_access(linear, size, AccessKind::Write).map(|_| ()),
        }
    }

    /// Read through a segment.
    #[inline]
    pub(crate) fn read(&mut self, seg: usize, offset: u32, size: u32) -> Result<u32, Fault> {
        let linear = self.linear(seg, offset, size, false)?;
        self.read_linear(linear, size)
    }

    /// Write through a segment.
    #[inline]
    pub(crate) fn write(&mut self, seg: usize, offset: u32, size: u32, value: u32) -> Result<(), Fault> {
        let linear = self.linear(seg, offset, size, true)?;
        self.write_linear(linear, size, value)
    }

    /// The stack pointer width: 32 bits with a big stack segment.
    #[inline]
    fn stack_mask(&self) -> u32 {
        if self.cpu.segments[segment::SS].cache.default_big { u32::MAX } else { 0xFFFF }
    }

    #[inline]
    pub(crate) fn stack_pointer(&self) -> u32 {
        self.cpu.registers[crate::cpu::register::ESP] & self.stack_mask()
    }

    #[inline]
    pub(crate) fn set_stack_pointer(&mut self, value: u32) {
        let mask = self.stack_mask();
        let register = &mut self.cpu.registers[crate::cpu::register::ESP];
        *register = (*register & !mask) | (value & mask);
    }

    /// Push a value of `size` bytes (2 or 4).
    pub(crate) fn push(&mut self, size: u32, value: u32) -> Result<(), Fault> {
        let new_sp = self.stack_pointer().wrapping_sub(size) & self.stack_mask();
        self.write(segment::SS, new_sp, size, value)?;
        self.set_stack_pointer(new_sp);
        Ok(())
    }

    /// Pop a value of `size` bytes (2 or 4).
    pub(crate) fn pop(&mut self, size: u32) -> Result<u32, Fault> {
        let sp = self.stack_pointer();
        let value = self.read(segment::SS, sp, size)?;
        self.set_stack_pointer(sp.wrapping_add(size));
        Ok(value)
    }

    /// Read a stack slot `offset` bytes above the stack pointer without popping.
    pub(crate) fn peek(&mut self, offset: u32, size: u32) -> Result<u32, Fault> {
        let sp = self.stack_pointer().wrapping_add(offset) & self.stack_mask();
        self.read(segment::SS, sp, size)
    }

    /// Port input with the I/O permission check (CPL > IOPL: TSS bitmap).
    pub(crate) fn port_in(&mut self, port: u16, size: u32) -> Result<u32, Fault> {
        self.check_io_permission(port, size)?;
        let tick = self.pit_tick_at(self.cycles);
        let value = self.devices.read(port, size, tick);
        self.events.emit(|| MachineEvent::PortRead { port, value, size: size as u8 });
        Ok(value)
    }

    pub(crate) fn port_out(&mut self, port: u16, size: u32, value: u32) -> Result<(), Fault> {
        self.check_io_permission(port, size)?;
        let tick = self.pit_tick_at(self.cycles);
        self.devices.write(port, size, value, tick);
        self.events.emit(|| MachineEvent::PortWrite { port, value, size: size as u8 });
        self.update_devices();
        Ok(())
    }

    /// CPL ≤ IOPL allows any port. Otherwise the TSS's I/O permission bitmap
    /// must have a 0 bit for every port accessed, and lie within the TSS limit.
    fn check_io_permission(&mut self, port: u16, size: u32) -> Result<(), Fault> {
        if self.cpu.cpl <= self.cpu.iopl() {
            return Ok(());
        }
        let task = self.cpu.tr;
        let gp = Fault::general_protection(0);
        if !task.usable || task.cache.is_code_or_data() || task.limit() < 103 {
            return Err(gp);
        }
        let map_base = self.supervisor_read(task.base().wrapping_add(102), 2).map_err(|_| gp)?;
        let byte_offset = map_base + (port as u32 / 8);
        if byte_offset + 1 > task.limit() {
            return Err(gp);
        }
        let bits = self.supervisor_read(task.base().wrapping_add(byte_offset), 2).map_err(|_| gp)?;
        let mask = ((1u32 << size) - 1) << (port % 8);
        if bits & mask != 0 { Err(gp) } else { Ok(()) }
    }

    /// An implicit supervisor read (descriptor tables, TSS): paging without
    /// the U/S check, accounted in the data cache.
    #[inline(always)]
    pub(crate) fn supervisor_read(&mut self, linear: u32, size: u32) -> Result<u32, Fault> {
        let physical = self.translate(linear, AccessKind::Read, false)?;
        self.account_read(physical);
        if (linear & 0xFFF) + size > 4096 {
            let mut value = 0;
            for index in 0..size {
                let byte_physical = self.translate(linear.wrapping_add(index), AccessKind::Read, false)?;
                value |= (self.memory.read_u8(byte_physical) as u32) << (8 * index);
            }
            return Ok(value);
        }
        Ok(self.memory.read_sized(physical, size))
    }

    /// An implicit supervisor write (the interrupt frame, descriptor accessed bits).
    #[inline(always)]
    pub(crate) fn supervisor_write(&mut self, linear: u32, size: u32, value: u32) -> Result<(), Fault> {
        let physical = self.translate(linear, AccessKind::Write, false)?;
        self.account_write(physical);
        if (linear & 0xFFF) + size > 4096 {
            for index in 0..size {
                let byte_physical = self.translate(linear.wrapping_add(index), AccessKind::Write, false)?;
                self.memory.write_u8(byte_physical, (value >> (8 * index)) as u8);
            }
            return Ok(());
        }
        self.memory.write_sized(physical, size, value);
        Ok(())
    }
}
