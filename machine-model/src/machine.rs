//! The machine: CPU state, memory, MMU, caches, devices, and the loop that
//! interprets ring-3 code until it enters the kernel.

use crate::cache::Cache;
use crate::costs::{self, CostTable};
use crate::cpu::CpuState;
use crate::decode::{DecodeCache, Decoded, Location};
use crate::devices::{Devices, pit};
use crate::events::EventSink;
use crate::fault::{Fault, FaultKind, KernelEntry, MachineError};
use crate::interpreter::forms::Form;
use crate::memory::PhysicalMemory;
use crate::mmu::{AccessKind, ControlRegisters, Mmu};
use crate::pipeline::Pipeline;
use crate::{CpuModel, MachineConfig};
use ia32::registers::eflags;
use iced_x86::{Decoder, DecoderOptions};

/// Why `run` returned.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Exit {
    /// User code entered ring 0; the host must run the kernel, then call
    /// [`Machine::return_to_user`].
    KernelEntry(KernelEntry),
    /// The instruction or cycle budget ran out (user mode continues on the next `run`).
    Limit,
    /// A program wrote `value` to the `isa-debug-exit` port.
    DebugExit { value: u32 },
    /// The debugger's hooks stopped the run before the instruction at EIP
    /// (nothing of it has happened): a breakpoint there, or a pause.
    Stopped(crate::debug::Stop),
    /// The instruction that just completed accessed watched memory.
    Watchpoint(crate::debug::WatchHit),
}

/// How far `run` may go.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RunLimit {
    /// Stop after this many more instructions.
    pub instructions: u64,
    /// Stop once the cycle counter reaches this value.
    pub until_cycle: u64,
}

impl RunLimit {
    pub const fn instructions(count: u64) -> Self {
        Self { instructions: count, until_cycle: u64::MAX }
    }
}

/// The caches: the 486's unified cache, or the Pentium's code and data caches.
#[derive(Clone, Debug)]
pub struct Caches {
    /// i486: the unified cache. Pentium: the code cache.
    pub code: Cache,
    /// Pentium only: the data cache.
    pub data: Option<Cache>,
}

impl Caches {
    fn new(model: CpuModel) -> Self {
        match model {
            CpuModel::I486 => Self { code: Cache::new("L1", 8192, 4, 16), data: None },
            CpuModel::Pentium => {
                Self { code: Cache::new("L1 code", 8192, 2, 32), data: Some(Cache::new("L1 data", 8192, 2, 32)) }
            }
        }
    }
    pub fn data(&self) -> &Cache {
        self.data.as_ref().unwrap_or(&self.code)
    }
    pub fn data_mut(&mut self) -> &mut Cache {
        self.data.as_mut().unwrap_or(&mut self.code)
    }
    pub fn all(&self) -> Vec<&Cache> {
        let mut all = vec![&self.code];
        all.extend(self.data.iter());
        all
    }
}

/// Code fetch: the linear line last accounted (looked up in the TLB and
/// the code cache, as the prefetcher does once per line) and its physical
/// start. Whatever may change a translation (a flush, `invlpg`, a CR3 load,
/// a page fault) forgets it (`Machine::forget_fetch_line`), so the check
/// before every instruction is one comparison. Plain fields rather than an
/// `Option` for the same reason.
#[derive(Clone, Copy, Debug)]
struct FetchLine {
    linear_line: u32,
    physical_start: u32,
}

impl FetchLine {
    /// No line: a linear address shifted right by a line's bits (4 or 5)
    /// never reaches `u32::MAX`.
    const NONE: FetchLine = FetchLine { linear_line: u32::MAX, physical_start: 0 };
}

/// The code line the fetch looked up last (with paging on) and the state of
/// the code TLB and the code cache right after. While neither has changed
/// since (their generations), a look-up of the same line again — after a
/// jump within it or back to it, or after the kernel left both alone —
/// would find the same entry and the same line and change nothing but
/// their hit counters: `fetch_line_again` does just that, without the
/// search. Kept when `FetchLine` is forgotten.
#[derive(Clone, Copy, Debug)]
struct LookedUpLine {
    linear_line: u32,
    physical_start: u32,
    tlb_generation: u64,
    cache_generation: u64,
}

