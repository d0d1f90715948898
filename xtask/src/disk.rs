//! Free space under `target/`, checked before a long build starts.
//!
//! Why: a full `cargo xtask test` writes several gigabytes into `target/`
//! (host test binaries, the wasm builds, the native image, Chromium's
//! profile). When the disk fills half way, every later stage fails with a
//! linker's "IO failure on output stream" or npm's ENOSPC, which says
//! nothing about what to do. Checking first turns that into one clear error:
//! how much is free, how much the run needs, and what to delete.
//!
//! The free space is read with POSIX `df -Pk` (coreutils, on every machine
//! these commands support), so no `unsafe` `statvfs` call is needed here.

use crate::{Result, TaskError};
use std::path::Path;
use std::process::Command;

const GIGABYTE: u64 = 1 << 30;

/// Bytes available to an unprivileged writer on the filesystem holding
/// `path` (or its nearest existing ancestor, since `target/` may not exist
/// yet). `None` when `df` is missing or says something unexpected.
fn available_bytes(path: &Path) -> Option<u64> {
    let existing = path.ancestors().find(|folder| folder.exists())?;
    let output = Command::new("df").arg("-Pk").arg(existing).output().ok()?;
    if !output.status.success() {
        return None;
    }
    parse_df_available(&String::from_utf8_lossy(&output.stdout))
}

/// The "Available" column (in 1024-byte blocks) of `df -P`'s one data line.
fn parse_df_available(text: &str) -> Option<u64> {
    let line = text.lines().nth(1)?;
    // Filesystem, 1024-blocks, Used, Available, Capacity, Mounted on: the
    // device name may hold spaces, so count from the right.
    let fields: Vec<&str> = line.split_whitespace().collect();
    let available = fields.iter().rev().nth(2)?;
    available.parse::<u64>().ok().map(|blocks| blocks * 1024)
}

/// The bytes of every file below `folder` (0 when it does not exist).
/// Links are not followed.
fn size_of_folder(folder: &Path) -> u64 {
    let mut total = 0;
    let mut pending = vec![folder.to_path_buf()];
    while let Some(current) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else { continue };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                total += entry.metadata().map(|meta| meta.len()).unwrap_or(0);
            }
        }
    }
    total
}

/// What a check found: the space free, and what the work still needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Space {
    pub available: u64,
    pub needed: u64,
}

/// A run that writes `full_run` bytes into a `target/` that already holds
/// `built` bytes (a warm tree rebuilds little) needs the difference, plus a
/// margin of one gigabyte for temporary files (linker output, Chromium).
fn space_needed(full_run: u64, built: u64) -> u64 {
    full_run.saturating_sub(built) + GIGABYTE
}

/// Fail with an error a person can act on when the filesystem of `target`
/// has less free space than a run writing `full_run` bytes still needs.
/// Returns what was measured (or `None` when free space cannot be read:
/// then the check says so and lets the run go on, as it would have without
/// the check).
pub fn ensure_space(target: &Path, full_run: u64, purpose: &str) -> Result<Option<Space>> {
    let Some(available) = available_bytes(target) else {
        eprintln!("xtask: cannot read the free space under {} (no `df`?); not checked", target.display());
        return Ok(None);
    };
    let built = size_of_folder(target);
    let space = Space { available, needed: space_needed(full_run, built) };
    if space.available >= space.needed {
        return Ok(Some(space));
    }
    Err(TaskError::new(format!(
        "only {} free on the disk holding {}; {purpose} writes about {} there ({} of it is already built), \
         so it would fail half way with \"No space left on device\".\n\
         Free some space — `cargo clean` in other clones of this project, or delete their target/ folders — \
         or set CARGO_TARGET_DIR to a folder on a larger disk.",
        gigabytes(space.available),
        target.display(),
        gigabytes(full_run),
        gigabytes(built.min(full_run)),
    )))
}

/// "3.2 GB" (binary gigabytes, one decimal).
pub fn gigabytes(bytes: u64) -> String {
    format!("{:.1} GB", bytes as f64 / GIGABYTE as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn df_portable_output_gives_the_available_column_in_bytes() {
        let text = "Filesystem     1024-blocks     Used Available Capacity Mounted on\n\
                    /dev/vda         264137692 11534336  83886080      13% /\n";
        assert_eq!(parse_df_available(text), Some(83_886_080 * 1024));
        // A mount point with a space shifts the columns counted from the right.
        let spaced = "Filesystem 1024-blocks Used Available Capacity Mounted on\n\
                      my disk 100 60 40 60% /mnt/my disk\n";
        assert_eq!(parse_df_available(spaced), None, "a mount point with a space is ambiguous: not guessed");
        // A device name with a space still yields the right column.
        let plain = "Filesystem 1024-blocks Used Available Capacity Mounted on\nmy disk 100 60 40 60% /mnt\n";
        assert_eq!(parse_df_available(plain), Some(40 * 1024));
        assert_eq!(parse_df_available("garbage"), None);
        assert_eq!(parse_df_available("header\n/dev/x 1 2 lots 9% /\n"), None);
    }

    #[test]
    fn a_warm_target_needs_only_what_is_not_built_yet() {
        assert_eq!(space_needed(5 * GIGABYTE, 0), 6 * GIGABYTE);
        assert_eq!(space_needed(5 * GIGABYTE, 3 * GIGABYTE), 3 * GIGABYTE);
        assert_eq!(space_needed(5 * GIGABYTE, 9 * GIGABYTE), GIGABYTE);
    }

    #[test]
    fn folder_sizes_add_up_the_files_below() {
        let folder = std::env::temp_dir().join(format!("xtask-disk-test-{}", std::process::id()));
        let inner = folder.join("inner");
        std::fs::create_dir_all(&inner).expect("create a scratch folder");
        std::fs::write(folder.join("a"), [0u8; 1000]).expect("write a");
        std::fs::write(inner.join("b"), [0u8; 234]).expect("write b");
        let size = size_of_folder(&folder);
        std::fs::remove_dir_all(&folder).expect("remove the scratch folder");
        assert_eq!(size, 1234);
        assert_eq!(size_of_folder(&folder), 0, "a folder that is gone holds nothing");
    }

    #[test]
    fn the_disk_of_an_existing_folder_has_a_free_space() {
        // `df` is part of coreutils; the machines these commands run on have it.
        let missing_child = std::env::temp_dir().join("no-such-folder-for-xtask").join("deeper");
        assert!(available_bytes(&missing_child).is_some(), "df on the nearest existing ancestor");
    }
}
