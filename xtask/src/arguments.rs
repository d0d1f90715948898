//! A small argument parser with errors that name the flag and the command.

use xtask::{Result, TaskError};

#[derive(Debug)]
pub struct Arguments {
    command: Option<String>,
    rest: Vec<String>,
}

impl Arguments {
    pub fn from_env() -> Self {
        let mut all: Vec<String> = std::env::args().skip(1).collect();
        let command = if all.is_empty() { None } else { Some(all.remove(0)) };
        Self { command, rest: all }
    }

    pub fn command(&mut self) -> Option<String> {
        self.command.clone()
    }

    /// Take the first word after the command (a subcommand such as `bench native`).
    pub fn subcommand(&mut self) -> Option<String> {
        if self.rest.first().is_some_and(|word| !word.starts_with('-')) { Some(self.rest.remove(0)) } else { None }
    }

    /// Everything after the command, untouched (for commands that pass it on).
    pub fn rest(&self) -> &[String] {
        &self.rest
    }

    /// Take `--name VALUE` (or `--name=VALUE`) if present.
    pub fn value(&mut self, name: &str) -> Result<Option<String>> {
        let prefix = format!("{name}=");
        if let Some(position) = self.rest.iter().position(|argument| argument.starts_with(&prefix)) {
            let argument = self.rest.remove(position);
            return Ok(Some(argument[prefix.len()..].to_string()));
        }
        match self.rest.iter().position(|argument| argument == name) {
            None => Ok(None),
            Some(position) => {
                if position + 1 >= self.rest.len() || self.rest[position + 1].starts_with("--") {
                    return Err(TaskError::new(format!(
                        "`{name}` needs a value, for example `{name} {}`",
                        example(name)
                    )));
                }
                self.rest.remove(position);
                Ok(Some(self.rest.remove(position)))
            }
        }
    }

    /// Take a boolean `--name` if present.
    pub fn flag(&mut self, name: &str) -> bool {
        match self.rest.iter().position(|argument| argument == name) {
            Some(position) => {
                self.rest.remove(position);
                true
            }
            None => false,
        }
    }

    fn help_requested(&self) -> bool {
        self.rest.iter().any(|argument| argument == "--help" || argument == "-h")
    }

    /// Fail on anything not taken. `--help` or `-h` prints the command's
    /// usage and ends the process successfully instead.
    pub fn finish(self, command: &str, accepted: &str) -> Result<()> {
        if self.help_requested() {
            println!("{}", usage(command, accepted));
            std::process::exit(0);
        }
        match self.rest.first() {
            None => Ok(()),
            Some(extra) => {
                Err(TaskError::new(format!("`cargo xtask {command}` does not take `{extra}`. It accepts: {accepted}")))
            }
        }
    }
}

/// What `cargo xtask COMMAND --help` prints.
fn usage(command: &str, accepted: &str) -> String {
    format!(
        "usage: cargo xtask {command} [options]\noptions: {accepted}\n(`cargo xtask help` lists the commands; the README says what each does)"
    )
}

fn example(name: &str) -> &'static str {
    match name {
        "--port" => "8081",
        "--cpu" => "pentium",
        _ => "VALUE",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arguments(words: &[&str]) -> Arguments {
        Arguments { command: Some("boot".into()), rest: words.iter().map(|word| word.to_string()).collect() }
    }

    #[test]
    fn help_is_asked_for_by_either_spelling_wherever_it_stands() {
        assert!(arguments(&["--help"]).help_requested());
        assert!(arguments(&["--cpu", "486", "-h"]).help_requested());
        assert!(!arguments(&["--cpu", "486"]).help_requested());
        assert!(!arguments(&["--helpful"]).help_requested());
        let text = usage("boot", "--scenario NAME, --cpu 486|pentium");
        assert!(text.starts_with("usage: cargo xtask boot") && text.contains("--cpu 486|pentium"), "{text}");
    }

    #[test]
    fn anything_not_taken_is_an_error_naming_it_and_what_is_accepted() {
        let mut taken = arguments(&["--cpu", "486", "--bogus"]);
        assert_eq!(taken.value("--cpu").ok().flatten().as_deref(), Some("486"));
        let error = taken.finish("boot", "--cpu 486|pentium").err().map(|error| error.message).unwrap_or_default();
        assert!(error.contains("does not take `--bogus`") && error.contains("--cpu 486|pentium"), "{error}");
    }
}
