//! Running commands with errors that say which command failed and why.

use crate::{Result, TaskError};
use std::process::{Command, ExitStatus, Output};

/// Describe a command for messages: program and arguments, shell-like.
pub fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for argument in command.get_args() {
        text.push(' ');
        text.push_str(&argument.to_string_lossy());
    }
    text
}

/// Run, inheriting stdio; fail unless it exits with 0.
pub fn run(command: &mut Command) -> Result<()> {
    let status = status(command)?;
    if status.success() { Ok(()) } else { Err(TaskError::new(format!("`{}` failed ({status})", describe(command)))) }
}

/// Run, inheriting stdio; return the exit status.
pub fn status(command: &mut Command) -> Result<ExitStatus> {
    command.status().map_err(|error| TaskError::new(format!("cannot run `{}`: {error}", describe(command))))
}

/// Run and capture output; fail unless it exits with 0.
pub fn output(command: &mut Command) -> Result<Output> {
    let output =
        command.output().map_err(|error| TaskError::new(format!("cannot run `{}`: {error}", describe(command))))?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(TaskError::new(format!(
            "`{}` failed ({}):\n{}",
            describe(command),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )))
    }
}

/// Whether a program can be found on PATH.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|folder| folder.join(program).is_file()))
        .unwrap_or(false)
}

/// `cargo`, as the one that runs us (so the pinned toolchain is used).
pub fn cargo() -> Command {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(program);
    command.current_dir(crate::paths::root());
    command
}
