//! The sentences of a step: where "go" runs to, what a check asks, which
//! view to look at, which machine to boot. Each is a short English-like
//! sentence with a fixed grammar (docs/LESSONS.md lists them all), so a
//! teacher can write it and a student can read it:
//!
//! ```text
//! Go:    ipc from ping to pong          Check: client_b has page_a read-only
//! Go:    2 × map of page_a              Check: pong is receiving
//! Go:    instruction ping_loop in ping  Check: tlb misses in this step >= 4
//! Look:  tlb                            Check: cr3 holds pong's page directory
//! ```
//!
//! Names (threads, labels) are only syntax here; `sim::lesson` resolves them.

use crate::LessonError;

/// A thread as a sentence names it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ThreadReference {
    /// A name from the front matter or the programs (`ping`), or `sigma0`, `root`.
    Name(String),
    /// `5.0`: task 5, lthread 0 (or a whole id, `0x04050001`).
    Number { task: u8, lthread: u8 },
    /// `irq 4`: the sender id of interrupt 4 (irq + 1).
    Interrupt(u8),
}

/// A place in memory: a label of the programs or a number.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Place {
    Label(String),
    Address(u32),
}

/// Where "go" runs to: the `count`-th next `target`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Go {
    pub count: u32,
    pub target: Target,
}

/// What a "go" waits for.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Target {
    /// A message delivered.
    Ipc {
        from: Option<ThreadReference>,
        to: Option<ThreadReference>,
    },
    /// A page mapped (`grant`: granted) — of a frame, from a space, to a space.
    Map {
        grant: bool,
        frame: Option<Place>,
        from: Option<ThreadReference>,
        to: Option<ThreadReference>,
    },
    /// A mapping removed or made read-only.
    Unmap {
        frame: Option<Place>,
        task: Option<ThreadReference>,
    },
    PageFault {
        thread: Option<ThreadReference>,
        address: Option<Place>,
    },
    TlbFlush,
    /// CR3 loaded (an address-space switch).
    SpaceSwitch {
        to: Option<ThreadReference>,
    },
    /// The user segments reloaded for a small space.
    SmallSpaceSwitch {
        to: Option<ThreadReference>,
    },
    Interrupt {
        irq: Option<u8>,
    },
    Exception {
        thread: Option<ThreadReference>,
    },
    ThreadSwitch {
        to: Option<ThreadReference>,
    },
    /// Any kernel event.
    KernelEvent,
    /// Just before the instruction at `place` executes (in `thread`, if named).
    Instruction {
        place: Place,
        thread: Option<ThreadReference>,
    },
    /// The programs end (their verdict) or the machine stops.
    End,
}

/// Rights a mapping has.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Rights {
    ReadOnly,
    Writable,
}

/// A thread state as the views name it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum StateName {
    Running,
    Ready,
    Sending,
    Receiving,
    Waiting,
    Inactive,
}

impl StateName {
    pub fn name(self) -> &'static str {
        match self {
            StateName::Running => "running",
            StateName::Ready => "ready",
            StateName::Sending => "sending",
            StateName::Receiving => "receiving",
            StateName::Waiting => "waiting",
            StateName::Inactive => "inactive",
        }
    }
}

/// What a check counts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Counter {
    KernelEntries,
    Messages,
    SpaceSwitches,
    /// The same count as `SpaceSwitches`, named as the CPU sees it (a
    /// check's finding says it in the check's own words).
    Cr3Loads,
    SmallSpaceSwitches,
    ThreadSwitches,
    TlbMisses,
    TlbFlushes,
    PageFaults,
    Maps,
    Grants,
    Unmaps,
    Cycles,
    Instructions,
    /// Instructions the kernel ran (each path's count, measured on the native image).
    KernelInstructions,
    /// Reads that missed the level-1 caches (the misses that cost cycles).
    CacheMisses,
}

/// (words of the sentence, counter), longest first where one starts another.
const COUNTERS: &[(&str, Counter)] = &[
    ("kernel entries", Counter::KernelEntries),
    ("messages", Counter::Messages),
    ("address-space switches", Counter::SpaceSwitches),
    ("cr3 loads", Counter::Cr3Loads),
    ("small-space switches", Counter::SmallSpaceSwitches),
    ("thread switches", Counter::ThreadSwitches),
    ("tlb misses", Counter::TlbMisses),
    ("tlb flushes", Counter::TlbFlushes),
    ("page faults", Counter::PageFaults),
    ("maps", Counter::Maps),
    ("grants", Counter::Grants),
    ("unmaps", Counter::Unmaps),
    ("cycles", Counter::Cycles),
    ("instructions", Counter::Instructions),
    ("kernel instructions", Counter::KernelInstructions),
    ("cache misses", Counter::CacheMisses),
];

