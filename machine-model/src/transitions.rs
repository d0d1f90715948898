//! Privilege transitions and the host's privileged operations.
//!
//! Entering ring 0 does what the CPU does: read the IDT gate (checking its
//! DPL for `int n`), the target code descriptor, the ring-0 stack from the
//! TSS, push SS, ESP, EFLAGS, CS, EIP (and the error code) onto that stack,
//! and charge the cycles. The model then stops and hands the host a
//! [`KernelEntry`]; ring 0 code is never interpreted. [`Machine::return_to_user`]
//! is the `iret` the kernel's exit path executes.

use crate::cpu::{SegmentRegister, segment};
use crate::events::MachineEvent;
use crate::fault::{EntryCause, Fault, FaultKind, KernelEntry, MachineError, UserFrame};
use crate::machine::Machine;
use crate::mmu::AccessKind;
use ia32::registers::eflags;
use ia32::segment::{GateDescriptor, SegmentDescriptor, Selector, access};

impl Machine {
    /// The user-visible register state.
    pub fn user_frame(&self) -> UserFrame {
        let mut segments = [0u16; 6];
        for (index, register) in self.cpu.segments.iter().enumerate() {
            segments[index] = register.selector.0;
        }
        UserFrame { registers: self.cpu.registers, eip: self.cpu.eip, eflags: self.cpu.eflags(), segments }
    }

    /// Read the 8-byte descriptor a selector names (GDT or LDT).
    fn read_descriptor(&mut self, selector: Selector) -> Result<(SegmentDescriptor, u32), Fault> {
        let (base, limit) = if selector.is_local() {
            if !self.cpu.ldtr.usable {
                return Err(Fault::general_protection(selector.error_code()));
            }
            (self.cpu.ldtr.base(), self.cpu.ldtr.limit())
        } else {
            (self.cpu.gdtr.base, self.cpu.gdtr.limit as u32)
        };
        let offset = selector.index() as u32 * 8;
        if offset + 7 > limit {
            return Err(Fault::general_protection(selector.error_code()));
        }
        let address = base.wrapping_add(offset);
        let low = self.supervisor_read(address, 4)?;
        let high = self.supervisor_read(address.wrapping_add(4), 4)?;
        Ok((SegmentDescriptor::decode(low as u64 | (high as u64) << 32), address))
    }

    /// Set a descriptor's accessed bit in the table, as the CPU does on load.
    fn mark_accessed(&mut self, descriptor: &mut SegmentDescriptor, address: u32) -> Result<(), Fault> {
        if descriptor.is_code_or_data() && descriptor.access & access::ACCESSED == 0 {
            descriptor.access |= access::ACCESSED;
            self.supervisor_write(address.wrapping_add(5), 1, descriptor.access as u32)?;
        }
        Ok(())
    }

    /// Load a data or stack segment register at the current CPL, with every
    /// protection check (`mov sreg`, `pop sreg`, `lds` …). CS cannot be loaded
    /// this way.
    pub(crate) fn load_segment(&mut self, seg: usize, selector: Selector) -> Result<(), Fault> {
        let cpl = self.cpu.cpl;
        if seg == segment::CS {
            return Err(Fault::invalid_opcode());
        }
        if selector.is_null() {
            if seg == segment::SS {
                return Err(Fault::general_protection(0));
            }
            self.cpu.segments[seg] = SegmentRegister::unusable(selector);
            self.emit_segment_load(seg);
            return Ok(());
        }
        let (mut descriptor, address) = self.read_descriptor(selector)?;
        let code = selector.error_code();
        if seg == segment::SS {
            if selector.rpl() != cpl || !descriptor.is_writable() || descriptor.dpl() != cpl {
                return Err(Fault::general_protection(code));
            }
            if !descriptor.is_present() {
                return Err(Fault::stack(code));
            }
        } else {
            if !descriptor.is_readable() {
                return Err(Fault::general_protection(code));
            }
            let conforming = descriptor.is_conforming();
            if !conforming && (cpl.max(selector.rpl()) > descriptor.dpl()) {
                return Err(Fault::general_protection(code));
            }
            if !descriptor.is_present() {
                return Err(Fault::raise(11, Some(code)));
            }
        }
        self.mark_accessed(&mut descriptor, address)?;
        self.cpu.segments[seg] = SegmentRegister::loaded(selector, descriptor);
        self.emit_segment_load(seg);
        Ok(())
    }

