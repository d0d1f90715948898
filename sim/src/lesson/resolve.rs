//! From names to numbers: a lesson's sentences name threads (`pong`) and
//! labels (`page_a`); once the programs are assembled, each becomes a
//! (task, lthread) pair or an address. A name nobody declared is an error
//! at its line, with the names that do exist as the hint.

use crate::loading::Module;
use crate::names::ThreadNames;
use crate::{LoggedEvent, Source};
use kernel::KernelEvent;
use lessons::grammar::{Check, Comparison, Counter, Place, Register, Rights, StateName, Target, ThreadReference};
use lessons::{Lesson, LessonError, Look};

/// A thread as (task, lthread), or an interrupt's sender id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadKey {
    Thread {
        task: u8,
        lthread: u8,
    },
    /// irq + 1, the id interrupts come from.
    Interrupt(u8),
}

impl ThreadKey {
    /// Whether the raw thread id `raw` is this thread.
    pub fn is(self, raw: u32) -> bool {
        let id = ia32::abi::ThreadId(raw);
        match self {
            ThreadKey::Thread { task, lthread } => {
                raw != 0 && raw != u32::MAX && id.task() == task && id.lthread() == lthread
            }
            ThreadKey::Interrupt(irq) => raw == irq as u32 + 1,
        }
    }

    pub fn task(self) -> Option<u8> {
        match self {
            ThreadKey::Thread { task, .. } => Some(task),
            ThreadKey::Interrupt(_) => None,
        }
    }
}

/// A go target with numbers for names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResolvedTarget {
    Ipc { from: Option<ThreadKey>, to: Option<ThreadKey> },
    Map { grant: bool, frame: Option<u32>, from: Option<ThreadKey>, to: Option<ThreadKey> },
    Unmap { frame: Option<u32>, task: Option<u8> },
    PageFault { thread: Option<ThreadKey>, page: Option<u32> },
    TlbFlush,
    SpaceSwitch { task: Option<u8> },
    SmallSpaceSwitch { task: Option<u8> },
    Interrupt { irq: Option<u8> },
    Exception { thread: Option<ThreadKey> },
    ThreadSwitch { to: Option<ThreadKey> },
    KernelEvent,
    Instruction { address: u32, thread: Option<ThreadKey> },
    End,
}

/// Where a step's go runs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedGo {
    pub count: u32,
    pub target: ResolvedTarget,
    /// As the lesson wrote it.
    pub text: String,
    pub line: usize,
}

/// A check with numbers for names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResolvedCheckKind {
    Has { thread: ThreadKey, frame: u32, rights: Option<Rights>, from: Option<ThreadKey> },
    HasNot { thread: ThreadKey, frame: u32 },
    State { thread: ThreadKey, state: StateName },
    Count { counter: Counter, since_step: bool, comparison: Comparison, value: u64 },
    Register { register: Register, comparison: Comparison, value: u64 },
    SpaceLoaded { thread: ThreadKey },
    LastMessage { from: Option<ThreadKey>, to: Option<ThreadKey> },
    Console { text: String },
    // A user-mode translation to `frame` is (or is not) in a TLB.
    Tlb { frame: u32, holds: bool, rights: Option<Rights> },
}

/// A check ready to evaluate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedCheck {
    pub kind: ResolvedCheckKind,
    pub text: String,
    pub line: usize,
}

/// A step's go and checks, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedStep {
    pub go: Option<ResolvedGo>,
    pub checks: Vec<ResolvedCheck>,
    pub look: Option<Look>,
}

/// Every label of the programs: (name, address).
pub(crate) fn labels(modules: &[Module]) -> Vec<(String, u32)> {
    let mut labels = Vec::new();
    for module in modules.iter().skip(1) {
        let Ok(image) = asm::loader::Image::parse(&module.elf) else { continue };
        for symbol in image.symbols() {
            if let Ok(name) = core::str::from_utf8(symbol.name) {
                labels.push((name.to_string(), symbol.address));
            }
        }
    }
    labels
}

struct Resolver<'a> {
    names: &'a ThreadNames,
    labels: &'a [(String, u32)],
    line: usize,
}

