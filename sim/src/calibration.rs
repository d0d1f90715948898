//! The cycles the model charges for the kernel's own instructions.
//!
//! The kernel runs natively, not interpreted, so the model cannot count its
//! instructions; `cargo xtask calibrate` measures each kernel path on the
//! native image and writes `data/kernel-paths.txt`, which is compiled in
//! here. A path's cost is a base plus a cost per unit of the work the entry
//! did at the hardware boundary ([`Work`]: memory calls and bytes, bytes
//! cleared, console bytes), all fitted from native measurements — never
//! from the paper. A path without a measurement is charged nothing, and
//! [`KernelCosts::calibrated`] says so, so that no report presents an
//! uncalibrated figure as the kernel's cost.
//!
//! The file also records a hash of the sources it describes
//! ([`sources_hash`] of `kernel/src` and `native-boot/src`); a test fails
//! when they changed since the table was measured.

use kernel::cost::{Path, Work};
use machine_model::CpuModel;

/// The calibration file as built into this binary.
pub const CALIBRATION: &str = include_str!("../data/kernel-paths.txt");

/// The folders whose sources the calibration describes (relative to the workspace).
pub const CALIBRATED_SOURCES: [&str; 2] = ["kernel/src", "native-boot/src"];

/// Instructions and cycles (fractional for a per-unit cost).
#[derive(Clone, Copy, PartialEq, Debug, Default)]
pub struct Charge {
    pub instructions: f64,
    pub cycles: f64,
}

/// One measured path: its base (`instructions`, `cycles`, rounded) and its
/// cost per unit of work.
#[derive(Clone, Copy, PartialEq, Debug, Default)]
pub struct PathCost {
    pub instructions: u32,
    pub cycles: u32,
    pub per_unit: [Charge; 4],
}

impl PathCost {
    /// What one entry that did `work` costs: (instructions, cycles).
    pub fn charge(&self, work: &Work) -> (u64, u64) {
        let mut instructions = self.instructions as f64;
        let mut cycles = self.cycles as f64;
        for (unit, count) in self.per_unit.iter().zip(work.units()) {
            instructions += unit.instructions * count as f64;
            cycles += unit.cycles * count as f64;
        }
        (instructions.round() as u64, cycles.round() as u64)
    }
}

/// Cycles per kernel path for one CPU.
#[derive(Clone, Debug, PartialEq)]
pub struct KernelCosts {
    costs: [Option<PathCost>; Path::ALL.len()],
    /// The sources hash the table was measured for (`# sources HEX`).
    pub sources: Option<u64>,
}

impl KernelCosts {
    /// No charges at all.
    pub const fn none() -> Self {
        Self { costs: [None; Path::ALL.len()], sources: None }
    }

    /// The built-in table for `cpu`.
    pub fn built_in(cpu: CpuModel) -> Self {
        Self::parse(CALIBRATION, cpu).unwrap_or_else(|_| Self::none())
    }

    /// Parse a calibration file. Lines: `path i486-instructions i486-cycles
    /// pentium-instructions pentium-cycles`, optionally followed by groups
    /// `unit i486-instructions i486-cycles pentium-instructions
    /// pentium-cycles` (per unit of work); `# sources HEX` names the sources hash.
    pub fn parse(text: &str, cpu: CpuModel) -> Result<Self, String> {
        let mut costs = Self::none();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if let Some(hash) = line.strip_prefix("# sources ") {
                costs.sources = u64::from_str_radix(hash.trim(), 16).ok();
                continue;
            }
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            let expected = || {
                format!(
                    "line {}: expected `path i486-instructions i486-cycles pentium-instructions pentium-cycles [unit …]`",
                    number + 1
                )
            };
            if fields.len() < 5 || !(fields.len() - 5).is_multiple_of(5) {
                return Err(expected());
            }
            let name = fields[0];
            let Some(index) = Path::ALL.iter().position(|path| path.name() == name) else {
                return Err(format!("line {}: unknown kernel path `{name}`", number + 1));
            };
            let number_of =
                |text: &str| text.parse::<f64>().map_err(|_| format!("line {}: `{text}` is not a number", number + 1));
            let pick = |group: &[&str]| -> Result<Charge, String> {
                let (instructions, cycles) = match cpu {
                    CpuModel::I486 => (group[0], group[1]),
                    CpuModel::Pentium => (group[2], group[3]),
                };
                Ok(Charge { instructions: number_of(instructions)?, cycles: number_of(cycles)? })
            };
            let base = pick(&fields[1..5])?;
            let mut cost = PathCost {
                instructions: base.instructions.round() as u32,
                cycles: base.cycles.round() as u32,
                per_unit: [Charge::default(); 4],
            };
            for group in fields[5..].chunks(5) {
                let Some(unit) = Work::NAMES.iter().position(|name| *name == group[0]) else {
                    return Err(format!("line {}: unknown unit of work `{}`", number + 1, group[0]));
                };
                cost.per_unit[unit] = pick(&group[1..])?;
            }
            costs.costs[index] = Some(cost);
        }
        Ok(costs)
    }

    /// Base cycles charged for `path` (0 if it was never measured).
    pub fn cycles(&self, path: Path) -> u32 {
        self.cost(path).map_or(0, |cost| cost.cycles)
    }

    pub fn cost(&self, path: Path) -> Option<PathCost> {
        Path::ALL.iter().position(|candidate| *candidate == path).and_then(|index| self.costs[index])
    }

    /// (instructions, cycles) for an entry down `path` that did `work`.
    pub fn charge(&self, path: Path, work: &Work) -> (u64, u64) {
        self.cost(path).map_or((0, 0), |cost| cost.charge(work))
    }

    /// Whether every path has a measurement.
    pub fn calibrated(&self) -> bool {
        self.costs.iter().all(Option::is_some)
    }

    /// The paths never measured (the model charges nothing for their instructions).
    pub fn unmeasured(&self) -> Vec<&'static str> {
        Path::ALL.iter().zip(&self.costs).filter(|(_, cost)| cost.is_none()).map(|(path, _)| path.name()).collect()
    }
}

