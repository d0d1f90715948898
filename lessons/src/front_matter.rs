//! The front matter: the `---` block at the top of a lesson file, a few
//! `key: value` lines (a small subset of YAML, so code-hosting sites show
//! it as a table). Parsed by hand: it is six keys, and a YAML library would
//! accept far more than the lesson can mean.

use crate::{Cpu, LessonError, ThreadName};

/// What the front matter says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct FrontMatter {
    pub title: Option<String>,
    pub summary: String,
    pub cpus: Vec<Cpu>,
    pub small_spaces: bool,
    pub input: String,
    pub threads: Vec<ThreadName>,
}

const KEYS: &str = "title, summary, cpu, small-spaces, input, threads";

/// Parse the front matter's text; `first_line` is the lesson line of its first line.
pub(crate) fn parse(text: &str, first_line: usize, errors: &mut Vec<LessonError>) -> FrontMatter {
    let mut matter = FrontMatter::default();
    let mut in_threads = false;
    for (offset, raw) in text.lines().enumerate() {
        let line = first_line + offset;
        let content = strip_comment(raw);
        if content.trim().is_empty() {
            continue;
        }
        let indented = content.starts_with(' ') || content.starts_with('\t');
        if indented {
            if !in_threads {
                errors.push(
                    LessonError::new(line, "an indented line outside `threads:`")
                        .hint("only `threads:` takes indented `name: id` lines below it"),
                );
                continue;
            }
            if let Some(thread) = thread_line(content.trim(), line, errors) {
                if matter.threads.iter().any(|known| known.name == thread.name) {
                    errors.push(LessonError::new(line, format!("the name `{}` is given twice", thread.name)));
                } else {
                    matter.threads.push(thread);
                }
            }
            continue;
        }
        in_threads = false;
        let Some((key, value)) = content.split_once(':') else {
            errors.push(
                LessonError::new(line, format!("`{}` is not a `key: value` line", content.trim()))
                    .hint(format!("the keys are {KEYS}")),
            );
            continue;
        };
        let value = unquote(value.trim());
        match key.trim().to_ascii_lowercase().as_str() {
            "title" => matter.title = Some(value),
            "summary" => matter.summary = value,
            "cpu" | "cpus" => {
                for word in value.split(',') {
                    match Cpu::parse(word) {
                        Some(cpu) if !matter.cpus.contains(&cpu) => matter.cpus.push(cpu),
                        Some(_) => {}
                        None => errors.push(
                            LessonError::new(line, format!("unknown CPU `{}`", word.trim()))
                                .hint("write `486`, `pentium`, or `486, pentium` (the first is the one it opens on)"),
                        ),
                    }
                }
            }
            "small-spaces" | "small spaces" => match switch(&value) {
                Some(on) => matter.small_spaces = on,
                None => {
                    errors.push(LessonError::new(line, format!("`small-spaces: {value}`")).hint("write `on` or `off`"))
                }
            },
            "input" => matter.input = value.replace("\\n", "\n").replace("\\r", "\r"),
            "threads" => {
                in_threads = true;
                // The inline form: `threads: ping = 5.0, pong = 6.0`.
                for part in value.split(',').filter(|part| !part.trim().is_empty()) {
                    let part = part.replace('=', ":");
                    if let Some(thread) = thread_line(part.trim(), line, errors) {
                        matter.threads.push(thread);
                    }
                }
            }
            other => errors.push(
                LessonError::new(line, format!("unknown front-matter key `{other}`"))
                    .hint(format!("the keys are {KEYS}")),
            ),
        }
    }
    matter
}

fn strip_comment(line: &str) -> &str {
    // A `#` after a blank starts a comment (as in YAML); inside quotes it does not.
    let mut quoted = false;
    let mut previous = ' ';
    for (index, character) in line.char_indices() {
        match character {
            '"' => quoted = !quoted,
            '#' if !quoted && previous.is_whitespace() => return &line[..index],
            _ => {}
        }
        previous = character;
    }
    line
}

fn unquote(value: &str) -> String {
    let trimmed = value.trim();
    if trimmed.len() >= 2
        && ((trimmed.starts_with('"') && trimmed.ends_with('"'))
            || (trimmed.starts_with('\'') && trimmed.ends_with('\'')))
    {
        trimmed[1..trimmed.len() - 1].to_string()
    } else {
        trimmed.to_string()
    }
}

pub(crate) fn switch(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "on" | "yes" | "true" => Some(true),
        "off" | "no" | "false" => Some(false),
        _ => None,
    }
}

/// `ping: 5.0` (task.lthread) or `ping: 0x04050001` (a thread id).
fn thread_line(text: &str, line: usize, errors: &mut Vec<LessonError>) -> Option<ThreadName> {
    let Some((name, id)) = text.split_once(':') else {
        errors.push(
            LessonError::new(line, format!("`{text}` does not name a thread"))
                .hint("write `name: 5.0` (task 5, thread 0) or `name: 0x04050001`"),
        );
        return None;
    };
    let name = name.trim();
    if !crate::grammar::is_name(name) {
        errors.push(
            LessonError::new(line, format!("`{name}` cannot be a thread's name"))
                .hint("a name is a letter or `_`, then letters, digits, `_` or `-` (`client_a`, `pong`)"),
        );
        return None;
    }
    match crate::grammar::parse_thread_number(id.trim()) {
        Some((task, lthread)) => Some(ThreadName { name: name.to_string(), task, lthread, line }),
        None => {
            errors.push(
                LessonError::new(line, format!("`{}` is not a thread", id.trim()))
                    .hint("write task.thread (`5.0`: task 5, its first thread) or a thread id (`0x04050001`)"),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_read_and_bad_ones_are_named() {
        let mut errors = Vec::new();
        let text = "title: \"IPC\" # a comment\nsummary: one message\ncpu: pentium, 486\nsmall-spaces: on\ninput: y\\n\nthreads:\n  ping: 5.0\n  pong: 0x04060001\n";
        let matter = parse(text, 2, &mut errors);
        assert_eq!(errors, vec![]);
        assert_eq!(matter.title.as_deref(), Some("IPC"));
        assert_eq!(matter.cpus, vec![Cpu::Pentium, Cpu::I486]);
        assert!(matter.small_spaces);
        assert_eq!(matter.input, "y\n");
        assert_eq!(matter.threads.len(), 2);
        assert_eq!((matter.threads[1].task, matter.threads[1].lthread, matter.threads[1].line), (6, 0, 9));

        let matter = parse("colour: red\ncpu: z80\nthreads:\n  9ping: 5.0\n  pong: five\n", 2, &mut errors);
        assert_eq!(matter.threads, vec![]);
        let lines: Vec<usize> = errors.iter().map(|error| error.line).collect();
        assert_eq!(lines, vec![2, 3, 5, 6], "{errors:?}");
        assert!(errors[0].hint.as_deref().unwrap_or("").contains("title, summary"));
    }
}
