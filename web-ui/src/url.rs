//! The view in the URL, so that a link reopens what its author saw:
//!
//! - a scenario: `#scenario=ping-pong&cpu=pentium&small=1&at=12345&seq=678`
//!   (`at`: user instructions retired; `seq`: events logged by then — one
//!   position can be several moments, kernel entries happen between
//!   instructions), and
//!   with edited programs `&programs=…` (their sources, compressed);
//! - an ELF loaded from disk: `#elf=NAME&elf-data=…&cpu=486&at=…`;
//! - a lesson: `#lesson=ipc&step=3&went=1&cpu=486` (a built-in one), or
//!   `#lesson-text=…&lesson-file=NAME&step=3` (a file, compressed whole).
//!
//! Everything after `#` stays in the browser; nothing is sent anywhere.
//! Compressed parts use `lessons::link` (deflate, base64url); a link longer
//! than [`link::LINK_LIMIT`] is refused with a message, not made.

use wasm_bridge::{CpuChoice, link};

/// A lesson, and where in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonPlace {
    /// A built-in lesson's name, or a file's name with its text.
    pub name: String,
    pub text: Option<String>,
    /// None: the introduction; Some(k): step k (0-based).
    pub step: Option<usize>,
    pub went: bool,
}

/// What a URL names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    pub scenario: String,
    pub cpu: CpuChoice,
    pub small_spaces: bool,
    /// User instructions retired.
    pub position: u64,
    /// Events logged by then: which of the moments at `position`.
    pub sequence: Option<u64>,
    /// Programs in place of the scenario's own: (file, source).
    pub programs: Option<Vec<(String, String)>>,
    /// An ELF file in place of the programs: (name, bytes).
    pub elf: Option<(String, Vec<u8>)>,
    pub lesson: Option<LessonPlace>,
}

impl Default for Place {
    fn default() -> Self {
        Self {
            scenario: "ping-pong".into(),
            cpu: CpuChoice::I486,
            small_spaces: false,
            position: 0,
            sequence: None,
            programs: None,
            elf: None,
            lesson: None,
        }
    }
}

/// Longest a problem quotes from the address (a junk link can be long).
const QUOTED: usize = 40;

fn quote(text: &str) -> String {
    if text.chars().count() <= QUOTED {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(QUOTED).collect::<String>())
    }
}

/// Programs as one text: each file's name, a NUL, its source, a NUL.
fn programs_text(programs: &[(String, String)]) -> String {
    let mut text = String::new();
    for (file, source) in programs {
        text.push_str(file);
        text.push('\0');
        text.push_str(source);
        text.push('\0');
    }
    text
}

fn programs_from(text: &str) -> Option<Vec<(String, String)>> {
    let parts: Vec<&str> = text.split('\0').collect();
    let (last, pairs) = parts.split_last()?;
    if !last.is_empty() || pairs.is_empty() || !pairs.len().is_multiple_of(2) {
        return None;
    }
    Some(pairs.chunks(2).map(|pair| (pair[0].to_string(), pair[1].to_string())).collect())
}

/// Read a hash; unknown or malformed parts are reported, the rest used.
pub fn parse(hash: &str) -> (Place, Vec<String>) {
    let mut place = Place::default();
    let mut problems = Vec::new();
    let mut lesson: Option<LessonPlace> = None;
    let mut elf_name = None;
    let mut elf_data = None;
    let mut lesson_file = None;
    let lesson_entry = |lesson: &mut Option<LessonPlace>| {
        lesson.get_or_insert_with(|| LessonPlace { name: String::new(), text: None, step: None, went: false }).clone()
    };
    for pair in hash.trim_start_matches('#').split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "scenario" => place.scenario = value.to_string(),
            "cpu" => match CpuChoice::parse(value) {
                Ok(cpu) => place.cpu = cpu,
                Err(_) => problems.push(format!("unknown CPU `{}`: choose `486` or `pentium`", quote(value))),
            },
            "small" => place.small_spaces = value == "1",
            "at" => match value.parse() {
                Ok(position) => place.position = position,
                Err(_) => problems.push(format!("`at={}` is not a position (a number of instructions)", quote(value))),
            },
            "seq" => match value.parse() {
                Ok(sequence) => place.sequence = Some(sequence),
                Err(_) => problems.push(format!("`seq={}` is not an event count", quote(value))),
            },
            "programs" => match link::decode(value).ok().and_then(|text| programs_from(&text)) {
                Some(programs) => place.programs = Some(programs),
                None => problems.push("the programs in the address are damaged; the scenario's own are shown".into()),
            },
            "elf" => elf_name = Some(value.to_string()),
            "elf-data" => match link::decode_bytes(value) {
                Ok(bytes) => elf_data = Some(bytes),
                Err(problem) => problems.push(format!("the ELF file in the address: {problem}")),
            },
            "lesson" => {
                let mut entry = lesson_entry(&mut lesson);
                entry.name = value.to_string();
                lesson = Some(entry);
            }
            "lesson-file" => lesson_file = Some(value.to_string()),
            "lesson-text" => match link::decode(value) {
                Ok(text) => {
                    let mut entry = lesson_entry(&mut lesson);
                    entry.text = Some(text);
                    lesson = Some(entry);
                }
                Err(problem) => problems.push(format!("the lesson in the address: {problem}")),
            },
            "step" => {
                let mut entry = lesson_entry(&mut lesson);
                match value.parse::<usize>() {
                    Ok(0) => entry.step = None,
                    Ok(step) => entry.step = Some(step - 1),
                    Err(_) => problems.push(format!("`step={}` is not a step number", quote(value))),
                }
                lesson = Some(entry);
            }
            "went" => {
                let mut entry = lesson_entry(&mut lesson);
                entry.went = value == "1";
                lesson = Some(entry);
            }
            other => problems.push(format!("unknown part `{}` in the address", quote(other))),
        }
    }
    if let Some(mut entry) = lesson {
        if entry.text.is_some() {
            entry.name = lesson_file.unwrap_or_else(|| "lesson.md".into());
        }
        if entry.name.is_empty() && entry.text.is_none() {
            problems.push("the address names a lesson step but no lesson".into());
        } else {
            place.lesson = Some(entry);
        }
    }
    match (elf_name, elf_data) {
        (Some(name), Some(bytes)) => place.elf = Some((name, bytes)),
        (None, None) => {}
        _ => problems.push("the address has half an ELF file (`elf` and `elf-data` go together)".into()),
    }
    (place, problems)
}