impl Counter {
    /// How a sentence names it.
    pub fn name(self) -> &'static str {
        COUNTERS.iter().find(|(_, counter)| *counter == self).map_or("?", |(words, _)| words)
    }
}

/// A comparison of a number with a check's value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Comparison {
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Comparison {
    pub fn holds(self, actual: u64, expected: u64) -> bool {
        match self {
            Comparison::Equal => actual == expected,
            Comparison::NotEqual => actual != expected,
            Comparison::Less => actual < expected,
            Comparison::LessOrEqual => actual <= expected,
            Comparison::Greater => actual > expected,
            Comparison::GreaterOrEqual => actual >= expected,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Equal => "=",
            Comparison::NotEqual => "≠",
            Comparison::Less => "<",
            Comparison::LessOrEqual => "≤",
            Comparison::Greater => ">",
            Comparison::GreaterOrEqual => "≥",
        }
    }
}

/// A register a check reads.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Register {
    Eax,
    Ebx,
    Ecx,
    Edx,
    Esi,
    Edi,
    Ebp,
    Esp,
    Eip,
    Eflags,
    Cr3,
    /// The hidden base of a segment register (`ds base`).
    SegmentBase(Segment),
}

/// A segment register.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Segment {
    Cs,
    Ds,
    Es,
    Fs,
    Gs,
    Ss,
}

const REGISTERS: &[(&str, Register)] = &[
    ("eax", Register::Eax),
    ("ebx", Register::Ebx),
    ("ecx", Register::Ecx),
    ("edx", Register::Edx),
    ("esi", Register::Esi),
    ("edi", Register::Edi),
    ("ebp", Register::Ebp),
    ("esp", Register::Esp),
    ("eip", Register::Eip),
    ("eflags", Register::Eflags),
    ("cr3", Register::Cr3),
];

const SEGMENTS: &[(&str, Segment)] = &[
    ("cs", Segment::Cs),
    ("ds", Segment::Ds),
    ("es", Segment::Es),
    ("fs", Segment::Fs),
    ("gs", Segment::Gs),
    ("ss", Segment::Ss),
];

impl Register {
    pub fn name(self) -> String {
        match self {
            Register::SegmentBase(segment) => {
                format!("{} base", SEGMENTS.iter().find(|(_, known)| *known == segment).map_or("?", |(name, _)| name))
            }
            register => REGISTERS.iter().find(|(_, known)| *known == register).map_or("?", |(name, _)| name).into(),
        }
    }
}

/// A condition on the views.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Check {
    /// `client_b has page_a read-only from pager`: the thread's space maps the
    /// frame (with these rights; its node's parent in the frame's tree in
    /// `from`'s space).
    Has { thread: ThreadReference, frame: Place, rights: Option<Rights>, from: Option<ThreadReference> },
    /// `client_b does not have page_a`.
    HasNot { thread: ThreadReference, frame: Place },
    /// `pong is receiving`, `ping runs`.
    State { thread: ThreadReference, state: StateName },
    /// `tlb misses in this step >= 4` (`in this step`: since the step's go began).
    Count { counter: Counter, since_step: bool, comparison: Comparison, value: u64 },
    /// `eax = 0x10`, `ds base = 0xC0000000` (the CPU's registers now).
    Register { register: Register, comparison: Comparison, value: u64 },
    /// `cr3 holds pong's page directory`.
    SpaceLoaded { thread: ThreadReference },
    /// `the last message went from ping to pong`.
    LastMessage { from: Option<ThreadReference>, to: Option<ThreadReference> },
    /// `the console shows "hello"`.
    Console { text: String },
    /// `the tlb holds page_a writable`, `the tlb does not hold page_a`: a
    /// user-mode translation to the frame is cached in one of the CPU's TLBs
    /// (with these rights), or in none.
    Tlb { frame: Place, holds: bool, rights: Option<Rights> },
}

/// The view a step asks the student to look at.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Look {
    Timeline,
    Spaces,
    Tlb,
    Cpu,
    Costs,
    Code,
    Editor,
    Console,
    EventLog,
}

