//! Paging: the two-level walk of the tables in physical memory, the TLBs,
//! rights checks, accessed and dirty bits, and page faults.
//!
//! The walk reads the very words the kernel wrote. A/D bits are written back
//! into those words as the hardware does: A on the directory and table entry
//! when a translation is first cached, D on the table entry (or the 4 MB
//! directory entry) on the first write through it.

use crate::CpuModel;
use crate::events::{EventSink, MachineEvent};
use crate::memory::PhysicalMemory;
use crate::tlb::{Tlb, TlbEntry, TlbKind};
use ia32::paging::{ACCESSED, DIRTY, LARGE_PAGE, PRESENT, PageFaultError, USER, WRITABLE};
use ia32::registers::{cr0, cr4};

/// What an access wants to do.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AccessKind {
    Read,
    Write,
    Execute,
}

/// A translation failure: the #PF error code (CR2 is the linear address).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PageFault {
    pub linear: u32,
    pub error: PageFaultError,
}

/// The TLBs of the CPU.
#[derive(Clone, Debug)]
pub struct Mmu {
    model: CpuModel,
    /// i486: the unified TLB. Pentium: the code TLB.
    pub code: Tlb,
    /// Pentium only: the 4 KB data TLB.
    pub data: Option<Tlb>,
    /// Pentium only: the 4 MB data TLB.
    pub large: Option<Tlb>,
    /// Page walks done (TLB misses that went to memory).
    pub walks: u64,
}

/// The result of a translation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Translation {
    pub physical: u32,
    /// The TLB missed and the tables were walked.
    pub walked: bool,
}

impl Mmu {
    pub fn new(model: CpuModel) -> Self {
        match model {
            CpuModel::I486 => Self { model, code: Tlb::new(TlbKind::Unified, 32), data: None, large: None, walks: 0 },
            CpuModel::Pentium => Self {
                model,
                code: Tlb::new(TlbKind::Code, 32),
                data: Some(Tlb::new(TlbKind::Data, 64)),
                large: Some(Tlb::new(TlbKind::Large, 8)),
                walks: 0,
            },
        }
    }

    /// Whether an access's 4 KB translations are in the code TLB (the
    /// 486's one TLB holds every access's).
    #[inline(always)]
    fn uses_code_tlb(&self, kind: AccessKind) -> bool {
        kind == AccessKind::Execute || self.data.is_none()
    }

    /// The TLB of an access's 4 KB translations (see `uses_code_tlb`).
    #[inline(always)]
    fn small_tlb(&mut self, is_code: bool) -> &mut Tlb {
        if is_code { &mut self.code } else { self.data.as_mut().unwrap_or(&mut self.code) }
    }

    /// All TLBs, for views and counters.
    pub fn tlbs(&self) -> Vec<&Tlb> {
        let mut all = vec![&self.code];
        all.extend(self.data.iter());
        all.extend(self.large.iter());
        all
    }

    /// `mov cr3`: flush every TLB (the 486 and P5 have no global pages).
    pub fn flush_all(&mut self, events: &mut EventSink) {
        let mut dropped = self.code.flush();
        for tlb in self.data.iter_mut().chain(self.large.iter_mut()) {
            dropped += tlb.flush();
        }
        events.emit(|| MachineEvent::TlbFlush { entries: dropped });
    }

    /// `invlpg`: drop any translation of the page holding `linear`, 4 KB or 4 MB.
    pub fn invalidate(&mut self, linear: u32, events: &mut EventSink) -> bool {
        let mut found = self.code.invalidate(linear >> 12);
        if let Some(data) = self.data.as_mut() {
            found |= data.invalidate(linear >> 12);
        }
        if let Some(large) = self.large.as_mut() {
            found |= large.invalidate(linear >> 22);
        }
        events.emit(|| MachineEvent::TlbInvalidate { linear, present: found });
        found
    }

    /// The common case, inlined where memory is accessed: a TLB hit whose
    /// rights allow the access (and, for a write, whose entry is dirty).
    /// Changes the TLB exactly as `translate_slowly` would for it. For a
    /// page no TLB holds it changes nothing and answers `Absent` (then
    /// [`Mmu::translate_missed`]); for anything else, nothing and `Other`.
    #[inline(always)]
    pub(crate) fn translate_hit(
        &mut self,
        control: ControlRegisters,
        linear: u32,
        kind: AccessKind,
        user: bool,
        events: &mut EventSink,
    ) -> Probe {
        let is_code = self.uses_code_tlb(kind);
        // A data access looks in the 4 MB TLB first (a miss there is not
        // counted: the 4 KB TLB's miss is).
        if !is_code
            && let Some(large) = self.large.as_mut()
            && large.holds_any()
            && let Some((set, way)) = large.find(linear >> 22)
        {
            return use_hit(large, set, way, 22, control, linear, kind, user, events);
        }
        let tlb = self.small_tlb(is_code);
        let Some((set, way)) = tlb.find(linear >> 12) else { return Probe::Absent };
        use_hit(tlb, set, way, 12, control, linear, kind, user, events)
    }