impl Resolver<'_> {
    fn thread(&self, reference: &ThreadReference) -> Result<ThreadKey, LessonError> {
        match reference {
            ThreadReference::Number { task, lthread } => Ok(ThreadKey::Thread { task: *task, lthread: *lthread }),
            ThreadReference::Interrupt(irq) => Ok(ThreadKey::Interrupt(*irq)),
            ThreadReference::Name(name) => match self.names.find(name) {
                Some((task, lthread)) => Ok(ThreadKey::Thread { task, lthread }),
                None => {
                    let known: Vec<&str> = self.names.iter().map(|(_, _, name)| name).collect();
                    Err(LessonError::new(self.line, format!("no thread is called `{name}`")).hint(format!(
                        "the threads are {}; name more in the front matter's `threads:`",
                        known.join(", ")
                    )))
                }
            },
        }
    }

    fn optional_thread(&self, reference: &Option<ThreadReference>) -> Result<Option<ThreadKey>, LessonError> {
        reference.as_ref().map(|reference| self.thread(reference)).transpose()
    }

    fn task(&self, reference: &Option<ThreadReference>) -> Result<Option<u8>, LessonError> {
        match self.optional_thread(reference)? {
            Some(ThreadKey::Interrupt(_)) => {
                Err(LessonError::new(self.line, "an interrupt has no address space").hint("name a thread of the task"))
            }
            key => Ok(key.and_then(ThreadKey::task)),
        }
    }

    fn address(&self, place: &Place) -> Result<u32, LessonError> {
        match place {
            Place::Address(address) => Ok(*address),
            Place::Label(label) => {
                let found: Vec<u32> =
                    self.labels.iter().filter(|(name, _)| name == label).map(|(_, address)| *address).collect();
                match found.as_slice() {
                    [address] => Ok(*address),
                    [] => Err(LessonError::new(self.line, format!("no program has a label `{label}`"))
                        .hint("use a label of the programs (a line `name:`) or an address like 0x402000")),
                    _ => Err(LessonError::new(self.line, format!("`{label}` is a label in more than one program"))
                        .hint("rename one, or write the address")),
                }
            }
        }
    }

    /// A frame named by a label or address: its page (modules are loaded at
    /// their link addresses, so a label's address is where its bytes are).
    fn frame(&self, place: &Place) -> Result<u32, LessonError> {
        self.address(place).map(|address| address & !0xFFF)
    }

    fn optional_frame(&self, place: &Option<Place>) -> Result<Option<u32>, LessonError> {
        place.as_ref().map(|place| self.frame(place)).transpose()
    }

    fn target(&self, target: &Target) -> Result<ResolvedTarget, LessonError> {
        Ok(match target {
            Target::Ipc { from, to } => {
                ResolvedTarget::Ipc { from: self.optional_thread(from)?, to: self.optional_thread(to)? }
            }
            Target::Map { grant, frame, from, to } => ResolvedTarget::Map {
                grant: *grant,
                frame: self.optional_frame(frame)?,
                from: self.optional_thread(from)?,
                to: self.optional_thread(to)?,
            },
            Target::Unmap { frame, task } => {
                ResolvedTarget::Unmap { frame: self.optional_frame(frame)?, task: self.task(task)? }
            }
            Target::PageFault { thread, address } => {
                ResolvedTarget::PageFault { thread: self.optional_thread(thread)?, page: self.optional_frame(address)? }
            }
            Target::TlbFlush => ResolvedTarget::TlbFlush,
            Target::SpaceSwitch { to } => ResolvedTarget::SpaceSwitch { task: self.task(to)? },
            Target::SmallSpaceSwitch { to } => ResolvedTarget::SmallSpaceSwitch { task: self.task(to)? },
            Target::Interrupt { irq } => ResolvedTarget::Interrupt { irq: *irq },
            Target::Exception { thread } => ResolvedTarget::Exception { thread: self.optional_thread(thread)? },
            Target::ThreadSwitch { to } => ResolvedTarget::ThreadSwitch { to: self.optional_thread(to)? },
            Target::KernelEvent => ResolvedTarget::KernelEvent,
            Target::Instruction { place, thread } => {
                ResolvedTarget::Instruction { address: self.address(place)?, thread: self.optional_thread(thread)? }
            }
            Target::End => ResolvedTarget::End,
        })
    }

    fn check(&self, check: &Check) -> Result<ResolvedCheckKind, LessonError> {
        Ok(match check {
            Check::Has { thread, frame, rights, from } => ResolvedCheckKind::Has {
                thread: self.thread(thread)?,
                frame: self.frame(frame)?,
                rights: *rights,
                from: self.optional_thread(from)?,
            },
            Check::HasNot { thread, frame } => {
                ResolvedCheckKind::HasNot { thread: self.thread(thread)?, frame: self.frame(frame)? }
            }
            Check::State { thread, state } => ResolvedCheckKind::State { thread: self.thread(thread)?, state: *state },
            Check::Count { counter, since_step, comparison, value } => ResolvedCheckKind::Count {
                counter: *counter,
                since_step: *since_step,
                comparison: *comparison,
                value: *value,
            },
            Check::Register { register, comparison, value } => {
                ResolvedCheckKind::Register { register: *register, comparison: *comparison, value: *value }
            }
            Check::SpaceLoaded { thread } => ResolvedCheckKind::SpaceLoaded { thread: self.thread(thread)? },
            Check::LastMessage { from, to } => {
                ResolvedCheckKind::LastMessage { from: self.optional_thread(from)?, to: self.optional_thread(to)? }
            }
            Check::Console { text } => ResolvedCheckKind::Console { text: text.clone() },
            Check::Tlb { frame, holds, rights } => {
                ResolvedCheckKind::Tlb { frame: self.frame(frame)?, holds: *holds, rights: *rights }
            }
        })
    }
}