const LOOKS: &[(&str, Look)] = &[
    ("timeline", Look::Timeline),
    ("threads and ipc", Look::Timeline),
    ("spaces", Look::Spaces),
    ("mapping trees", Look::Spaces),
    ("page tables", Look::Spaces),
    ("tlb", Look::Tlb),
    ("cpu", Look::Cpu),
    ("costs", Look::Costs),
    ("code", Look::Code),
    ("editor", Look::Editor),
    ("console", Look::Console),
    ("event log", Look::EventLog),
    ("events", Look::EventLog),
];

impl Look {
    /// The key a lesson file uses for it.
    pub fn key(self) -> &'static str {
        LOOKS.iter().find(|(_, look)| *look == self).map_or("?", |(name, _)| name)
    }
}

/// `**Machine:** pentium, small spaces on` — and `restart`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct MachineChoice {
    pub cpu: Option<crate::Cpu>,
    pub small_spaces: Option<bool>,
    /// Boot again even if nothing changed.
    pub restart: bool,
}

/// Whether `word` can be a name (a thread's or a label).
pub fn is_name(word: &str) -> bool {
    let mut characters = word.chars();
    characters.next().is_some_and(|first| first.is_ascii_alphabetic() || first == '_' || first == '.')
        && characters.all(|character| character.is_ascii_alphanumeric() || matches!(character, '_' | '-' | '.'))
}

/// A number: `0x1F`, `31`, `1_000`.
pub fn parse_number(word: &str) -> Option<u64> {
    let word = word.replace('_', "");
    if let Some(hex) = word.strip_prefix("0x").or_else(|| word.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16).ok()
    } else if word.chars().all(|character| character.is_ascii_digit()) && !word.is_empty() {
        word.parse().ok()
    } else {
        None
    }
}

/// `5.0` (task.lthread) or a thread id `0x04050001`: (task, lthread).
pub fn parse_thread_number(word: &str) -> Option<(u8, u8)> {
    if let Some((task, lthread)) = word.split_once('.') {
        let task: u8 = task.parse().ok()?;
        let lthread: u8 = lthread.parse().ok()?;
        return (lthread < 64).then_some((task, lthread));
    }
    let id = u32::try_from(parse_number(word)?).ok()?;
    Some((((id >> 16) & 0xFF) as u8, ((id >> 10) & 0x3F) as u8))
}

/// Words of a sentence: quoted text stays one word; operators are words of their own.
fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut characters = text.chars().peekable();
    let flush = |current: &mut String, words: &mut Vec<String>| {
        if !current.is_empty() {
            words.push(std::mem::take(current));
        }
    };
    while let Some(character) = characters.next() {
        match character {
            '"' | '“' => {
                flush(&mut current, &mut words);
                let mut quoted = String::from("\"");
                for inner in characters.by_ref() {
                    if inner == '"' || inner == '”' {
                        break;
                    }
                    quoted.push(inner);
                }
                words.push(quoted);
            }
            '`' | ',' => flush(&mut current, &mut words),
            '=' | '<' | '>' | '!' | '≤' | '≥' | '≠' | '×' => {
                flush(&mut current, &mut words);
                let mut operator = character.to_string();
                if matches!(character, '<' | '>' | '!' | '=') && characters.peek() == Some(&'=') {
                    operator.push('=');
                    characters.next();
                }
                words.push(operator);
            }
            character if character.is_whitespace() => flush(&mut current, &mut words),
            character => current.push(character),
        }
    }
    flush(&mut current, &mut words);
    // A sentence may end with a full stop.
    if let Some(last) = words.last_mut()
        && last.len() > 1
        && last.ends_with('.')
        && !last.starts_with('"')
    {
        last.pop();
    }
    words
}

/// A cursor over a sentence's words.
struct Sentence {
    words: Vec<String>,
    at: usize,
    line: usize,
}

impl Sentence {
    fn new(text: &str, line: usize) -> Self {
        Self { words: words(text), at: 0, line }
    }

    fn peek(&self) -> Option<&str> {
        self.words.get(self.at).map(String::as_str)
    }

    fn done(&self) -> bool {
        self.at >= self.words.len()
    }

    /// Take `phrase` (one or more words, case-insensitive) if it comes next.
    fn take(&mut self, phrase: &str) -> bool {
        let parts: Vec<&str> = phrase.split(' ').collect();
        let matches = parts
            .iter()
            .enumerate()
            .all(|(offset, part)| self.words.get(self.at + offset).is_some_and(|word| word.eq_ignore_ascii_case(part)));
        if matches {
            self.at += parts.len();
        }
        matches
    }