impl LookedUpLine {
    const NONE: LookedUpLine =
        LookedUpLine { linear_line: u32::MAX, physical_start: 0, tlb_generation: 0, cache_generation: 0 };
}

/// A whole PC.
#[derive(Debug)]
pub struct Machine {
    config: MachineConfig,
    pub cpu: CpuState,
    pub memory: PhysicalMemory,
    pub mmu: Mmu,
    pub caches: Caches,
    pub devices: Devices,
    pub events: EventSink,
    /// What a debugger asked for (no machine state: kept across restores).
    pub debug: crate::debug::DebugHooks,
    /// Cycles since power-on.
    pub cycles: u64,
    /// User instructions executed.
    pub instructions: u64,
    /// User instructions begun: those executed and those that faulted (and
    /// will be begun again). A debugger's clock: between any two of them
    /// lies exactly one moment to stop at (see `debug`). Charges nothing.
    pub attempts: u64,
    pub(crate) costs: &'static CostTable,
    pub(crate) decode_cache: DecodeCache,
    pub(crate) pipeline: Pipeline,
    /// EIP after the instruction being executed (handlers change it for jumps).
    pub(crate) next_eip: u32,
    /// Cycles added by the current instruction beyond its table cost.
    pub(crate) penalty: u32,
    /// REP iterations or data-dependent extra clocks of the current instruction.
    pub(crate) extra: u32,
    /// The current branch was taken.
    pub(crate) taken: bool,
    /// The code line last accounted (see `FetchLine`).
    fetch_line: FetchLine,
    /// The code line last looked up (see `LookedUpLine`).
    looked_up: LookedUpLine,
    /// Cycle at which a device may next raise an interrupt.
    next_device_cycle: u64,
    /// EIP of the instruction executing (or that just trapped).
    pub(crate) instruction_eip: u32,
    /// The cycle at which the last user instruction began: the explorer
    /// marks what "the last step" did (machine events are stamped with the
    /// start of the instruction or operation that caused them).
    pub last_instruction_cycle: u64,
    /// A device line may be raised: the PIC is polled only while this is set.
    interrupt_possible: bool,
    /// Where the cycles outside user instructions went (`ledger`).
    pub(crate) ledger: crate::ledger::Ledger,
    /// The cycle the last entry into ring 0 began at.
    pub last_entry_cycle: u64,
    /// Of the kernel path charged last, the cycles of its exit's segment
    /// loads, which the exit books apart (`Machine::charge_kernel_path`).
    pub(crate) exit_segment_loads: u64,
}

impl Clone for Machine {
    fn clone(&self) -> Self {
        let mut copy = self.clone_without_decode_cache();
        copy.decode_cache = self.decode_cache.clone();
        copy.memory = self.memory.clone();
        copy
    }
}

impl Machine {
    /// A copy that starts with an empty decode cache (snapshots leave it out).
    pub(crate) fn clone_without_decode_cache(&self) -> Self {
        Self {
            config: self.config,
            cpu: self.cpu.clone(),
            memory: {
                let mut memory = self.memory.clone();
                memory.forget_decoded();
                memory
            },
            mmu: self.mmu.clone(),
            caches: self.caches.clone(),
            devices: self.devices.clone(),
            events: self.events.clone(),
            debug: self.debug.clone(),
            cycles: self.cycles,
            instructions: self.instructions,
            attempts: self.attempts,
            costs: self.costs,
            decode_cache: DecodeCache::default(),
            pipeline: self.pipeline.clone(),
            next_eip: self.next_eip,
            penalty: self.penalty,
            extra: self.extra,
            taken: self.taken,
            // Which code line was last accounted is machine state (it decides
            // whether the next fetch is looked up again): a snapshot keeps it,
            // so a replay counts exactly what the first run counted.
            fetch_line: self.fetch_line,
            looked_up: self.looked_up,
            next_device_cycle: self.next_device_cycle,
            instruction_eip: self.instruction_eip,
            last_instruction_cycle: self.last_instruction_cycle,
            interrupt_possible: true,
            ledger: self.ledger,
            last_entry_cycle: self.last_entry_cycle,
            exit_segment_loads: self.exit_segment_loads,
        }
    }

