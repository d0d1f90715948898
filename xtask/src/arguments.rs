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

    /// Fail on anything not taken.
    pub fn finish(self, command: &str, accepted: &str) -> Result<()> {
        match self.rest.first() {
            None => Ok(()),
            Some(extra) => {
                Err(TaskError::new(format!("`cargo xtask {command}` does not take `{extra}`. It accepts: {accepted}")))
            }
        }
    }
}

fn example(name: &str) -> &'static str {
    match name {
        "--port" => "8081",
        "--cpu" => "pentium",
        _ => "VALUE",
    }
}