    fn next_word(&mut self) -> Option<String> {
        let word = self.words.get(self.at).cloned();
        self.at += word.is_some() as usize;
        word
    }

    fn error(&self, message: impl Into<String>) -> LessonError {
        LessonError::new(self.line, message)
    }

    fn thread(&mut self) -> Result<ThreadReference, LessonError> {
        let Some(word) = self.next_word() else {
            return Err(self.error("a thread is missing at the end").hint("name a thread: `ping`, `5.0` or `irq 4`"));
        };
        if word.eq_ignore_ascii_case("irq") {
            let number = self.next_word().and_then(|word| parse_number(&word)).filter(|irq| *irq < 16);
            return number
                .map(|irq| ThreadReference::Interrupt(irq as u8))
                .ok_or_else(|| self.error("`irq` needs a number from 0 to 15"));
        }
        let word = word.strip_suffix("'s").unwrap_or(&word).to_string();
        if let Some((task, lthread)) = parse_thread_number(&word) {
            return Ok(ThreadReference::Number { task, lthread });
        }
        if is_name(&word) {
            return Ok(ThreadReference::Name(word));
        }
        Err(self.error(format!("`{word}` is not a thread")).hint("name a thread: `ping`, `5.0` or `irq 4`"))
    }

    fn place(&mut self) -> Result<Place, LessonError> {
        let Some(word) = self.next_word() else {
            return Err(self.error("an address or a label is missing at the end"));
        };
        if let Some(number) = parse_number(&word) {
            return u32::try_from(number)
                .map(Place::Address)
                .map_err(|_| self.error(format!("`{word}` is beyond 32 bits")));
        }
        if is_name(&word) {
            return Ok(Place::Label(word));
        }
        Err(self
            .error(format!("`{word}` is neither an address nor a label"))
            .hint("write a label (`page_a`) or a number (`0x402000`)"))
    }

    /// `read-only` or `writable`, if one comes next.
    fn rights(&mut self) -> Option<Rights> {
        if self.take("read-only") {
            Some(Rights::ReadOnly)
        } else if self.take("writable") {
            Some(Rights::Writable)
        } else {
            None
        }
    }

    fn optional_thread(&mut self, before: &str) -> Result<Option<ThreadReference>, LessonError> {
        if self.take(before) { self.thread().map(Some) } else { Ok(None) }
    }

    fn optional_place(&mut self, before: &str) -> Result<Option<Place>, LessonError> {
        if self.take(before) { self.place().map(Some) } else { Ok(None) }
    }

    fn comparison(&mut self) -> Result<Comparison, LessonError> {
        let comparison = match self.peek().map(str::to_ascii_lowercase).as_deref() {
            Some("=" | "==" | "is") => Comparison::Equal,
            Some("!=" | "≠") => Comparison::NotEqual,
            Some("<") => Comparison::Less,
            Some("<=" | "≤") => Comparison::LessOrEqual,
            Some(">") => Comparison::Greater,
            Some(">=" | "≥") => Comparison::GreaterOrEqual,
            Some("at") => {
                self.at += 1;
                if self.take("least") {
                    return Ok(Comparison::GreaterOrEqual);
                }
                if self.take("most") {
                    return Ok(Comparison::LessOrEqual);
                }
                return Err(self.error("`at` must be followed by `least` or `most`"));
            }
            _ => {
                return Err(self
                    .error("a comparison is missing")
                    .hint("write `=`, `≠`, `<`, `<=`, `>`, `>=`, `at least` or `at most`, then a number"));
            }
        };
        self.at += 1;
        Ok(comparison)
    }

    fn number(&mut self) -> Result<u64, LessonError> {
        match self.next_word() {
            Some(word) => parse_number(&word).ok_or_else(|| self.error(format!("`{word}` is not a number"))),
            None => Err(self.error("a number is missing at the end")),
        }
    }

    fn finish<T>(&self, value: T) -> Result<T, LessonError> {
        if self.done() {
            Ok(value)
        } else {
            Err(self
                .error(format!("unexpected `{}`", self.words[self.at..].join(" ")))
                .hint("see docs/LESSONS.md for the sentences a lesson can use"))
        }
    }
}

