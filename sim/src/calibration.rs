//! The cycles the model charges for the kernel's own instructions.
//!
//! The kernel runs natively, not interpreted, so the model cannot count its
//! instructions; `cargo xtask calibrate` measures each kernel path on the
//! native image and writes `data/kernel-paths.txt`, which is compiled in
//! here. A path without a measurement is charged nothing, and
//! [`KernelCosts::calibrated`] says so, so that no report presents an
//! uncalibrated figure as the kernel's cost.

use kernel::cost::Path;
use machine_model::CpuModel;

/// The calibration file as built into this binary.
pub const CALIBRATION: &str = include_str!("../data/kernel-paths.txt");

/// One measured path.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct PathCost {
    pub instructions: u32,
    pub cycles: u32,
}

/// Cycles per kernel path for one CPU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelCosts {
    costs: [Option<PathCost>; Path::ALL.len()],
}

impl KernelCosts {
    /// No charges at all.
    pub const fn none() -> Self {
        Self { costs: [None; Path::ALL.len()] }
    }

    /// The built-in table for `cpu`.
    pub fn built_in(cpu: CpuModel) -> Self {
        Self::parse(CALIBRATION, cpu).unwrap_or_else(|_| Self::none())
    }

    /// Parse a calibration file. Lines: `path i486-instructions i486-cycles
    /// pentium-instructions pentium-cycles`.
    pub fn parse(text: &str, cpu: CpuModel) -> Result<Self, String> {
        let mut costs = Self::none();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [name, i486_instructions, i486, pentium_instructions, pentium] = fields[..] else {
                return Err(format!(
                    "line {}: expected `path i486-instructions i486-cycles pentium-instructions pentium-cycles`",
                    number + 1
                ));
            };
            let Some(index) = Path::ALL.iter().position(|path| path.name() == name) else {
                return Err(format!("line {}: unknown kernel path `{name}`", number + 1));
            };
            let number_of =
                |text: &str| text.parse::<u32>().map_err(|_| format!("line {}: `{text}` is not a number", number + 1));
            let (instructions, cycles) = match cpu {
                CpuModel::I486 => (number_of(i486_instructions)?, number_of(i486)?),
                CpuModel::Pentium => (number_of(pentium_instructions)?, number_of(pentium)?),
            };
            costs.costs[index] = Some(PathCost { instructions, cycles });
        }
        Ok(costs)
    }

    /// Cycles charged for `path` (0 if it was never measured).
    pub fn cycles(&self, path: Path) -> u32 {
        self.cost(path).map_or(0, |cost| cost.cycles)
    }

    pub fn cost(&self, path: Path) -> Option<PathCost> {
        Path::ALL.iter().position(|candidate| *candidate == path).and_then(|index| self.costs[index])
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let costs = KernelCosts::parse("# c\nipc-short 90 150 91 80\n", CpuModel::Pentium).unwrap();
        assert_eq!(costs.cycles(Path::IpcShort), 80);
        assert_eq!(costs.cost(Path::IpcShort).unwrap().instructions, 91);
        assert_eq!(costs.cycles(Path::PageFault), 0);
        assert!(!costs.calibrated());
        assert!(costs.unmeasured().contains(&"page-fault") && !costs.unmeasured().contains(&"ipc-short"));
        assert!(KernelCosts::parse("ipc-long 1 2\n", CpuModel::I486).unwrap_err().contains("line 1"));
        assert!(KernelCosts::parse("warp 1 2 3 4\n", CpuModel::I486).unwrap_err().contains("unknown kernel path"));
        assert!(KernelCosts::parse("ipc-long x 2 3 4\n", CpuModel::I486).unwrap_err().contains("not a number"));
    }

    #[test]
    fn the_built_in_table_parses() {
        KernelCosts::parse(CALIBRATION, CpuModel::I486).unwrap();
    }
}
