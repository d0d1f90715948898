//! From a lesson file to a [`Lesson`]: pulldown-cmark finds the blocks
//! (front matter, headings, paragraphs, fenced code); this module sorts
//! them into the introduction, the steps and the programs, and reads the
//! keyed paragraphs (`**Go:** …`) of each step.

use crate::front_matter;
use crate::grammar::{parse_check, parse_go, parse_look, parse_machine};
use crate::{Lesson, LessonError, LessonErrors, Located, ProgramFile, Step};
use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, MetadataBlockKind, Options, Parser, Tag, TagEnd};
use std::ops::Range;

/// The keys a step's paragraphs may start with.
const KEYS: &str = "Go, Look, Predict, Reveal, Check, Machine";

/// Where the blocks being read belong.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Section {
    Introduction,
    Step,
    Programs,
}

/// Line numbers of byte offsets.
struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(index, _)| index + 1));
        Self { starts }
    }

    /// The 1-based line of byte `offset`.
    fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|start| *start <= offset)
    }
}

/// A top-level block of the file.
#[derive(Debug)]
enum Block {
    FrontMatter {
        text: String,
        range: Range<usize>,
    },
    Heading {
        level: HeadingLevel,
        text: String,
        range: Range<usize>,
    },
    Program {
        info: String,
        code: String,
        range: Range<usize>,
    },
    /// A paragraph that starts with a bold `Key:`.
    Keyed {
        range: Range<usize>,
    },
    /// Anything else: part of the text.
    Text {
        range: Range<usize>,
    },
}

/// How far a top-level paragraph has shown whether it starts with `**Key:**`.
#[derive(Debug)]
enum Opening {
    /// No inline element seen yet.
    Start,
    /// Inside the first inline element, which is bold: its text so far.
    Bold(String),
    /// The first inline element was bold, with this text.
    AfterBold(String),
    /// It starts some other way.
    Plain,
}

fn blocks(source: &str) -> Vec<Block> {
    let options = Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_SMART_PUNCTUATION;
    let mut blocks = Vec::new();
    let mut depth = 0usize;
    let mut current: Option<Block> = None;
    // For a top-level paragraph: how it opens.
    let mut opening: Option<Opening> = None;
    for (event, range) in Parser::new_ext(source, options).into_offset_iter() {
        match &event {
            Event::Start(tag) => {
                if depth == 0 {
                    opening = matches!(tag, Tag::Paragraph).then_some(Opening::Start);
                    current = Some(match tag {
                        Tag::MetadataBlock(MetadataBlockKind::YamlStyle) => {
                            Block::FrontMatter { text: String::new(), range: range.clone() }
                        }
                        Tag::Heading { level, .. } => {
                            Block::Heading { level: *level, text: String::new(), range: range.clone() }
                        }
                        Tag::CodeBlock(CodeBlockKind::Fenced(info)) => {
                            Block::Program { info: info.to_string(), code: String::new(), range: range.clone() }
                        }
                        _ => Block::Text { range: range.clone() },
                    });
                } else {
                    opening = match (opening.take(), tag) {
                        (Some(Opening::Start), Tag::Strong) if depth == 1 => Some(Opening::Bold(String::new())),
                        (Some(Opening::Bold(text)), _) => Some(Opening::Bold(text)),
                        (Some(Opening::AfterBold(text)), _) => Some(Opening::AfterBold(text)),
                        (Some(_), _) => Some(Opening::Plain),
                        (None, _) => None,
                    };
                }
                depth += 1;
            }
            Event::End(tag) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    // `**Key:**`: one word and a colon, bold, opening the paragraph.
                    if let Some(Opening::AfterBold(text)) = opening.take()
                        && let Some(key) = text.trim().strip_suffix(':')
                        && !key.trim().is_empty()
                        && !key.trim().contains(char::is_whitespace)
                    {
                        current = Some(Block::Keyed { range: range.clone() });
                    }
                    blocks.extend(current.take());
                } else if let (TagEnd::Strong, Some(Opening::Bold(text))) = (tag, opening.as_ref())
                    && depth == 1
                {
                    opening = Some(Opening::AfterBold(text.clone()));
                }
            }
            Event::Text(text) | Event::Code(text) => {
                match current.as_mut() {
                    Some(Block::FrontMatter { text: collected, .. }) | Some(Block::Heading { text: collected, .. }) => {
                        collected.push_str(text)
                    }
                    Some(Block::Program { code, .. }) => code.push_str(text),
                    _ => {}
                }
                opening = match opening.take() {
                    Some(Opening::Bold(mut bold)) => {
                        bold.push_str(text);
                        Some(Opening::Bold(bold))
                    }
                    Some(Opening::AfterBold(bold)) => Some(Opening::AfterBold(bold)),
                    Some(_) => Some(Opening::Plain),
                    None => None,
                };
            }
            _ => {
                if let Some(Opening::Start) = opening {
                    opening = Some(Opening::Plain);
                }
            }
        }
    }
    blocks
}