/// Parse a `**Go:**` sentence.
pub fn parse_go(text: &str, line: usize) -> Result<Go, LessonError> {
    let mut sentence = Sentence::new(text, line);
    let mut count = 1;
    if let Some(number) = sentence.peek().and_then(parse_number) {
        sentence.at += 1;
        if !(sentence.take("×") || sentence.take("x") || sentence.take("times")) {
            return Err(sentence.error("a count must be followed by `×`").hint("write `3 × ipc from ping to pong`"));
        }
        count = u32::try_from(number)
            .ok()
            .filter(|count| (1..=100_000).contains(count))
            .ok_or_else(|| sentence.error(format!("a count of {number}")).hint("count from 1 to 100,000"))?;
    }
    let target = if sentence.take("ipc") || sentence.take("message") {
        let from = sentence.optional_thread("from")?;
        let to = sentence.optional_thread("to")?;
        Target::Ipc { from, to }
    } else if sentence.take("map") || sentence.take("grant") {
        let grant = sentence.words[sentence.at - 1].eq_ignore_ascii_case("grant");
        let frame = sentence.optional_place("of")?;
        let from = sentence.optional_thread("from")?;
        let to = sentence.optional_thread("to")?;
        Target::Map { grant, frame, from, to }
    } else if sentence.take("unmap") || sentence.take("flush") {
        let frame = sentence.optional_place("of")?;
        let task = sentence.optional_thread("in")?;
        Target::Unmap { frame, task }
    } else if sentence.take("page fault") || sentence.take("pagefault") {
        let thread = sentence.optional_thread("of")?;
        let address = sentence.optional_place("at")?;
        Target::PageFault { thread, address }
    } else if sentence.take("tlb flush") {
        Target::TlbFlush
    } else if sentence.take("address-space switch") || sentence.take("cr3 load") {
        Target::SpaceSwitch { to: sentence.optional_thread("to")? }
    } else if sentence.take("small-space switch") {
        Target::SmallSpaceSwitch { to: sentence.optional_thread("to")? }
    } else if sentence.take("interrupt") {
        let irq = match sentence.next_word() {
            Some(word) => Some(
                parse_number(&word)
                    .filter(|irq| *irq < 16)
                    .ok_or_else(|| sentence.error(format!("`{word}` is not an IRQ (0 to 15)")))? as u8,
            ),
            None => None,
        };
        Target::Interrupt { irq }
    } else if sentence.take("exception") {
        Target::Exception { thread: sentence.optional_thread("of")? }
    } else if sentence.take("thread switch") {
        Target::ThreadSwitch { to: sentence.optional_thread("to")? }
    } else if sentence.take("kernel event") || sentence.take("event") {
        Target::KernelEvent
    } else if sentence.take("instruction") {
        let place = sentence.place()?;
        let thread = sentence.optional_thread("in")?;
        Target::Instruction { place, thread }
    } else if sentence.take("end") {
        Target::End
    } else {
        return Err(sentence
            .error(format!("`{text}` is not a place to go to"))
            .hint("write one of: ipc [from T] [to T]; map/grant [of FRAME] [from T] [to T]; unmap [of FRAME] [in T]; page fault [of T] [at ADDRESS]; tlb flush; address-space switch [to T]; small-space switch [to T]; interrupt [IRQ]; exception [of T]; thread switch [to T]; kernel event; instruction LABEL [in T]; end"));
    };
    sentence.finish(Go { count, target })
}

