//! The silicon side: a static ELF32 program with no libc that runs test
//! cases on the host CPU in 32-bit mode (Linux's IA-32 emulation). It reads
//! fixed-size cases on stdin — registers, flags, 256 bytes of scratch memory
//! and 16 bytes of code — runs the code, and writes back registers, flags
//! and the scratch memory.

use iced_x86::BlockEncoderOptions;
use iced_x86::code_asm::*;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub const BASE: u32 = 0x0070_0000;
pub const CASE: u32 = 0x0070_2000;
pub const OUTPUT: u32 = 0x0070_2200;
pub const SAVED_ESP: u32 = 0x0070_2400;
pub const SLOT: u32 = 0x0070_5000;
pub const SCRATCH: u32 = 0x0070_6000;
pub const SCRATCH_SIZE: usize = 256;
pub const CODE_SIZE: usize = 16;
const IMAGE_SIZE: u32 = 0x7000;
const ENTRY: u32 = BASE + 0x100;

/// Registers (8), EFLAGS, scratch, code.
pub const CASE_SIZE: usize = 32 + 4 + SCRATCH_SIZE + CODE_SIZE;
/// Registers (8), EFLAGS, scratch.
pub const OUTPUT_SIZE: usize = 32 + 4 + SCRATCH_SIZE;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    pub registers: [u32; 8],
    pub eflags: u32,
    pub scratch: Vec<u8>,
}

/// One case: the state before and the instruction bytes (padded with NOPs).
#[derive(Clone, Debug)]
pub struct Case {
    pub before: State,
    pub code: Vec<u8>,
}

fn build_program() -> Vec<u8> {
    let mut a = CodeAssembler::new(32).expect("assembler");
    let mut main = a.create_label();
    let mut read_more = a.create_label();
    let mut after = a.create_label();
    let mut exit = a.create_label();
    a.set_label(&mut main).unwrap();
    a.xor(esi, esi).unwrap();
    a.set_label(&mut read_more).unwrap();
    a.mov(eax, 3u32).unwrap(); // sys_read
    a.xor(ebx, ebx).unwrap();
    a.lea(ecx, dword_ptr(esi + CASE)).unwrap();
    a.mov(edx, CASE_SIZE as u32).unwrap();
    a.sub(edx, esi).unwrap();
    a.int(0x80).unwrap();
    a.test(eax, eax).unwrap();
    a.jle(exit).unwrap();
    a.add(esi, eax).unwrap();
    a.cmp(esi, CASE_SIZE as u32).unwrap();
    a.jb(read_more).unwrap();
    a.cld().unwrap();
    a.mov(esi, CASE + 36).unwrap();
    a.mov(edi, SCRATCH).unwrap();
    a.mov(ecx, SCRATCH_SIZE as u32).unwrap();
    a.rep().movsb().unwrap();
    a.mov(esi, CASE + 36 + SCRATCH_SIZE as u32).unwrap();
    a.mov(edi, SLOT).unwrap();
    a.mov(ecx, CODE_SIZE as u32).unwrap();
    a.rep().movsb().unwrap();
    a.mov(dword_ptr(SAVED_ESP), esp).unwrap();
    a.push(dword_ptr(CASE + 32)).unwrap();
    a.popfd().unwrap();
    for (index, register) in [eax, ecx, edx, ebx, esp, ebp, esi, edi].into_iter().enumerate() {
        a.mov(register, dword_ptr(CASE + 4 * index as u32)).unwrap();
    }
    a.jmp(SLOT as u64).unwrap();
    a.set_label(&mut after).unwrap();
    for (index, register) in [eax, ecx, edx, ebx, esp, ebp, esi, edi].into_iter().enumerate() {
        a.mov(dword_ptr(OUTPUT + 4 * index as u32), register).unwrap();
    }
    a.mov(esp, dword_ptr(SAVED_ESP)).unwrap();
    a.pushfd().unwrap();
    a.pop(dword_ptr(OUTPUT + 32)).unwrap();
    a.cld().unwrap();
    a.mov(esi, SCRATCH).unwrap();
    a.mov(edi, OUTPUT + 36).unwrap();
    a.mov(ecx, SCRATCH_SIZE as u32).unwrap();
    a.rep().movsb().unwrap();
    a.mov(eax, 4u32).unwrap(); // sys_write
    a.mov(ebx, 1u32).unwrap();
    a.mov(ecx, OUTPUT).unwrap();
    a.mov(edx, OUTPUT_SIZE as u32).unwrap();
    a.int(0x80).unwrap();
    a.jmp(main).unwrap();
    a.set_label(&mut exit).unwrap();
    a.mov(eax, 1u32).unwrap(); // sys_exit
    a.xor(ebx, ebx).unwrap();
    a.int(0x80).unwrap();
    let result = a
        .assemble_options(ENTRY as u64, BlockEncoderOptions::RETURN_NEW_INSTRUCTION_OFFSETS)
        .expect("helper assembles");
    let after_address = result.label_ip(&after).expect("label") as u32;
    let code = result.inner.code_buffer;
    // The image: ELF header + one RWX program header, code at ENTRY, and the
    // return jump after the code slot.
    let mut image = vec![0u8; IMAGE_SIZE as usize];
    let header: Vec<u8> = [
        &b"\x7fELF\x01\x01\x01\0\0\0\0\0\0\0\0\0"[..],
        &2u16.to_le_bytes(),
        &3u16.to_le_bytes(),
        &1u32.to_le_bytes(),
        &ENTRY.to_le_bytes(),
        &52u32.to_le_bytes(),
        &0u32.to_le_bytes(),
        &0u32.to_le_bytes(),
        &52u16.to_le_bytes(),
        &32u16.to_le_bytes(),
        &1u16.to_le_bytes(),
        &0u16.to_le_bytes(),
        &0u16.to_le_bytes(),
        &0u16.to_le_bytes(),
    ]
    .concat();
    let program_header: Vec<u8> =
        [1u32, 0, BASE, BASE, IMAGE_SIZE, IMAGE_SIZE, 7, 0x1000].iter().flat_map(|word| word.to_le_bytes()).collect();
    image[..52].copy_from_slice(&header);
    image[52..84].copy_from_slice(&program_header);
    image[0x100..0x100 + code.len()].copy_from_slice(&code);
    let jump_at = (SLOT - BASE) as usize + CODE_SIZE;
    image[jump_at] = 0xE9;
    let relative = after_address.wrapping_sub(SLOT + CODE_SIZE as u32 + 5);
    image[jump_at + 1..jump_at + 5].copy_from_slice(&relative.to_le_bytes());
    image
}