/// A keyed line: `**Go:** text` → ("go", "text").
fn split_key(line: &str) -> Option<(String, &str)> {
    let rest = line.trim_start().strip_prefix("**")?;
    let end = rest.find("**")?;
    let key = rest[..end].trim();
    let key = key.strip_suffix(':')?.trim();
    if key.is_empty() || key.contains(char::is_whitespace) {
        return None;
    }
    Some((key.to_ascii_lowercase(), rest[end + 2..].trim()))
}

/// Parse a lesson file. `file` names it in errors.
pub fn parse(file: &str, source: &str) -> Result<Lesson, LessonErrors> {
    let lines = Lines::new(source);
    let mut errors = Vec::new();
    let mut matter = front_matter::FrontMatter::default();
    let mut heading_title: Option<String> = None;
    let mut introduction = Vec::new();
    let mut steps: Vec<Step> = Vec::new();
    let mut step_text: Vec<String> = Vec::new();
    let mut programs: Vec<ProgramFile> = Vec::new();
    let mut section = Section::Introduction;
    let mut seen_front_matter = false;

    // The text read since the last step's heading belongs to it.
    let finish_step = |section: Section, steps: &mut Vec<Step>, step_text: &mut Vec<String>| {
        if section == Section::Step
            && let Some(step) = steps.last_mut()
        {
            step.text = step_text.join("\n\n");
        }
        step_text.clear();
    };

    for (position, block) in blocks(source).into_iter().enumerate() {
        match block {
            Block::FrontMatter { text, range } => {
                if position != 0 || seen_front_matter {
                    errors.push(LessonError::new(lines.line(range.start), "the front matter must come first, once"));
                    continue;
                }
                seen_front_matter = true;
                matter = front_matter::parse(&text, lines.line(range.start) + 1, &mut errors);
            }
            Block::Heading { level: HeadingLevel::H1, text, range } => {
                if heading_title.is_some() || section != Section::Introduction {
                    errors.push(
                        LessonError::new(lines.line(range.start), format!("a second title `# {text}`"))
                            .hint("a lesson has one `#` title; steps are `##` headings"),
                    );
                } else {
                    heading_title = Some(text.trim().to_string());
                }
            }
            Block::Heading { level: HeadingLevel::H2, text, range } => {
                finish_step(section, &mut steps, &mut step_text);
                let title = text.trim().to_string();
                if title.eq_ignore_ascii_case("programs") || title.eq_ignore_ascii_case("the programs") {
                    section = Section::Programs;
                } else {
                    if section == Section::Programs {
                        errors.push(
                            LessonError::new(lines.line(range.start), format!("step `{title}` after the programs"))
                                .hint("put every step before the `## Programs` heading"),
                        );
                    }
                    section = Section::Step;
                    steps.push(Step { title, line: lines.line(range.start), ..Step::default() });
                }
            }
            Block::Program { info, code, range } => {
                let line = lines.line(range.start);
                let mut words = info.split_whitespace();
                let language = words.next().unwrap_or("");
                let file = words.find_map(|word| word.strip_prefix("file="));
                match file {
                    Some(file) => {
                        if !matches!(language, "asm" | "nasm" | "x86asm") {
                            errors.push(
                                LessonError::new(line, format!("program `{file}` is marked as `{language}`"))
                                    .hint("programs are ```asm file=NAME.asm blocks"),
                            );
                        }
                        if programs.iter().any(|program| program.file == file) {
                            errors.push(LessonError::new(line, format!("a second program called `{file}`")));
                        }
                        programs.push(ProgramFile { file: file.to_string(), source: code, first_line: line + 1 });
                    }
                    None if section == Section::Programs => errors.push(
                        LessonError::new(line, "a code block among the programs has no file name")
                            .hint("write ```asm file=NAME.asm (NAME.inc for a file the others include)"),
                    ),
                    None => push_text(section, source, &range, &mut introduction, &mut step_text),
                }
            }
            Block::Keyed { range } => {
                let line = lines.line(range.start);
                match (section, steps.last_mut()) {
                    (Section::Step, Some(step)) => keyed(step, &source[range.clone()], line, &mut errors),
                    (Section::Programs, _) => errors.push(
                        LessonError::new(line, "a keyed paragraph among the programs")
                            .hint("put `**Go:**`, `**Check:**` … under a step's `##` heading"),
                    ),
                    _ => errors.push(
                        LessonError::new(line, "a keyed paragraph before the first step")
                            .hint("steps start with a `##` heading; keys belong to a step"),
                    ),
                }
            }
            Block::Heading { range, .. } | Block::Text { range } => {
                push_text(section, source, &range, &mut introduction, &mut step_text)
            }
        }
    }
    finish_step(section, &mut steps, &mut step_text);

    let title = matter.title.clone().or(heading_title).unwrap_or_default();
    if title.is_empty() {
        errors.push(
            LessonError::new(1, "the lesson has no title")
                .hint("add `title: …` to the front matter or a `# Title` line"),
        );
    }
    if steps.is_empty() {
        errors.push(LessonError::new(0, "the lesson has no steps").hint("each step is a `## Heading` with its text"));
    }
    match programs.first() {
        None => errors.push(
            LessonError::new(0, "the lesson has no program")
                .hint("add a `## Programs` section with at least one ```asm file=NAME.asm block"),
        ),
        Some(first) if !first.file.ends_with(".asm") => errors.push(
            LessonError::new(
                first.first_line - 1,
                format!("the first program, `{}`, must be an .asm file", first.file),
            )
            .hint("it boots as the root task; .inc files are only included by the others"),
        ),
        _ => {}
    }
    for step in &steps {
        match (&step.predict, &step.reveal) {
            (Some(_), None) => errors.push(
                LessonError::new(step.line, format!("step `{}` asks to predict but reveals nothing", step.title))
                    .hint("add `**Reveal:**` with the answer and why"),
            ),
            (None, Some(_)) => errors.push(
                LessonError::new(step.line, format!("step `{}` reveals without a question", step.title))
                    .hint("add `**Predict:**` with the question"),
            ),
            _ => {}
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|error| error.line);
        return Err(LessonErrors { file: file.to_string(), list: errors });
    }
    Ok(Lesson {
        file: file.to_string(),
        title,
        summary: matter.summary,
        cpus: if matter.cpus.is_empty() { vec![crate::Cpu::I486] } else { matter.cpus },
        small_spaces: matter.small_spaces,
        input: matter.input,
        threads: matter.threads,
        introduction: introduction.join("\n\n"),
        steps,
        programs,
    })
}