/// Parse a `**Check:**` sentence.
pub fn parse_check(text: &str, line: usize) -> Result<Check, LessonError> {
    let mut sentence = Sentence::new(text, line);
    if sentence.take("the console shows") || sentence.take("console shows") {
        return match sentence.next_word() {
            Some(word) if word.starts_with('"') => sentence.finish(Check::Console { text: word[1..].to_string() }),
            _ => Err(sentence
                .error("the text to look for must be in quotes")
                .hint("write `the console shows \"hello\"`")),
        };
    }
    if sentence.take("the last message went")
        || sentence.take("the last message is")
        || sentence.take("the last message")
    {
        let from = sentence.optional_thread("from")?;
        let to = sentence.optional_thread("to")?;
        return sentence.finish(Check::LastMessage { from, to });
    }
    if sentence.take("the tlb holds") || sentence.take("tlb holds") {
        let frame = sentence.place()?;
        let rights = sentence.rights();
        return sentence.finish(Check::Tlb { frame, holds: true, rights });
    }
    if sentence.take("the tlb does not hold") || sentence.take("tlb does not hold") {
        let frame = sentence.place()?;
        return sentence.finish(Check::Tlb { frame, holds: false, rights: None });
    }
    if sentence.take("cr3 holds") {
        let thread = sentence.thread()?;
        if !sentence.take("page directory") {
            return Err(sentence.error("write `cr3 holds NAME's page directory`"));
        }
        return sentence.finish(Check::SpaceLoaded { thread });
    }
    for (words, counter) in COUNTERS {
        if sentence.take(words) {
            let since_step = sentence.take("in this step");
            let comparison = sentence.comparison()?;
            let value = sentence.number()?;
            return sentence.finish(Check::Count { counter: *counter, since_step, comparison, value });
        }
    }
    for (name, segment) in SEGMENTS {
        if sentence.take(&format!("{name} base")) {
            let comparison = sentence.comparison()?;
            let value = sentence.number()?;
            return sentence.finish(Check::Register { register: Register::SegmentBase(*segment), comparison, value });
        }
    }
    for (name, register) in REGISTERS {
        if sentence.take(name) {
            let comparison = sentence.comparison()?;
            let value = sentence.number()?;
            return sentence.finish(Check::Register { register: *register, comparison, value });
        }
    }
    // The rest start with a thread.
    let thread = sentence.thread().map_err(|error| {
        error.hint("a check is one of: T has FRAME [read-only|writable] [from T]; T does not have FRAME; T is STATE; T runs; COUNTER [in this step] = N; REGISTER = N; cr3 holds T's page directory; the tlb holds FRAME [read-only|writable]; the tlb does not hold FRAME; the last message went [from T] [to T]; the console shows \"TEXT\"")
    })?;
    if sentence.take("runs") {
        return sentence.finish(Check::State { thread, state: StateName::Running });
    }
    if sentence.take("does not have") {
        let frame = sentence.place()?;
        return sentence.finish(Check::HasNot { thread, frame });
    }
    if sentence.take("has") {
        let frame = sentence.place()?;
        let rights = sentence.rights();
        let from = sentence.optional_thread("from")?;
        return sentence.finish(Check::Has { thread, frame, rights, from });
    }
    if sentence.take("is") {
        let state = match sentence.next_word().map(|word| word.to_ascii_lowercase()).as_deref() {
            Some("running") => StateName::Running,
            Some("ready") => StateName::Ready,
            Some("sending") => StateName::Sending,
            Some("receiving") => StateName::Receiving,
            Some("waiting") => StateName::Waiting,
            Some("inactive") => StateName::Inactive,
            other => {
                return Err(sentence
                    .error(format!("`{}` is not a thread state", other.unwrap_or("")))
                    .hint("the states are running, ready, sending, receiving, waiting, inactive"));
            }
        };
        return sentence.finish(Check::State { thread, state });
    }
    Err(sentence
        .error(format!("`{text}` is not a check"))
        .hint("after a thread: `has FRAME`, `does not have FRAME`, `is STATE` or `runs`"))
}

/// Parse a `**Look:**` value.
pub fn parse_look(text: &str, line: usize) -> Result<Look, LessonError> {
    let wanted = words(text).join(" ").to_ascii_lowercase();
    let wanted = wanted.trim_start_matches("the ").trim_end_matches(" view").trim_end_matches(" tab");
    LOOKS.iter().find(|(name, _)| *name == wanted).map(|(_, look)| *look).ok_or_else(|| {
        LessonError::new(line, format!("`{text}` is not a view"))
            .hint("the views are timeline, spaces (mapping trees, page tables), tlb, cpu, costs, code, editor, console, event log")
    })
}

/// Parse a `**Machine:**` value.
pub fn parse_machine(text: &str, line: usize) -> Result<MachineChoice, LessonError> {
    let mut choice = MachineChoice::default();
    for part in text.split(',').map(str::trim).filter(|part| !part.is_empty()) {
        let lower = part.to_ascii_lowercase();
        if let Some(cpu) = crate::Cpu::parse(&lower) {
            choice.cpu = Some(cpu);
        } else if let Some(rest) = lower.strip_prefix("small spaces").or_else(|| lower.strip_prefix("small-spaces")) {
            choice.small_spaces = Some(crate::front_matter::switch(rest.trim_start_matches(':')).ok_or_else(|| {
                LessonError::new(line, format!("`{part}`")).hint("write `small spaces on` or `small spaces off`")
            })?);
        } else if lower == "restart" {
            choice.restart = true;
        } else {
            return Err(LessonError::new(line, format!("`{part}` is not a machine setting"))
                .hint("write `486` or `pentium`, `small spaces on|off`, `restart`, separated by commas"));
        }
    }
    Ok(choice)
}

#[cfg(test)]
mod tests;
