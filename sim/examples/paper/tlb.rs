//! TLB reloads after an address-space switch, on the bare machine (no
//! kernel): user code touches a set of pages, hot, and again right after a
//! `mov cr3`. The difference between the two runs, less what the `int 0x30`
//! that ends each run cost in ring 0, is what reloading those pages cost.

use sim::model::workload::{self, CODE, DATA, PAGE_DIRECTORY};
use sim::model::{CpuModel, Exit, Machine, RunLimit};

/// One measurement: `pages` pages reloaded after a CR3 load.
pub struct Reload {
    /// Code pages and data pages the run touches.
    pub code_pages: u32,
    pub data_pages: u32,
    /// The CR3 load's own cycles.
    pub cr3: u64,
    /// Extra user cycles of the cold run over the hot one.
    pub cycles: u64,
    /// Page walks of the user code in the cold run beyond the hot run's.
    pub walks: u64,
}

impl Reload {
    pub fn pages(&self) -> u32 {
        self.code_pages + self.data_pages
    }
}

/// `mov eax, [esi]` then `add esi, 0x1000`, `count` times.
fn touches(code: &mut Vec<u8>, count: u32) {
    for _ in 0..count {
        code.extend([0x8B, 0x06, 0x81, 0xC6, 0x00, 0x10, 0x00, 0x00]);
    }
}

/// Code on `code_pages` pages, one after the other, touching `data_pages`
/// data pages in all (as evenly as they go), then `int 0x30`.
fn program(code_pages: u32, data_pages: u32) -> Vec<(u32, Vec<u8>)> {
    let mut pieces = Vec::new();
    for page in 0..code_pages {
        let address = CODE + page * 4096;
        let mut code = Vec::new();
        if page == 0 {
            code.extend([0xBE]); // mov esi, DATA
            code.extend(DATA.to_le_bytes());
        }
        let share = data_pages / code_pages + u32::from(page < data_pages % code_pages);
        touches(&mut code, share);
        if page + 1 < code_pages {
            // jmp rel32 to the next page's first byte
            let next = address + 4096;
            let after = address + code.len() as u32 + 5;
            code.push(0xE9);
            code.extend(next.wrapping_sub(after).to_le_bytes());
        } else {
            code.extend([0xCD, 0x30]); // int 0x30
        }
        pieces.push((address, code));
    }
    pieces
}

/// Run the program once from its start to its `int 0x30`: the user cycles
/// (the ring-0 entry's taken out) and the user's page walks.
fn run_once(machine: &mut Machine) -> Result<(u64, u64), String> {
    machine.return_to_user(&workload::user_frame(), false).map_err(|error| format!("{error:?}"))?;
    let (cycles, walks, ledger) = (machine.cycles, machine.mmu.walks, *machine.ledger());
    match machine.run(RunLimit::instructions(100_000)) {
        Ok(Exit::KernelEntry(_)) => {}
        other => return Err(format!("the TLB program ended with {other:?}")),
    }
    let ring0 = machine.ledger().since(&ledger);
    Ok((machine.cycles - cycles - ring0.cycles(), machine.mmu.walks - walks - ring0.tlb_refills))
}

/// Touch `code_pages` code pages and `data_pages` data pages hot, then after
/// a CR3 load.
pub fn reload(cpu: CpuModel, code_pages: u32, data_pages: u32) -> Result<Reload, String> {
    let mut machine = workload::bare_machine(cpu);
    for (address, code) in program(code_pages, data_pages) {
        machine.memory.write(sim::ia32::PhysAddr(address), &code);
    }
    run_once(&mut machine)?;
    let (hot, hot_walks) = run_once(&mut machine)?;
    let before = machine.cycles;
    machine.load_cr3(PAGE_DIRECTORY);
    let cr3 = machine.cycles - before;
    let (cold, walks) = run_once(&mut machine)?;
    Ok(Reload { code_pages, data_pages, cr3, cycles: cold.saturating_sub(hot), walks: walks.saturating_sub(hot_walks) })
}