    /// The physical address, if a TLB holds the page with rights that
    /// allow the access, so that it cannot fault — looked at without
    /// changing anything: no replacement bits, counter or event. (A first
    /// write through a clean entry is allowed: marking it dirty is the
    /// access's own work.)
    pub(crate) fn allows_unchanged(
        &self,
        control: ControlRegisters,
        linear: u32,
        kind: AccessKind,
        user: bool,
    ) -> Option<u32> {
        let write = kind == AccessKind::Write;
        let allows = |entry: TlbEntry, shift: u32| {
            check_rights(control, entry.user, entry.writable, linear, write, user)
                .is_ok()
                .then_some((entry.frame << shift) | (linear & ((1 << shift) - 1)))
        };
        let is_code = self.uses_code_tlb(kind);
        if !is_code
            && let Some(large) = self.large.as_ref()
            && large.holds_any()
            && let Some((set, way)) = large.find(linear >> 22)
        {
            return allows(large.entry(set, way), 22);
        }
        let tlb = if is_code { &self.code } else { self.data.as_ref().unwrap_or(&self.code) };
        tlb.find(linear >> 12).and_then(|(set, way)| allows(tlb.entry(set, way), 12))
    }

    /// A miss that [`Mmu::translate_hit`] found (no TLB holds the page):
    /// counted, walked and filled as `translate_slowly` would after its own
    /// search, without searching again.
    #[inline(never)]
    pub(crate) fn translate_missed(
        &mut self,
        memory: &mut PhysicalMemory,
        control: ControlRegisters,
        linear: u32,
        kind: AccessKind,
        user: bool,
        events: &mut EventSink,
    ) -> Result<Translation, PageFault> {
        let is_code = self.uses_code_tlb(kind);
        let tlb = self.small_tlb(is_code);
        // What the failed lookups of `translate_slowly` count: the 4 KB
        // TLB's miss (the 4 MB TLB's is taken back there).
        tlb.counters.misses += 1;
        let tlb_kind = tlb.kind();
        self.after_miss(memory, control, linear, kind, user, is_code, tlb_kind, events)
    }

    /// Everything but the common hit: searched again from the start, with
    /// the counters, walk, fill and faults.
    #[inline(never)]
    pub(crate) fn translate_slowly(
        &mut self,
        memory: &mut PhysicalMemory,
        control: ControlRegisters,
        linear: u32,
        kind: AccessKind,
        user: bool,
        events: &mut EventSink,
    ) -> Result<Translation, PageFault> {
        let page = linear >> 12;
        // Which TLB holds this access's 4 KB translations.
        let is_code = self.uses_code_tlb(kind);
        // Pentium data accesses look in the 4 MB TLB as well (when it holds
        // anything: a lookup in an empty one changes nothing).
        if !is_code
            && let Some(large) = self.large.as_mut()
            && large.holds_any()
        {
            if let Some((entry, way)) = large.lookup(linear >> 22) {
                let set = large.set_of(entry.tag);
                events.emit(|| MachineEvent::TlbHit { tlb: TlbKind::Large, set, way, linear });
                return self.finish_hit(memory, control, entry, linear, kind, user, TlbKind::Large, events);
            }
            // A miss in the 4 MB TLB is not counted (the 4 KB TLB's is).
            large.counters.misses -= 1;
        }
        let tlb = self.small_tlb(is_code);
        let tlb_kind = tlb.kind();
        if let Some((entry, way)) = tlb.lookup(page) {
            let set = tlb.set_of(page);
            events.emit(|| MachineEvent::TlbHit { tlb: tlb_kind, set, way, linear });
            return self.finish_hit(memory, control, entry, linear, kind, user, tlb_kind, events);
        }
        self.after_miss(memory, control, linear, kind, user, is_code, tlb_kind, events)
    }