/// The hash for a place, or why it cannot be a link.
pub fn format(place: &Place) -> Result<String, String> {
    let cpu = place.cpu.key();
    let hash = if let Some(lesson) = &place.lesson {
        let step = lesson.step.map_or(0, |step| step + 1);
        let went = if lesson.went { "&went=1" } else { "" };
        match &lesson.text {
            None => format!("#lesson={}&step={step}{went}&cpu={cpu}", lesson.name),
            Some(text) => format!(
                "#lesson-file={}&lesson-text={}&step={step}{went}&cpu={cpu}",
                file_name(&lesson.name),
                link::encode(text)
            ),
        }
    } else if let Some((name, bytes)) = &place.elf {
        format!(
            "#elf={}&elf-data={}&cpu={cpu}&small={}&at={}{}",
            file_name(name),
            link::encode_bytes(bytes),
            place.small_spaces as u8,
            place.position,
            sequence(place)
        )
    } else {
        let mut hash = format!(
            "#scenario={}&cpu={cpu}&small={}&at={}{}",
            place.scenario,
            place.small_spaces as u8,
            place.position,
            sequence(place)
        );
        if let Some(programs) = &place.programs {
            hash.push_str("&programs=");
            hash.push_str(&link::encode(&programs_text(programs)));
        }
        hash
    };
    if hash.len() > link::LINK_LIMIT {
        return Err(format!(
            "too large for a link ({} characters; links stay under {}): share the file instead",
            hash.len(),
            link::LINK_LIMIT
        ));
    }
    Ok(hash)
}

fn sequence(place: &Place) -> String {
    place.sequence.map_or_else(String::new, |sequence| format!("&seq={sequence}"))
}

/// A file name safe in a link: letters, digits, `.`, `-`, `_`.
fn file_name(name: &str) -> String {
    let cleaned: String = name
        .rsplit('/')
        .next()
        .unwrap_or(name)
        .chars()
        .filter(|character| character.is_ascii_alphanumeric() || matches!(character, '.' | '-' | '_'))
        .collect();
    if cleaned.is_empty() { "file".into() } else { cleaned }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_survives_the_url() {
        let place = Place {
            scenario: "hello".into(),
            cpu: CpuChoice::Pentium,
            small_spaces: true,
            position: 42,
            sequence: Some(99),
            ..Place::default()
        };
        assert_eq!(parse(&format(&place).unwrap()), (place, vec![]));
        let (place, problems) = parse("#cpu=z80&at=x&frob=1");
        assert_eq!(place.cpu, CpuChoice::I486);
        assert_eq!(problems.len(), 3, "{problems:?}");
    }

    #[test]
    fn edited_programs_an_elf_and_lessons_survive_the_url() {
        let edited = Place {
            programs: Some(vec![
                ("hello.asm".into(), "; é\n_start:\n  int3\n".into()),
                ("x.inc".into(), String::new()),
            ]),
            ..Place::default()
        };
        assert_eq!(parse(&format(&edited).unwrap()).0, edited);
        let elf =
            Place { elf: Some(("my prog.elf".into(), vec![0x7F, b'E', b'L', b'F', 0, 1, 2])), ..Place::default() };
        let (back, problems) = parse(&format(&elf).unwrap());
        assert_eq!(problems, Vec::<String>::new());
        assert_eq!(back.elf, Some(("myprog.elf".into(), vec![0x7F, b'E', b'L', b'F', 0, 1, 2])));
        let builtin = Place {
            lesson: Some(LessonPlace { name: "ipc".into(), text: None, step: Some(2), went: true }),
            ..Place::default()
        };
        assert_eq!(format(&builtin).unwrap(), "#lesson=ipc&step=3&went=1&cpu=486");
        assert_eq!(parse(&format(&builtin).unwrap()).0, builtin);
        let file = Place {
            lesson: Some(LessonPlace {
                name: "mine.md".into(),
                text: Some("# Mine\n".repeat(10)),
                step: None,
                went: false,
            }),
            ..Place::default()
        };
        assert_eq!(parse(&format(&file).unwrap()).0, file);
    }

    #[test]
    fn too_large_and_junk_links_are_refused_with_a_short_message() {
        // Incompressible text: a pseudo-random lesson of 40 KB.
        let mut seed = 7u32;
        let text: String = (0..40_000)
            .map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                char::from(b'!' + ((seed >> 16) % 90) as u8)
            })
            .collect();
        let place = Place {
            lesson: Some(LessonPlace { name: "big.md".into(), text: Some(text), step: None, went: false }),
            ..Place::default()
        };
        let problem = format(&place).unwrap_err();
        assert!(problem.contains("too large for a link"), "{problem}");
        let junk = format!("#{}", "x".repeat(3000));
        let (_, problems) = parse(&junk);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].chars().count() < 100, "{}", problems[0]);
        let (_, problems) = parse("#lesson-text=%%%&programs=zz");
        assert_eq!(problems.len(), 2, "{problems:?}");
    }
}