    fn emit_segment_load(&mut self, seg: usize) {
        let register = self.cpu.segments[seg];
        self.events.emit(|| MachineEvent::SegmentLoad {
            segment: seg as u8,
            selector: register.selector.0,
            base: register.base(),
            limit: register.limit(),
        });
    }

    pub(crate) fn enter_kernel_for_fault(&mut self, fault: Fault) -> Result<KernelEntry, MachineError> {
        let software = fault.kind == FaultKind::Software;
        let cause = if software { EntryCause::SoftwareInterrupt } else { EntryCause::Exception };
        if !software {
            let eip = self.cpu.eip;
            self.events.emit(|| MachineEvent::Exception { vector: fault.vector, error_code: fault.error_code, eip });
        }
        self.deliver(fault.vector, fault.error_code, software, cause)
    }

    pub(crate) fn enter_kernel_for_interrupt(&mut self, irq: u8, vector: u8) -> Result<KernelEntry, MachineError> {
        self.events.stamp(self.cycles);
        self.deliver(vector, None, false, EntryCause::Interrupt { irq })
    }

    fn deliver(
        &mut self,
        vector: u8,
        error_code: Option<u32>,
        software: bool,
        cause: EntryCause,
    ) -> Result<KernelEntry, MachineError> {
        let mut frame = self.user_frame();
        let started = self.cycles;
        self.last_entry_cycle = started;
        // The delivery's events (its walks, the entry) happen from here:
        // the instruction that caused it, and its fetch's misses, came first.
        self.events.stamp(started);
        // The entry empties the prefetch queue: the user's next fetch,
        // after the kernel, looks its line up again.
        self.forget_fetch_line();
        self.penalty = 0;
        let refills = self.refill_mark();
        let (vector, error_code, cause) = match self.try_deliver(vector, error_code, software) {
            Ok(()) => (vector, error_code, cause),
            Err(second) => {
                // The delivery itself faulted (a DPL-0 gate for `int n`, a missing
                // gate): the CPU delivers that exception instead, as a fault —
                // the saved EIP points at the instruction that raised it, which
                // is not retired. The failed attempt's walks and misses happened:
                // they stay in the penalty and the refills booked.
                if software {
                    self.cpu.eip = self.instruction_eip;
                    frame.eip = self.instruction_eip;
                    self.instructions -= 1;
                }
                if let Err(third) = self.try_deliver(second.vector, second.error_code, false) {
                    return Err(MachineError::DoubleFault { first: second.vector, second: third.vector });
                }
                (second.vector, second.error_code, EntryCause::Exception)
            }
        };
        let base = match cause {
            EntryCause::SoftwareInterrupt if vector == 3 => self.costs.int3_to_inner,
            EntryCause::SoftwareInterrupt => self.costs.int_to_inner,
            _ => self.costs.exception_to_inner,
        };
        self.cycles += (base + self.penalty) as u64;
        let refill_cycles = self.book_refills(refills);
        self.ledger.entry += ((base + self.penalty) as u64).saturating_sub(refill_cycles);
        self.pipeline.interrupted();
        let cycles = (self.cycles - started) as u32;
        let eip = frame.eip;
        self.events.emit(|| MachineEvent::KernelEntry { vector, error_code, eip, cycles });
        Ok(KernelEntry { vector, error_code, cause, fault_address: self.cpu.cr2, frame })
    }

