//! Names for threads and tasks, so that every view can say "pong" where the
//! kernel says 0x04060001.
//!
//! Names come from three places, later ones winning: the defaults (sigma0
//! is task 2, the root task is task 4, further boot modules are tasks 5, 6,
//! … named after their modules), `; threads: ping=5.0 pong=0x04060001`
//! lines in a program's source (see [`parse_directive`]), and a lesson's
//! front matter. A name belongs to a (task, lthread) pair, whatever the
//! version and chief bits: a task created again keeps its name.
//!
//! Unnamed threads read `task 7` (lthread 0) or `task 7.3`; further
//! lthreads of a named task read `pong.3`; interrupt senders `irq 4`.

use ia32::abi::ThreadId;

/// The names in force.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ThreadNames {
    /// (task, lthread, name), the latest declaration first found.
    entries: Vec<(u8, u8, String)>,
}

/// The root task's task number.
pub const ROOT_TASK: u8 = 4;
/// Sigma0's.
pub const SIGMA0_TASK: u8 = 2;

impl ThreadNames {
    /// Sigma0, the root task and the further modules by their module names
    /// (`modules[0]` is sigma0, `modules[1]` the root task).
    pub fn defaults(module_names: &[&str]) -> Self {
        let mut names = Self::default();
        names.declare(SIGMA0_TASK, 0, "sigma0");
        names.declare(ROOT_TASK, 0, "root");
        for (index, module) in module_names.iter().enumerate().skip(2) {
            let task = ROOT_TASK as usize + index - 1;
            if let Ok(task) = u8::try_from(task) {
                let name: String = module
                    .rsplit('/')
                    .next()
                    .unwrap_or(module)
                    .trim_end_matches(".elf")
                    .trim_end_matches(".asm")
                    .chars()
                    .map(|character| if character.is_ascii_alphanumeric() { character } else { '_' })
                    .collect();
                if !name.is_empty() {
                    names.declare(task, 0, &name);
                }
            }
        }
        names
    }

    /// Name (task, lthread); a later declaration replaces an earlier one.
    pub fn declare(&mut self, task: u8, lthread: u8, name: &str) {
        self.entries.retain(|(known_task, known_lthread, known)| {
            !((*known_task, *known_lthread) == (task, lthread) || known == name)
        });
        self.entries.push((task, lthread, name.to_string()));
    }

    /// The declared name of exactly (task, lthread).
    pub fn declared(&self, task: u8, lthread: u8) -> Option<&str> {
        self.entries
            .iter()
            .rev()
            .find(|(known_task, known_lthread, _)| (*known_task, *known_lthread) == (task, lthread))
            .map(|(_, _, name)| name.as_str())
    }

    /// (task, lthread) of a name.
    pub fn find(&self, name: &str) -> Option<(u8, u8)> {
        self.entries.iter().rev().find(|(_, _, known)| known == name).map(|(task, lthread, _)| (*task, *lthread))
    }

    /// Every declared (task, lthread, name).
    pub fn iter(&self) -> impl Iterator<Item = (u8, u8, &str)> {
        self.entries.iter().map(|(task, lthread, name)| (*task, *lthread, name.as_str()))
    }

    /// The name of a thread id as every view shows it.
    pub fn thread(&self, raw: u32) -> String {
        let id = ThreadId(raw);
        if raw == 0 {
            return "nil".into();
        }
        if raw == u32::MAX {
            return "invalid".into();
        }
        if raw <= 16 && id.task() == 0 {
            return format!("irq {}", raw - 1);
        }
        let (task, lthread) = (id.task(), id.lthread());
        if let Some(name) = self.declared(task, lthread) {
            return name.to_string();
        }
        match (self.declared(task, 0), lthread) {
            (Some(name), lthread) => format!("{name}.{lthread}"),
            (None, 0) => format!("task {task}"),
            (None, lthread) => format!("task {task}.{lthread}"),
        }
    }

    /// The name of a task (its space): its lthread 0's name.
    pub fn task(&self, task: u8) -> String {
        self.declared(task, 0).map_or_else(|| format!("task {task}"), str::to_string)
    }
}

/// Read a `; threads: ping=5.0 pong=0x04060001` line (the part after the
/// colon): (name, task, lthread) pairs, or what is wrong.
pub fn parse_directive(text: &str) -> Result<Vec<(String, u8, u8)>, String> {
    let mut names = Vec::new();
    for pair in text.split_whitespace() {
        let Some((name, id)) = pair.split_once('=') else {
            return Err(format!("`{pair}` is not `name=task.thread` (for example `ping=5.0` or `ping=0x04050001`)"));
        };
        let valid_name = name.chars().next().is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
            && name.chars().all(|character| character.is_ascii_alphanumeric() || matches!(character, '_' | '-'));
        if !valid_name {
            return Err(format!("`{name}` cannot be a thread's name (letters, digits, `_` and `-`)"));
        }
        let (task, lthread) = parse_thread(id).ok_or_else(|| {
            format!("`{id}` is not a thread: write task.thread (`5.0`) or a thread id (`0x04050001`)")
        })?;
        names.push((name.to_string(), task, lthread));
    }
    Ok(names)
}

/// `5.0` or `0x04050001` → (task, lthread).
pub fn parse_thread(text: &str) -> Option<(u8, u8)> {
    if let Some((task, lthread)) = text.split_once('.') {
        let lthread: u8 = lthread.parse().ok()?;
        return (lthread < 64).then_some((task.parse().ok()?, lthread));
    }
    let raw = match text.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => text.parse().ok()?,
    };
    let id = ThreadId(raw);
    Some((id.task(), id.lthread()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_are_named_by_declaration_then_by_their_task() {
        let mut names = ThreadNames::defaults(&["sigma0", "root", "modules/pong.elf"]);
        assert_eq!(names.thread(0x0402_0001), "sigma0");
        assert_eq!(names.thread(0x0404_0001), "root");
        assert_eq!(names.thread(0x0405_0001), "pong");
        assert_eq!(names.thread(0x0405_0C01), "pong.3");
        assert_eq!(names.thread(0x0407_0001), "task 7");
        assert_eq!(names.thread(0x0407_0801), "task 7.2");
        assert_eq!(names.thread(5), "irq 4");
        assert_eq!(names.thread(0), "nil");
        names.declare(4, 0, "pager");
        names.declare(4, 2, "helper");
        assert_eq!(names.thread(0x0404_0001), "pager");
        assert_eq!(names.thread(0x0404_0801), "helper");
        assert_eq!(names.task(4), "pager");
        assert_eq!(names.find("helper"), Some((4, 2)));
        // A name moves: declaring it again elsewhere takes it from the first.
        names.declare(9, 0, "helper");
        assert_eq!(names.thread(0x0404_0801), "pager.2");
    }

    #[test]
    fn directives_name_threads_or_say_what_is_wrong() {
        assert_eq!(parse_directive("ping=5.0 pong=0x04060001"), Ok(vec![("ping".into(), 5, 0), ("pong".into(), 6, 0)]));
        assert!(parse_directive("ping").unwrap_err().contains("name=task.thread"));
        assert!(parse_directive("9x=5.0").unwrap_err().contains("cannot be"));
        assert!(parse_directive("ping=five").unwrap_err().contains("is not a thread"));
    }
}