    pub fn new(config: MachineConfig) -> Self {
        Self {
            config,
            cpu: CpuState::default(),
            memory: PhysicalMemory::new(config.memory_bytes),
            mmu: Mmu::new(config.cpu),
            caches: Caches::new(config.cpu),
            devices: Devices::default(),
            events: EventSink::default(),
            debug: crate::debug::DebugHooks::default(),
            cycles: 0,
            instructions: 0,
            attempts: 0,
            costs: costs::table(config.cpu),
            decode_cache: DecodeCache::default(),
            pipeline: Pipeline::default(),
            next_eip: 0,
            penalty: 0,
            extra: 0,
            taken: false,
            fetch_line: FetchLine::NONE,
            looked_up: LookedUpLine::NONE,
            next_device_cycle: 0,
            instruction_eip: 0,
            last_instruction_cycle: 0,
            interrupt_possible: true,
            ledger: crate::ledger::Ledger::default(),
            last_entry_cycle: 0,
            exit_segment_loads: 0,
        }
    }

    pub fn config(&self) -> MachineConfig {
        self.config
    }
    pub fn model(&self) -> CpuModel {
        self.config.cpu
    }
    pub fn cost_table(&self) -> &'static CostTable {
        self.costs
    }
    /// The pipeline's counters (Pentium pairs, mispredictions, AGI stalls).
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// Simulated time in microseconds.
    pub fn microseconds(&self) -> f64 {
        self.cycles as f64 / self.config.clock_mhz as f64
    }

    pub(crate) fn control(&self) -> ControlRegisters {
        ControlRegisters { cr0: self.cpu.cr0, cr3: self.cpu.cr3, cr4: self.cpu.cr4 }
    }

    /// The PIT tick at a cycle count.
    pub fn pit_tick_at(&self, cycles: u64) -> u64 {
        ((cycles as u128 * pit::INPUT_HZ as u128) / (self.config.clock_mhz as u128 * 1_000_000)) as u64
    }

    /// The first cycle at which the PIT tick reaches `tick`.
    fn cycle_of_tick(&self, tick: u64) -> u64 {
        let hz = self.config.clock_mhz as u128 * 1_000_000;
        ((tick as u128 * hz).div_ceil(pit::INPUT_HZ as u128)) as u64
    }

    /// The cycle at which the next device interrupt is due (for idling).
    pub fn next_interrupt_cycle(&self) -> Option<u64> {
        self.devices.pit.next_interrupt_tick().map(|tick| self.cycle_of_tick(tick))
    }

    /// Let devices catch up with the clock and raise their lines.
    pub fn update_devices(&mut self) {
        let tick = self.pit_tick_at(self.cycles);
        self.devices.update(tick);
        self.next_device_cycle = self.next_interrupt_cycle().unwrap_or(u64::MAX);
        self.interrupt_possible = true;
    }

    /// Take the PIC's highest pending interrupt, remembering when there is none.
    fn acknowledge_interrupt(&mut self) -> Option<(u8, u8)> {
        let acknowledged = self.devices.pic.acknowledge();
        if acknowledged.is_none() {
            self.interrupt_possible = false;
        }
        acknowledged
    }

    /// The host changed device or PIC state directly: poll the PIC again.
    pub fn devices_changed(&mut self) {
        self.interrupt_possible = true;
    }

    /// Advance time without executing (the CPU halts in the kernel's idle loop).
    pub fn idle_until(&mut self, cycle: u64) {
        if cycle > self.cycles {
            self.cycles = cycle;
        }
        self.update_devices();
    }

    /// A translation may have changed: the next fetch looks its line up again.
    #[inline]
    pub(crate) fn forget_fetch_line(&mut self) {
        self.fetch_line = FetchLine::NONE;
    }

    /// Drop decoded instructions of pages written since they were decoded.
    /// (The code line the fetch accounted stays: which pages have decoded
    /// instructions is the host's affair — a snapshot leaves them out — and
    /// must not change what the machine counts.)
    #[inline]
    fn refresh_decode_cache(&mut self, cache: &mut DecodeCache) {
        if self.memory.has_stale_pages() {
            for page in self.memory.take_stale_pages() {
                cache.invalidate_page(page);
            }
        }
    }

    /// Interpret user code until it enters the kernel, the budget runs out,
    /// or a program asks QEMU's debug-exit device to stop.
    pub fn run(&mut self, limit: RunLimit) -> Result<Exit, MachineError> {
        // The loop owns the decode cache, so a handler can borrow its
        // instruction while it changes the machine.
        let mut cache = std::mem::take(&mut self.decode_cache);
        // One loop per CPU: the Pentium's pipeline charge (pairing, the BTB)
        // is inlined into its own, and the i486's stays small.
        let outcome = if self.costs.model == CpuModel::I486 {
            self.run_with::<false>(&mut cache, limit)
        } else {
            self.run_with::<true>(&mut cache, limit)
        };
        self.decode_cache = cache;
        outcome
    }

    fn run_with<const PENTIUM: bool>(
        &mut self,
        cache: &mut DecodeCache,
        limit: RunLimit,
    ) -> Result<Exit, MachineError> {
        if self.cpu.cpl != 3 {
            return Err(MachineError::NotInUserMode);
        }
        let end = self.instructions.saturating_add(limit.instructions);
        loop {
            if self.instructions >= end || self.cycles >= limit.until_cycle {
                return Ok(Exit::Limit);
            }
            if self.cycles >= self.next_device_cycle || self.devices.uart.interrupt_line() {
                self.update_devices();
            }
            if self.interrupt_possible
                && self.cpu.flag(eflags::IF)
                && let Some((irq, vector)) = self.acknowledge_interrupt()
            {
                self.events.emit(|| crate::events::MachineEvent::InterruptRequest { irq });
                self.debug.entering_kernel();
                return self.enter_kernel_for_interrupt(irq, vector).map(Exit::KernelEntry);
            }
            // Checked last, right before the instruction: a stop here is the
            // moment just before it executes, whatever interrupt came first.
            if self.debug.checks_instructions()
                && let Some(stop) = self.debug.before_instruction(self.cpu.eip, self.attempts)
            {
                return Ok(Exit::Stopped(stop));
            }
            let single_step = self.cpu.flag(eflags::TF);
            let ran_form = match self.step_and_check::<PENTIUM, false>(cache, single_step) {
                Ok(ran_form) => ran_form,
                Err(exit) => return exit,
            };
            if !ran_form || !self.quiet(single_step) {
                continue;
            }
            // Quiet straight-line code: an instruction of a specialised form
            // cannot touch ports, devices, EFLAGS.IF or TF, or the debugger's
            // hooks, so until an instruction of another kind runs, or a device
            // falls due, every check above would find what it found for this
            // one. Only the budget and the device clock are checked again.
            // (A specialised form does not move the device clock.)
            let stop_cycle = limit.until_cycle.min(self.next_device_cycle);
            loop {
                if self.instructions >= end || self.cycles >= stop_cycle {
                    break;
                }
                match self.step_and_check::<PENTIUM, true>(cache, false) {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(exit) => return exit,
                }
            }
        }
    }

    /// Whether the checks between instructions can be skipped after a
    /// specialised form (see `run_with`).
    #[inline(always)]
    fn quiet(&self, single_step: bool) -> bool {
        let interrupt_may_come = self.interrupt_possible && self.cpu.flag(eflags::IF);
        !(single_step
            || interrupt_may_come
            || self.debug.checks_instructions()
            || self.debug.watching()
            || self.devices.uart.interrupt_line())
    }

    /// One instruction and what must follow it: a debug exit, the single-step
    /// trap, a watchpoint, or a fault's entry into the kernel (`Err`: `run`
    /// returns it). `Ok(true)` when the instruction had a specialised form.
    #[inline(always)]
    fn step_and_check<const PENTIUM: bool, const QUIET: bool>(
        &mut self,
        cache: &mut DecodeCache,
        single_step: bool,
    ) -> Result<bool, Result<Exit, MachineError>> {
        self.last_instruction_cycle = self.cycles;
        self.events.stamp(self.cycles);
        match self.step_with::<PENTIUM>(cache) {
            // In quiet code (`run_with`) a specialised form cannot reach
            // the debug-exit port, and no watchpoint is set.
            Ok(true) if QUIET => Ok(true),
            Ok(ran_form) => {
                if let Some(value) = self.devices.debug_exit.take() {
                    self.debug.discard_hit();
                    return Err(Ok(Exit::DebugExit { value }));
                }
                if single_step {
                    // The trap is the program's: a watched access of
                    // the same instruction goes unreported.
                    self.debug.entering_kernel();
                    let trap = Fault { vector: 1, error_code: None, kind: FaultKind::Trap };
                    return Err(self.enter_kernel_for_fault(trap).map(Exit::KernelEntry));
                }
                if let Some(hit) = self.debug.take_hit() {
                    return Err(Ok(Exit::Watchpoint(hit)));
                }
                Ok(ran_form)
            }
            Err(fault) => {
                // `int n` completes its instruction, but makes no data
                // access of its own; a fault undoes the instruction.
                self.debug.entering_kernel();
                Err(self.enter_kernel_for_fault(fault).map(Exit::KernelEntry))
            }
        }
    }

    /// Execute one user instruction. A fault leaves EIP at the instruction
    /// (traps: after it) for the caller to deliver.
    pub fn step(&mut self) -> Result<(), Fault> {
        let mut cache = std::mem::take(&mut self.decode_cache);
        let outcome = if self.costs.model == CpuModel::I486 {
            self.step_with::<false>(&mut cache)
        } else {
            self.step_with::<true>(&mut cache)
        };
        self.decode_cache = cache;
        outcome.map(|_| ())
    }

    /// `Ok(true)` when the instruction had a specialised form.
    #[inline(always)]
    fn step_with<const PENTIUM: bool>(&mut self, cache: &mut DecodeCache) -> Result<bool, Fault> {
        self.refresh_decode_cache(cache);
        self.attempts += 1;
        let eip = self.cpu.eip;
        self.instruction_eip = eip;
        // The fetch's own misses (a code line not in the cache, a walk for
        // the code page) are the instruction's, as on the real prefetcher.
        self.penalty = 0;
        let decoded = self.fetch::<PENTIUM>(cache, eip)?;
        self.next_eip = eip.wrapping_add(decoded.length as u32);
        self.extra = 0;
        self.taken = false;
        let is_form = decoded.form != Form::Generic;
        let outcome = match decoded.form {
            Form::Generic => (decoded.handler)(self, &decoded.instruction),
            ref form => self.run_form(form),
        };
        match outcome {
            Ok(()) => {
                self.cpu.eip = self.next_eip;
                self.instructions += 1;
                let cycles = self.pipeline.charge::<PENTIUM>(
                    self.costs,
                    decoded,
                    eip,
                    self.next_eip,
                    self.taken,
                    self.extra,
                    self.penalty,
                );
                self.cycles += cycles as u64;
                Ok(is_form)
            }
            Err(fault) => {
                if fault.kind != FaultKind::Fault {
                    // Traps and int n complete the instruction: report the next EIP.
                    self.cpu.eip = self.next_eip;
                    self.instructions += 1;
                    let cycles = self.pipeline.charge::<PENTIUM>(
                        self.costs,
                        decoded,
                        eip,
                        self.next_eip,
                        false,
                        0,
                        self.penalty,
                    );
                    self.cycles += cycles as u64;
                } else {
                    // A fault undoes the instruction, not the time it took
                    // until then: its fetch's and accesses' misses and walks,
                    // and a repeated string's iterations done before the
                    // one that faulted (their registers stay advanced).
                    let iterations = match decoded.cost.variable {
                        crate::costs::Variable::Repeat { .. } if self.extra > 0 => {
                            crate::pipeline::table_cycles(&decoded.cost, false, self.extra)
                        }
                        _ => 0,
                    };
                    self.cycles += (iterations + self.penalty) as u64;
                }
                self.pipeline.interrupted();
                Err(fault)
            }
        }
    }

    /// Fetch and decode the instruction at CS:EIP, with code-TLB and code-cache accounting.
    #[inline(always)]
    fn fetch<'cache, const PENTIUM: bool>(
        &mut self,
        cache: &'cache mut DecodeCache,
        eip: u32,
    ) -> Result<&'cache Decoded, Fault> {
        let code_segment = &self.cpu.segments[crate::cpu::segment::CS];
        let limit = code_segment.limit();
        let linear = code_segment.cache.base.wrapping_add(eip);
        if eip > limit {
            return Err(Fault::general_protection(0));
        }
        let physical = self.fetch_translate::<PENTIUM>(linear)?;
        let found = match cache.current_index(physical) {
            Some(index) => cache.current(index),
            None => {
                let location = match cache.locate(physical) {
                    Some(location) => location,
                    None => self.decode_at(cache, linear, physical)?,
                };
                cache.at(location)
            }
        };
        let Some(decoded) = found else { return Err(Fault::invalid_opcode()) };
        let length = decoded.length as u32;
        // The last byte within the limit, and no wrap past 4 GB.
        if eip as u64 + length as u64 - 1 > limit as u64 {
            return Err(Fault::general_protection(0));
        }
        // Account the further code lines the instruction spans (prefetch).
        if decoded.crosses_line {
            self.fetch_translate::<PENTIUM>(linear.wrapping_add(length - 1))?;
        }
        Ok(decoded)
    }

    /// Translate a code address, looking the TLB and code cache up once per
    /// code line, as the prefetcher does.
    #[inline(always)]
    fn fetch_translate<const PENTIUM: bool>(&mut self, linear: u32) -> Result<u32, Fault> {
        let line_shift = Self::code_line_shift::<PENTIUM>();
        debug_assert_eq!(line_shift, self.caches.code.line_shift());
        let line = &self.fetch_line;
        if line.linear_line == linear >> line_shift {
            return Ok(line.physical_start | (linear & ((1 << line_shift) - 1)));
        }
        if let Some(physical) = self.fetch_line_again::<PENTIUM>(linear) {
            return Ok(physical);
        }
        self.fetch_new_line(linear)
    }

    /// A fetch from the code line looked up last, when neither the code TLB
    /// nor the code cache changed since (see `LookedUpLine`): the look-up's
    /// hits, as the search would find them, without the search. `None`:
    /// another line, or something changed.
    #[inline(always)]
    fn fetch_line_again<const PENTIUM: bool>(&mut self, linear: u32) -> Option<u32> {
        let line_shift = Self::code_line_shift::<PENTIUM>();
        let line = linear >> line_shift;
        let last = &self.looked_up;
        if last.linear_line != line
            || last.tlb_generation != self.mmu.code.generation()
            || last.cache_generation != self.caches.code.generation()
        {
            return None;
        }
        let physical_start = last.physical_start;
        self.mmu.code.repeat_last_hit();
        let code_tlb = &self.mmu.code;
        self.events.emit(|| {
            let (set, way) = code_tlb.find(linear >> 12).unwrap_or_default();
            crate::events::MachineEvent::TlbHit { tlb: code_tlb.kind(), set, way, linear }
        });
        self.caches.code.repeat_read();
        self.fetch_line = FetchLine { linear_line: line, physical_start };
        Some(physical_start | (linear & ((1 << line_shift) - 1)))
    }

    /// The code cache's line size as a shift, a constant for each CPU's loop
    /// (`Caches::new`: 16-byte lines on the i486, 32 on the Pentium).
    #[inline(always)]
    const fn code_line_shift<const PENTIUM: bool>() -> u32 {
        if PENTIUM { 5 } else { 4 }
    }

    /// The first fetch from a code line (or a later one that
    /// `fetch_line_again` cannot take): TLB and code cache looked up.
    #[inline(never)]
    fn fetch_new_line(&mut self, linear: u32) -> Result<u32, Fault> {
        let line_shift = self.caches.code.line_shift();
        let line = linear >> line_shift;
        let physical = self.translate(linear, AccessKind::Execute, true)?;
        if !self.caches.code.read(physical) {
            self.penalty += self.costs.cache_miss;
        }
        let physical_start = physical & !((1 << line_shift) - 1);
        self.fetch_line = FetchLine { linear_line: line, physical_start };
        // With paging on, the code TLB's last change was this page's hit or fill.
        self.looked_up = if self.cpu.cr0 & ia32::registers::cr0::PG != 0 {
            LookedUpLine {
                linear_line: line,
                physical_start,
                tlb_generation: self.mmu.code.generation(),
                cache_generation: self.caches.code.generation(),
            }
        } else {
            LookedUpLine::NONE
        };
        Ok(physical)
    }

    /// Decode at a linear address whose first byte is at `physical`.
    fn decode_at(&mut self, cache: &mut DecodeCache, linear: u32, physical: u32) -> Result<Location, Fault> {
        let mut bytes = [0u8; 15];
        let in_page = (4096 - (physical & 0xFFF)).min(15) as usize;
        self.memory.read(ia32::PhysAddr(physical), &mut bytes[..in_page]);
        let mut available = in_page;
        let mut instruction = decode_one(&bytes[..available], linear);
        if instruction.is_none() && available < 15 {
            // The instruction may continue on the next page: translate it
            // only now. (An instruction across two pages is decoded at each
            // run; the fetch looks the next page up when it gets there, so
            // a page the code TLB holds is only read here, not looked up.)
            let next_linear = (linear & !0xFFF).wrapping_add(4096);
            let next_physical = match self.held_translation(next_linear, AccessKind::Execute, true) {
                Some(physical) => physical,
                None => self.translate(next_linear, AccessKind::Execute, true)?,
            };
            self.memory.read(ia32::PhysAddr(next_physical), &mut bytes[in_page..]);
            available = 15;
            instruction = decode_one(&bytes[..available], linear);
        }
        let instruction = instruction.unwrap_or_default();
        let mut decoded = Decoded::new(instruction, self.config.cpu, self.costs);
        let line_mask = self.caches.code.line_size() - 1;
        decoded.crosses_line = (physical & line_mask) + instruction.len() as u32 > line_mask + 1;
        if instruction.len() == 0 {
            // Undecodable bytes (or 15 bytes without an end): #UD.
            return Err(Fault::invalid_opcode());
        }
        if (physical & 0xFFF) as usize + instruction.len() <= 4096 {
            self.memory.mark_decoded(physical >> 12);
            Ok(cache.insert(physical, decoded))
        } else {
            Ok(cache.set_transient(decoded))
        }
    }
}

/// Decode one instruction, or `None` if the bytes run out before it ends.
fn decode_one(bytes: &[u8], ip: u32) -> Option<iced_x86::Instruction> {
    let mut decoder = Decoder::with_ip(32, bytes, ip as u64, DecoderOptions::NONE);
    let instruction = decoder.decode();
    match decoder.last_error() {
        iced_x86::DecoderError::None => Some(instruction),
        iced_x86::DecoderError::NoMoreBytes => None,
        // Invalid encodings decode as a 1..15-byte INVALID instruction: #UD.
        _ => {
            let mut invalid = iced_x86::Instruction::default();
            invalid.set_len(instruction.len().max(1));
            Some(invalid)
        }
    }
}