    /// One delivery attempt through an interrupt or trap gate to ring 0.
    fn try_deliver(&mut self, vector: u8, error_code: Option<u32>, software: bool) -> Result<(), Fault> {
        let gate_error = vector as u32 * 8 + 2;
        let offset = vector as u32 * 8;
        if offset + 7 > self.cpu.idtr.limit as u32 {
            return Err(Fault::general_protection(gate_error));
        }
        let address = self.cpu.idtr.base.wrapping_add(offset);
        let low = self.supervisor_read(address, 4)?;
        let high = self.supervisor_read(address.wrapping_add(4), 4)?;
        let gate = GateDescriptor::decode(low as u64 | (high as u64) << 32);
        let gate_type = gate.gate_type();
        if gate_type != access::INTERRUPT_GATE32 && gate_type != access::TRAP_GATE32 {
            return Err(Fault::general_protection(gate_error));
        }
        if software && gate.dpl() < self.cpu.cpl {
            return Err(Fault::general_protection(gate_error));
        }
        if !gate.is_present() {
            return Err(Fault::raise(11, Some(gate_error)));
        }
        let (code, _) = self.read_descriptor(gate.selector)?;
        if !code.is_code() || code.dpl() != 0 || gate.selector.is_null() {
            return Err(Fault::general_protection(gate.selector.error_code()));
        }
        if !code.is_present() {
            return Err(Fault::raise(11, Some(gate.selector.error_code())));
        }
        // The ring-0 stack from the TSS.
        let task = self.cpu.tr;
        if !task.usable || task.limit() < 103 {
            return Err(Fault::raise(10, Some(task.selector.error_code())));
        }
        let esp0 = self.supervisor_read(task.base().wrapping_add(4), 4)?;
        let ss0 = Selector(self.supervisor_read(task.base().wrapping_add(8), 2)? as u16);
        let (stack, _) = self.read_descriptor(ss0)?;
        if ss0.is_null() || ss0.rpl() != 0 || !stack.is_writable() || stack.dpl() != 0 {
            return Err(Fault::raise(10, Some(ss0.error_code())));
        }
        if !stack.is_present() {
            return Err(Fault::stack(ss0.error_code()));
        }
        let old = self.user_frame();
        // The frame as the CPU pushes it (no allocation: this runs at every
        // kernel entry).
        let words = [
            old.segments[segment::SS] as u32,
            old.registers[crate::cpu::register::ESP],
            old.eflags,
            old.segments[segment::CS] as u32,
            old.eip,
            error_code.unwrap_or(0),
        ];
        let pushed = if error_code.is_some() { 6 } else { 5 };
        let stack_base = stack.base;
        let mut pointer = esp0;
        for word in &words[..pushed] {
            pointer = pointer.wrapping_sub(4);
            self.supervisor_write(stack_base.wrapping_add(pointer), 4, *word)?;
        }
        // Commit: ring 0, kernel CS:EIP and SS:ESP.
        self.cpu.segments[segment::CS] = SegmentRegister::loaded(Selector(gate.selector.0 & !3), code);
        self.cpu.segments[segment::SS] = SegmentRegister::loaded(ss0, stack);
        self.cpu.registers[crate::cpu::register::ESP] = pointer;
        self.cpu.eip = gate.offset;
        self.cpu.cpl = 0;
        let mut flags = self.cpu.eflags() & !(eflags::TF | eflags::NT | eflags::RF | eflags::VM);
        if gate_type == access::INTERRUPT_GATE32 {
            flags &= !eflags::IF;
        }
        self.cpu.set_eflags(flags);
        Ok(())
    }