/// FNV-1a (64 bit) of every `.rs` file under the calibrated folders of the
/// workspace at `root`, in path order (names and contents): what
/// `kernel-paths.txt` was measured for.
pub fn sources_hash(root: &std::path::Path) -> std::io::Result<u64> {
    fn collect(folder: &std::path::Path, files: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(folder)? {
            let path = entry?.path();
            if path.is_dir() {
                collect(&path, files)?;
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                files.push(path);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    for folder in CALIBRATED_SOURCES {
        collect(&root.join(folder), &mut files)?;
    }
    files.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= *byte as u64;
            hash = hash.wrapping_mul(0x0000_0100_0000_01B3);
        }
    };
    for file in files {
        let relative = file.strip_prefix(root).unwrap_or(&file);
        feed(relative.to_string_lossy().replace('\\', "/").as_bytes());
        feed(&[0]);
        feed(&std::fs::read(&file)?);
        feed(&[0]);
    }
    Ok(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let costs = KernelCosts::parse("# sources 00ff\nipc-short 90 150 91 80\n", CpuModel::Pentium).unwrap();
        assert_eq!(costs.sources, Some(0xFF));
        assert_eq!(costs.cycles(Path::IpcShort), 80);
        assert_eq!(costs.cost(Path::IpcShort).unwrap().instructions, 91);
        assert_eq!(costs.cycles(Path::PageFault), 0);
        assert!(!costs.calibrated());
        assert!(costs.unmeasured().contains(&"page-fault") && !costs.unmeasured().contains(&"ipc-short"));
        assert!(KernelCosts::parse("ipc-long 1 2\n", CpuModel::I486).unwrap_err().contains("line 1"));
        assert!(KernelCosts::parse("warp 1 2 3 4\n", CpuModel::I486).unwrap_err().contains("unknown kernel path"));
        assert!(KernelCosts::parse("ipc-long x 2 3 4\n", CpuModel::I486).unwrap_err().contains("not a number"));
        assert!(KernelCosts::parse("ipc-long 1 2 3 4 pages 1 1 1 1\n", CpuModel::I486).unwrap_err().contains("unit"));
    }

    #[test]
    fn charges_a_base_plus_work() {
        let costs = KernelCosts::parse("ipc-long 100 200 90 150 bytes 0.25 0.5 0.25 0.3\n", CpuModel::I486).unwrap();
        let work = Work { bytes: 64, ..Work::NONE };
        assert_eq!(costs.charge(Path::IpcLong, &work), (116, 232));
        let big = Work { bytes: 65536, ..Work::NONE };
        assert_eq!(costs.charge(Path::IpcLong, &big), (16_484, 32_968), "a 64 KB string costs its bytes");
    }

    #[test]
    fn the_built_in_table_parses_and_covers_every_path() {
        let costs = KernelCosts::parse(CALIBRATION, CpuModel::I486).unwrap();
        assert!(costs.calibrated(), "kernel paths never measured: {:?}", costs.unmeasured());
    }

    /// `sim/data/kernel-paths.txt` was measured on the kernel sources as they
    /// are: run `cargo xtask calibrate` after changing the kernel or the
    /// native image.
    #[test]
    fn the_built_in_table_is_not_older_than_the_kernel() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let now = sources_hash(&root).expect("the kernel sources are readable");
        let measured = KernelCosts::parse(CALIBRATION, CpuModel::I486).unwrap().sources;
        assert_eq!(
            measured,
            Some(now),
            "sim/data/kernel-paths.txt was measured for other kernel sources (its `# sources` line): \
             run `cargo xtask calibrate`"
        );
    }
}