    /// A miss in the TLB the access uses: walk the tables and fill it.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn after_miss(
        &mut self,
        memory: &mut PhysicalMemory,
        control: ControlRegisters,
        linear: u32,
        kind: AccessKind,
        user: bool,
        is_code: bool,
        tlb_kind: TlbKind,
        events: &mut EventSink,
    ) -> Result<Translation, PageFault> {
        let write = kind == AccessKind::Write;
        events.emit(|| MachineEvent::TlbMiss { tlb: tlb_kind, linear });
        let walk = self.walk(memory, control, linear, write, user, events);
        let walk = match walk {
            Ok(walk) => walk,
            Err(fault) => {
                events.emit(|| MachineEvent::PageFault { linear, error: fault.error.0 });
                return Err(fault);
            }
        };
        self.walks += 1;
        let physical = walk.physical;
        self.fill(walk, linear, is_code, events);
        Ok(Translation { physical, walked: true })
    }

    /// A TLB hit: the rights, and the physical address — or, for a first
    /// write through a clean entry or a rights fault, the slow way.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn finish_hit(
        &mut self,
        memory: &mut PhysicalMemory,
        control: ControlRegisters,
        entry: TlbEntry,
        linear: u32,
        kind: AccessKind,
        user: bool,
        tlb: TlbKind,
        events: &mut EventSink,
    ) -> Result<Translation, PageFault> {
        if !hit_allows(control, entry, linear, kind, user) {
            return self.finish_hit_slowly(memory, control, entry, linear, kind, user, tlb, events);
        }
        let shift = tlb.page_shift();
        Ok(Translation { physical: (entry.frame << shift) | (linear & ((1 << shift) - 1)), walked: false })
    }

    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn finish_hit_slowly(
        &mut self,
        memory: &mut PhysicalMemory,
        control: ControlRegisters,
        entry: TlbEntry,
        linear: u32,
        kind: AccessKind,
        user: bool,
        tlb: TlbKind,
        events: &mut EventSink,
    ) -> Result<Translation, PageFault> {
        let write = kind == AccessKind::Write;
        if let Err(fault) = check_rights(control, entry.user, entry.writable, linear, write, user) {
            // The faulting translation is dropped, so the handler's fix is seen on retry.
            self.invalidate_quietly(linear);
            events.emit(|| MachineEvent::PageFault { linear, error: fault.error.0 });
            return Err(fault);
        }
        let shift = tlb.page_shift();
        let physical = (entry.frame << shift) | (linear & ((1 << shift) - 1));
        if write && !entry.dirty {
            // First write through a clean translation: the CPU walks again to set D.
            let walk = self.walk(memory, control, linear, true, user, events);
            match walk {
                Ok(walk) => {
                    self.walks += 1;
                    let physical = walk.physical;
                    let is_code = self.uses_code_tlb(kind);
                    self.fill(walk, linear, is_code, events);
                    return Ok(Translation { physical, walked: true });
                }
                Err(fault) => {
                    self.invalidate_quietly(linear);
                    events.emit(|| MachineEvent::PageFault { linear, error: fault.error.0 });
                    return Err(fault);
                }
            }
        }
        Ok(Translation { physical, walked: false })
    }

    fn invalidate_quietly(&mut self, linear: u32) {
        self.code.invalidate(linear >> 12);
        if let Some(data) = self.data.as_mut() {
            data.invalidate(linear >> 12);
        }
        if let Some(large) = self.large.as_mut() {
            large.invalidate(linear >> 22);
        }
    }

    #[inline(always)]
    fn fill(&mut self, walk: Walk, linear: u32, is_code: bool, events: &mut EventSink) {
        let (tlb, entry) = if walk.large && !is_code && self.large.is_some() {
            let entry = TlbEntry {
                valid: true,
                tag: linear >> 22,
                frame: walk.physical >> 22,
                writable: walk.writable,
                user: walk.user,
                dirty: walk.dirty,
            };
            (self.large.as_mut().unwrap_or(&mut self.code), entry)
        } else {
            let entry = TlbEntry {
                valid: true,
                tag: linear >> 12,
                frame: walk.physical >> 12,
                writable: walk.writable,
                user: walk.user,
                dirty: walk.dirty,
            };
            let tlb = self.small_tlb(is_code);
            (tlb, entry)
        };
        let kind = tlb.kind();
        let (set, way, evicted) = tlb.fill(entry);
        events.emit(|| MachineEvent::TlbFill {
            tlb: kind,
            set,
            way,
            linear,
            physical: walk.physical,
            evicted_linear: evicted.map(|old| old.tag << kind.page_shift()),
        });
    }

    /// Walk the tables for `linear`, checking rights and setting A/D bits.
    #[inline(always)]
    fn walk(
        &self,
        memory: &mut PhysicalMemory,
        control: ControlRegisters,
        linear: u32,
        write: bool,
        user: bool,
        events: &mut EventSink,
    ) -> Result<Walk, PageFault> {
        let directory_address = (control.cr3 & 0xFFFF_F000) + ((linear >> 22) << 2);
        let directory = memory.read_u32(directory_address);
        let not_present = |_| PageFault { linear, error: PageFaultError::new(false, write, user) };
        if directory & PRESENT == 0 {
            events.emit(|| MachineEvent::PageWalk { linear, directory, table: None });
            return Err(not_present(()));
        }
        let pse = self.model == CpuModel::Pentium && control.cr4 & cr4::PSE != 0;
        if directory & LARGE_PAGE != 0 && pse {
            events.emit(|| MachineEvent::PageWalk { linear, directory, table: None });
            let writable = directory & WRITABLE != 0;
            let page_user = directory & USER != 0;
            check_rights(control, page_user, writable, linear, write, user)?;
            let mut updated = directory | ACCESSED;
            if write {
                updated |= DIRTY;
            }
            if updated != directory {
                memory.write_u32(directory_address, updated);
            }
            return Ok(Walk {
                physical: (directory & 0xFFC0_0000) | (linear & 0x003F_FFFF),
                writable,
                user: page_user,
                dirty: updated & DIRTY != 0,
                large: true,
            });
        }
        let table_address = (directory & 0xFFFF_F000) + (((linear >> 12) & 0x3FF) << 2);
        let table = memory.read_u32(table_address);
        events.emit(|| MachineEvent::PageWalk { linear, directory, table: Some(table) });
        if table & PRESENT == 0 {
            return Err(not_present(()));
        }
        let writable = directory & table & WRITABLE != 0;
        let page_user = directory & table & USER != 0;
        check_rights(control, page_user, writable, linear, write, user)?;
        if directory & ACCESSED == 0 {
            memory.write_u32(directory_address, directory | ACCESSED);
        }
        let mut updated = table | ACCESSED;
        if write {
            updated |= DIRTY;
        }
        if updated != table {
            memory.write_u32(table_address, updated);
        }
        Ok(Walk {
            physical: (table & 0xFFFF_F000) | (linear & 0xFFF),
            writable,
            user: page_user,
            dirty: updated & DIRTY != 0,
            large: false,
        })
    }
}