/// A running helper process.
pub struct Helper {
    child: Child,
}

impl Helper {
    pub fn start() -> Helper {
        static PROGRAM: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
        let path = PROGRAM.get_or_init(|| {
            let path =
                PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("silicon-helper-{}", std::process::id()));
            std::fs::write(&path, build_program()).expect("helper written");
            let mut permissions = std::fs::metadata(&path).expect("helper exists").permissions();
            std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
            std::fs::set_permissions(&path, permissions).expect("helper executable");
            path
        });
        // Another test thread's fork may briefly hold the file open for writing (ETXTBSY).
        let mut attempts = 0;
        let child = loop {
            let spawned =
                Command::new(path).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn();
            match spawned {
                Ok(child) => break child,
                Err(error) if error.kind() == std::io::ErrorKind::ExecutableFileBusy && attempts < 50 => {
                    attempts += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(error) => panic!("the host runs 32-bit ELF programs (IA-32 emulation): {error}"),
            }
        };
        Helper { child }
    }

    /// Run a batch of cases on the host CPU.
    pub fn run(&mut self, cases: &[Case]) -> Vec<State> {
        let mut input = Vec::with_capacity(cases.len() * CASE_SIZE);
        for case in cases {
            for register in case.before.registers {
                input.extend_from_slice(&register.to_le_bytes());
            }
            input.extend_from_slice(&case.before.eflags.to_le_bytes());
            input.extend_from_slice(&case.before.scratch);
            let mut code = case.code.clone();
            code.resize(CODE_SIZE, 0x90);
            input.extend_from_slice(&code);
        }
        let mut stdin = self.child.stdin.take().expect("stdin");
        let writer = std::thread::spawn(move || {
            stdin.write_all(&input).expect("cases sent");
            stdin
        });
        let mut output = vec![0u8; cases.len() * OUTPUT_SIZE];
        let stdout = self.child.stdout.as_mut().expect("stdout");
        for (index, chunk) in output.chunks_mut(OUTPUT_SIZE).enumerate() {
            if let Err(error) = stdout.read_exact(chunk) {
                panic!(
                    "the silicon helper stopped at case {index} ({error}): it faulted on the host; code {:02x?}, state {:x?}",
                    cases[index].code, cases[index].before.registers
                );
            }
        }
        self.child.stdin = Some(writer.join().expect("writer"));
        output
            .chunks(OUTPUT_SIZE)
            .map(|chunk| {
                let word =
                    |index: usize| u32::from_le_bytes(chunk[4 * index..4 * index + 4].try_into().expect("4 bytes"));
                State {
                    registers: std::array::from_fn(word),
                    eflags: word(8),
                    scratch: chunk[36..36 + SCRATCH_SIZE].to_vec(),
                }
            })
            .collect()
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}
