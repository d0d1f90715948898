//! The explorer's state and its one reducer.

use std::rc::Rc;
use wasm_bridge::{CpuChoice, Simulator, SystemView};
use yew::Reducible;

/// Everything the user can do to the explorer's state.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Action {
    /// Pick a CPU; the machine is rebuilt and the kernel booted again.
    SelectCpu(CpuChoice),
    /// Boot again on the same CPU.
    Reset,
}

/// The explorer's state: the simulator and the view drawn from it.
#[derive(Debug)]
pub struct ExplorerState {
    pub simulator: Simulator,
    pub view: SystemView,
}

impl ExplorerState {
    pub fn boot(cpu: CpuChoice) -> Self {
        let simulator = Simulator::boot(cpu);
        let view = simulator.view();
        Self { simulator, view }
    }
}

impl Default for ExplorerState {
    fn default() -> Self {
        Self::boot(CpuChoice::default())
    }
}

impl Reducible for ExplorerState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        match action {
            Action::SelectCpu(cpu) => Rc::new(Self::boot(cpu)),
            Action::Reset => Rc::new(Self::boot(self.view.cpu)),
        }
    }
}