    /// The kernel's exit path: load the thread's registers and `iret` to
    /// ring 3 with the frame's CS:EIP, EFLAGS and SS:ESP. With
    /// `reload_data_segments`, DS, ES, FS and GS are loaded from the frame
    /// first (their descriptors read; their clocks are in the kernel path's
    /// price); otherwise their hidden caches stay as they are — which is
    /// what makes a small-space switch visible only after a reload.
    pub fn return_to_user(&mut self, frame: &UserFrame, reload_data_segments: bool) -> Result<(), MachineError> {
        self.events.stamp(self.cycles);
        let started = self.cycles;
        self.penalty = 0;
        let refills = self.refill_mark();
        let bad = |reason: String| MachineError::BadReturnFrame { reason };
        if self.cpu.cpl != 0 {
            return Err(bad("the CPU is not in ring 0".into()));
        }
        if frame.eflags & eflags::VM != 0 {
            return Err(bad(format!(
                "EFLAGS {:#x} asks for virtual-8086 mode, which the model does not run",
                frame.eflags
            )));
        }
        if reload_data_segments {
            for seg in [segment::DS, segment::ES, segment::FS, segment::GS] {
                // Ring 0 loads them: the RPL/DPL checks are those of CPL 0.
                self.load_segment(seg, Selector(frame.segments[seg])).map_err(|fault| {
                    bad(format!(
                        "loading {} with {:#x} raised exception {} ({:?})",
                        segment::NAMES[seg],
                        frame.segments[seg],
                        fault.vector,
                        fault.error_code
                    ))
                })?;
            }
        }
        // The iret frame as the exit stub leaves it on the kernel stack.
        let code_selector = Selector(frame.segments[segment::CS]);
        let stack_selector = Selector(frame.segments[segment::SS]);
        let kernel_stack = self.cpu.segments[segment::SS];
        let top = self.cpu.registers[crate::cpu::register::ESP];
        let words = [
            frame.eip,
            code_selector.0 as u32,
            frame.eflags,
            frame.registers[crate::cpu::register::ESP],
            stack_selector.0 as u32,
        ];
        for (index, word) in words.iter().enumerate() {
            let address = kernel_stack.base().wrapping_add(top.wrapping_sub(20).wrapping_add(4 * index as u32));
            self.supervisor_write(address, 4, *word).map_err(|fault| MachineError::SupervisorFault {
                linear: address,
                error: fault.error_code.unwrap_or(0),
                what: "writing the iret frame on the kernel stack",
            })?;
        }
        for index in 0..5u32 {
            let address = kernel_stack.base().wrapping_add(top.wrapping_sub(20).wrapping_add(4 * index));
            self.supervisor_read(address, 4).map_err(|fault| MachineError::SupervisorFault {
                linear: address,
                error: fault.error_code.unwrap_or(0),
                what: "reading the iret frame from the kernel stack",
            })?;
        }
        if code_selector.rpl() != 3 || stack_selector.rpl() != 3 {
            return Err(bad(format!(
                "CS {:#x} / SS {:#x}: the model returns only to ring 3 (RPL 3)",
                code_selector.0, stack_selector.0
            )));
        }
        let (mut code, code_address) = self
            .read_descriptor(code_selector)
            .map_err(|_| bad(format!("CS selector {:#x} is outside the descriptor table", code_selector.0)))?;
        if !code.is_code() || !code.is_present() || (!code.is_conforming() && code.dpl() != 3) {
            return Err(bad(format!("CS {:#x} is not a present ring-3 code segment ({code:?})", code_selector.0)));
        }
        let (mut stack, stack_address) = self
            .read_descriptor(stack_selector)
            .map_err(|_| bad(format!("SS selector {:#x} is outside the descriptor table", stack_selector.0)))?;
        if !stack.is_writable() || !stack.is_present() || stack.dpl() != 3 {
            return Err(bad(format!("SS {:#x} is not a present writable ring-3 data segment", stack_selector.0)));
        }
        let _ = self.mark_accessed(&mut code, code_address);
        let _ = self.mark_accessed(&mut stack, stack_address);
        self.cpu.registers = frame.registers;
        self.cpu.eip = frame.eip;
        self.forget_fetch_line();
        self.cpu.set_eflags((frame.eflags & !(eflags::VM | eflags::RF)) | eflags::RESERVED_ONE);
        self.cpu.segments[segment::CS] = SegmentRegister::loaded(code_selector, code);
        self.cpu.segments[segment::SS] = SegmentRegister::loaded(stack_selector, stack);
        self.cpu.cpl = 3;
        // Data segments the new CPL may not use are nulled (Intel's iret rule).
        for seg in [segment::DS, segment::ES, segment::FS, segment::GS] {
            let register = &mut self.cpu.segments[seg];
            if register.usable && !register.cache.is_conforming() && register.cache.dpl() < 3 {
                register.usable = false;
            }
        }
        self.cycles += (self.costs.iret_to_outer + self.penalty) as u64;
        let refill_cycles = self.book_refills(refills);
        self.ledger.exit += ((self.costs.iret_to_outer + self.penalty) as u64).saturating_sub(refill_cycles);
        // The kernel's exit loads DS, ES, FS and GS every time (natively;
        // here only when their caches must change): their clocks are in the
        // price of the kernel path that ran (`cargo xtask calibrate` prices
        // the native path, exit stub included), so they are not charged
        // again — only booked apart, as the exit's segment loads.
        let loads = std::mem::take(&mut self.exit_segment_loads);
        self.ledger.kernel_path -= loads;
        self.ledger.segment_reload += loads;
        self.pipeline.interrupted();
        let cycles = (self.cycles - started) as u32;
        let eip = frame.eip;
        self.events.emit(|| MachineEvent::KernelExit { eip, cycles });
        self.update_devices();
        Ok(())
    }