/// What the inlined look at the TLBs found.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Probe {
    /// A hit that serves the access: its physical address (the TLB changed as for a hit).
    Hit(u32),
    /// No TLB holds the page: a miss (nothing changed yet).
    Absent,
    /// A hit that does not serve the access as it is (rights, or a first
    /// write through a clean entry): the slow way (nothing changed yet).
    Other,
}

/// The control-register bits translation depends on.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct ControlRegisters {
    pub cr0: u32,
    pub cr3: u32,
    pub cr4: u32,
}

#[derive(Clone, Copy, Debug)]
struct Walk {
    physical: u32,
    writable: bool,
    user: bool,
    dirty: bool,
    large: bool,
}

/// Whether a cached translation serves `kind` of access as it is: its
/// rights allow it and, for a write, its dirty bit is already set.
#[inline(always)]
fn hit_allows(control: ControlRegisters, entry: TlbEntry, linear: u32, kind: AccessKind, user: bool) -> bool {
    let write = kind == AccessKind::Write;
    (!write || entry.dirty) && check_rights(control, entry.user, entry.writable, linear, write, user).is_ok()
}

/// The hit of way `way` of `set` in `tlb` (whose pages are `1 << shift`
/// bytes), if it serves the access as it is (`hit_allows`): its effects
/// (replacement bits, counter, event) and the physical address. Otherwise
/// nothing changes.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn use_hit(
    tlb: &mut Tlb,
    set: usize,
    way: usize,
    shift: u32,
    control: ControlRegisters,
    linear: u32,
    kind: AccessKind,
    user: bool,
    events: &mut EventSink,
) -> Probe {
    let entry = tlb.entry(set, way);
    if !hit_allows(control, entry, linear, kind, user) {
        return Probe::Other;
    }
    tlb.repeat_hit(set, way);
    let tlb_kind = tlb.kind();
    events.emit(|| MachineEvent::TlbHit { tlb: tlb_kind, set, way, linear });
    Probe::Hit((entry.frame << shift) | (linear & ((1 << shift) - 1)))
}

/// U/S and R/W rules: a user access needs U; a user write needs W; a
/// supervisor write needs W only when CR0.WP is set (486 and later).
fn check_rights(
    control: ControlRegisters,
    page_user: bool,
    writable: bool,
    linear: u32,
    write: bool,
    user: bool,
) -> Result<(), PageFault> {
    let allowed =
        if user { page_user && (!write || writable) } else { !write || writable || control.cr0 & cr0::WP == 0 };
    if allowed { Ok(()) } else { Err(PageFault { linear, error: PageFaultError::new(true, write, user) }) }
}