fn push_text(
    section: Section,
    source: &str,
    range: &Range<usize>,
    introduction: &mut Vec<String>,
    step_text: &mut Vec<String>,
) {
    let text = source[range.clone()].trim_end().to_string();
    match section {
        Section::Introduction => introduction.push(text),
        Section::Step => step_text.push(text),
        Section::Programs => {}
    }
}

/// Read a keyed paragraph into the step: each `**Key:**` line starts an
/// entry; lines without a key continue the one before.
fn keyed(step: &mut Step, paragraph: &str, first_line: usize, errors: &mut Vec<LessonError>) {
    let mut entries: Vec<(String, String, usize)> = Vec::new();
    for (offset, line) in paragraph.lines().enumerate() {
        match split_key(line) {
            Some((key, value)) => entries.push((key, value.to_string(), first_line + offset)),
            None => {
                if let Some((_, value, _)) = entries.last_mut() {
                    value.push('\n');
                    value.push_str(line.trim());
                }
            }
        }
    }
    for (key, value, line) in entries {
        let once = |present: bool, errors: &mut Vec<LessonError>| {
            if present {
                errors.push(LessonError::new(
                    line,
                    format!("a second `**{}:**` in step `{}`", capitalise(&key), step.title),
                ));
            }
            !present
        };
        match key.as_str() {
            "go" => {
                if once(step.go.is_some(), errors) {
                    match parse_go(&value, line) {
                        Ok(go) => step.go = Some(Located { line, text: value.clone(), value: go }),
                        Err(error) => errors.push(error),
                    }
                }
            }
            "look" => {
                if once(step.look.is_some(), errors) {
                    match parse_look(&value, line) {
                        Ok(look) => step.look = Some(Located { line, text: value.clone(), value: look }),
                        Err(error) => errors.push(error),
                    }
                }
            }
            "predict" => {
                if once(step.predict.is_some(), errors) {
                    step.predict = Some(value);
                }
            }
            "reveal" => {
                if once(step.reveal.is_some(), errors) {
                    step.reveal = Some(value);
                }
            }
            "check" => match parse_check(&value, line) {
                Ok(check) => step.checks.push(Located { line, text: value.clone(), value: check }),
                Err(error) => errors.push(error),
            },
            "machine" => {
                if once(step.machine.is_some(), errors) {
                    match parse_machine(&value, line) {
                        Ok(machine) => step.machine = Some(Located { line, text: value.clone(), value: machine }),
                        Err(error) => errors.push(error),
                    }
                }
            }
            other => {
                errors.push(LessonError::new(line, format!("unknown step key `{}`", capitalise(other))).hint(format!(
                    "the keys are {KEYS}; for bold text in prose, do not end the bold part with a colon"
                )))
            }
        }
    }
}

fn capitalise(word: &str) -> String {
    let mut characters = word.chars();
    characters.next().map(|first| first.to_uppercase().chain(characters).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests;