    /// A hardware interrupt taken in the kernel's idle loop (`halt`
    /// returned its IRQ): the CPU's delivery to the same privilege level —
    /// the gate, EFLAGS, CS and EIP pushed on the kernel's stack — charged
    /// as the entry's part of the kernel entry that follows (it was charged
    /// nowhere). Its memory accesses are not modelled: the IDT and the idle
    /// loop's stack are the kernel's own.
    pub fn interrupt_in_kernel(&mut self) {
        self.events.stamp(self.cycles);
        let cost = self.costs.interrupt_same_privilege as u64;
        self.cycles += cost;
        self.ledger.entry += cost;
        self.pipeline.interrupted();
    }

    /// The kernel's idle loop (`sti; hlt` in ring 0): time passes until a
    /// device raises an interrupt, but not beyond cycle `until`. Returns the
    /// IRQ the PIC delivered, or `None` if `until` came first (or no device
    /// will ever interrupt). The halted CPU executes nothing, so only the
    /// clock advances; the delivery is `interrupt_in_kernel`, and the
    /// kernel's interrupt path is charged by the host.
    pub fn halt(&mut self, until: u64) -> Option<u8> {
        loop {
            self.update_devices();
            if let Some((irq, _vector)) = self.devices.pic.acknowledge() {
                self.events.stamp(self.cycles);
                self.events.emit(|| MachineEvent::InterruptRequest { irq });
                return Some(irq);
            }
            match self.next_interrupt_cycle() {
                Some(next) if next <= until => self.cycles = next.max(self.cycles + 1),
                Some(_) => {
                    self.cycles = self.cycles.max(until);
                    self.update_devices();
                    return None;
                }
                // Nothing will ever interrupt: the machine stays where it is.
                None => return None,
            }
        }
    }

    /// `mov cr3`: switch address space, flushing every TLB.
    pub fn load_cr3(&mut self, value: u32) {
        self.events.stamp(self.cycles);
        self.cpu.cr3 = value;
        self.cycles += self.costs.mov_cr3 as u64;
        self.ledger.space_switch += self.costs.mov_cr3 as u64;
        self.mmu.flush_all(&mut self.events);
        self.forget_fetch_line();
        self.events.emit(|| MachineEvent::AddressSpaceSwitch { cr3: value });
    }

    /// `invlpg`: drop the translation of one page.
    pub fn invlpg(&mut self, linear: u32) {
        self.events.stamp(self.cycles);
        let present = self.mmu.invalidate(linear, &mut self.events);
        let cost = if present { self.costs.invlpg_present } else { self.costs.invlpg_absent } as u64;
        self.cycles += cost;
        self.ledger.other += cost;
        self.forget_fetch_line();
    }

    /// Write CR0 or CR4 (host setup). A change to paging bits flushes the TLBs.
    pub fn write_control(&mut self, cr0: u32, cr4: u32) {
        let flush = (cr0 ^ self.cpu.cr0) & ia32::registers::cr0::PG != 0 || cr4 != self.cpu.cr4;
        self.cpu.cr0 = cr0;
        self.cpu.cr4 = if self.model() == crate::CpuModel::I486 { 0 } else { cr4 };
        if flush {
            self.mmu.flush_all(&mut self.events);
            self.forget_fetch_line();
        }
    }

    /// Set GDTR and IDTR (`lgdt`, `lidt` by the host's boot code).
    pub fn load_descriptor_tables(&mut self, gdt_base: u32, gdt_limit: u16, idt_base: u32, idt_limit: u16) {
        self.cpu.gdtr = crate::cpu::TableRegister { base: gdt_base, limit: gdt_limit };
        self.cpu.idtr = crate::cpu::TableRegister { base: idt_base, limit: idt_limit };
    }