/// Resolve every step; errors go to `errors`.
pub(crate) fn steps(
    lesson: &Lesson,
    names: &ThreadNames,
    labels: &[(String, u32)],
    errors: &mut Vec<LessonError>,
) -> Vec<ResolvedStep> {
    lesson
        .steps
        .iter()
        .map(|step| {
            let go = step.go.as_ref().and_then(|go| {
                let resolver = Resolver { names, labels, line: go.line };
                resolver
                    .target(&go.value.target)
                    .map(|target| ResolvedGo { count: go.value.count, target, text: go.text.clone(), line: go.line })
                    .map_err(|error| errors.push(error))
                    .ok()
            });
            let checks = step
                .checks
                .iter()
                .filter_map(|check| {
                    let resolver = Resolver { names, labels, line: check.line };
                    resolver
                        .check(&check.value)
                        .map(|kind| ResolvedCheck { kind, text: check.text.clone(), line: check.line })
                        .map_err(|error| errors.push(error))
                        .ok()
                })
                .collect();
            ResolvedStep { go, checks, look: step.look.as_ref().map(|look| look.value) }
        })
        .collect()
}

fn any(key: Option<ThreadKey>, raw: u32) -> bool {
    key.is_none_or(|key| key.is(raw))
}

impl ResolvedTarget {
    /// Whether a logged event is one this target waits for.
    pub fn matches(&self, entry: &LoggedEvent) -> bool {
        let Source::Kernel(event) = &entry.source else { return false };
        match (self, *event) {
            (ResolvedTarget::Ipc { from, to }, KernelEvent::Ipc { from: sender, to: receiver, .. }) => {
                any(*from, sender.raw()) && any(*to, receiver.raw())
            }
            (
                ResolvedTarget::Map { grant, frame, from, to },
                KernelEvent::Map { from: sender, to: receiver, frame: mapped, grant: granted, .. },
            ) => {
                *grant == granted
                    && frame.is_none_or(|frame| frame == mapped & !0xFFF)
                    && any(*from, sender.raw())
                    && any(*to, receiver.raw())
            }
            (ResolvedTarget::Unmap { frame, task }, KernelEvent::Unmap { task: owner, frame: unmapped, .. }) => {
                frame.is_none_or(|frame| frame == unmapped & !0xFFF) && task.is_none_or(|task| task == owner)
            }
            (ResolvedTarget::PageFault { thread, page }, KernelEvent::PageFault { thread: faulting, address, .. }) => {
                any(*thread, faulting.raw()) && page.is_none_or(|page| page == address & !0xFFF)
            }
            (ResolvedTarget::TlbFlush, KernelEvent::TlbFlush { .. }) => true,
            (ResolvedTarget::SpaceSwitch { task }, KernelEvent::SpaceSwitch { task: loaded, .. }) => {
                task.is_none_or(|task| task == loaded)
            }
            (ResolvedTarget::SmallSpaceSwitch { task }, KernelEvent::SmallSpace { task: loaded, .. }) => {
                task.is_none_or(|task| task == loaded)
            }
            (ResolvedTarget::Interrupt { irq }, KernelEvent::Interrupt { irq: raised, .. }) => {
                irq.is_none_or(|irq| irq == raised)
            }
            (ResolvedTarget::Exception { thread }, KernelEvent::Exception { thread: faulting, .. }) => {
                any(*thread, faulting.raw())
            }
            (ResolvedTarget::ThreadSwitch { to }, KernelEvent::ThreadSwitch { to: next, .. }) => any(*to, next.raw()),
            (ResolvedTarget::KernelEvent, _) => true,
            _ => false,
        }
    }

    /// Whether the target is reached by running to kernel events (not an
    /// instruction, not the end).
    pub fn is_event(&self) -> bool {
        !matches!(self, ResolvedTarget::Instruction { .. } | ResolvedTarget::End)
    }
}