    /// `ltr`: load the task register from a TSS descriptor in the GDT and mark it busy.
    pub fn load_task_register(&mut self, selector: Selector) -> Result<(), MachineError> {
        let (mut descriptor, address) =
            self.read_descriptor(selector).map_err(|fault| MachineError::SupervisorFault {
                linear: self.cpu.gdtr.base,
                error: fault.error_code.unwrap_or(0),
                what: "reading the TSS descriptor",
            })?;
        if descriptor.is_code_or_data() || descriptor.system_type() & !2 != access::TSS32_AVAILABLE {
            return Err(MachineError::BadReturnFrame {
                reason: format!("selector {:#x} is not a 32-bit TSS", selector.0),
            });
        }
        descriptor.access |= 2;
        let _ = self.supervisor_write(address.wrapping_add(5), 1, descriptor.access as u32);
        self.cpu.tr = SegmentRegister::loaded(selector, descriptor);
        Ok(())
    }

    /// Load a segment register from ring 0 (host setup, or the kernel's
    /// small-space switch), charged as `mov sreg`.
    pub fn load_segment_register(&mut self, seg: usize, selector: Selector) -> Result<(), MachineError> {
        let saved = self.cpu.cpl;
        self.cpu.cpl = 0;
        let outcome = self.load_segment(seg, selector);
        self.cpu.cpl = saved;
        self.cycles += self.costs.mov_segment as u64;
        outcome.map_err(|fault| MachineError::BadReturnFrame {
            reason: format!("loading {} with {:#x} raised exception {}", segment::NAMES[seg], selector.0, fault.vector),
        })
    }

    /// A memory access the kernel (running natively, not interpreted) makes
    /// at a kernel virtual address: TLB and cache effects and their cycles,
    /// as the same access costs on the hardware.
    pub fn kernel_access(&mut self, linear: u32, size: u32, write: bool) -> Result<(), MachineError> {
        self.events.stamp(self.cycles);
        self.penalty = 0;
        let refills = self.refill_mark();
        let kind = if write { AccessKind::Write } else { AccessKind::Read };
        let mut at = linear;
        let end = linear.wrapping_add(size.max(1));
        let line = self.caches.data_mut().line_size();
        while at != end {
            let physical = self.translate(at, kind, false).map_err(|fault| MachineError::SupervisorFault {
                linear: at,
                error: fault.error_code.unwrap_or(0),
                what: "the kernel accessed its own memory",
            })?;
            if write {
                self.caches.data_mut().write(physical);
            } else if !self.caches.data_mut().read(physical) {
                self.penalty += self.costs.cache_miss;
            }
            let next_line = (at & !(line - 1)).wrapping_add(line);
            at = if end.wrapping_sub(at) <= next_line.wrapping_sub(at) { end } else { next_line };
        }
        self.cycles += self.penalty as u64;
        let refill_cycles = self.book_refills(refills);
        self.ledger.other += (self.penalty as u64).saturating_sub(refill_cycles);
        self.penalty = 0;
        Ok(())
    }

    /// Port I/O by the kernel (CPL 0: no permission check), charged as `out`/`in`.
    pub fn kernel_port_out(&mut self, port: u16, size: u32, value: u32) {
        self.events.stamp(self.cycles);
        let tick = self.pit_tick_at(self.cycles);
        self.devices.write(port, size, value, tick);
        self.cycles += self.costs.port_out_kernel as u64;
        self.ledger.other += self.costs.port_out_kernel as u64;
        self.events.emit(|| MachineEvent::PortWrite { port, value, size: size as u8 });
        self.update_devices();
    }

    pub fn kernel_port_in(&mut self, port: u16, size: u32) -> u32 {
        self.events.stamp(self.cycles);
        let tick = self.pit_tick_at(self.cycles);
        let value = self.devices.read(port, size, tick);
        self.cycles += self.costs.port_in_kernel as u64;
        self.ledger.other += self.costs.port_in_kernel as u64;
        self.events.emit(|| MachineEvent::PortRead { port, value, size: size as u8 });
        value
    }
}

impl Machine {
    /// The descriptor a selector names, for far transfers.
    pub(crate) fn descriptor_for(&mut self, selector: Selector) -> Result<SegmentDescriptor, Fault> {
        self.read_descriptor(selector).map(|(descriptor, _)| descriptor)
    }
}
