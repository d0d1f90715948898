//! Specialised forms of the commonest instructions (issue 16: the model's
//! speed). The generic handlers ask iced-x86 for each operand's kind,
//! register and size on every execution; a form takes the instruction apart
//! once, when it is decoded, and keeps only what running it needs.
//!
//! Each form does exactly what the generic handler of its instruction does,
//! in the same order (segment checks, translation, cache accounting, flags),
//! so every modelled figure stays the same: the digest test
//! (`tests/tests/model_digest.rs`) and the form-cost vectors of the
//! differential tests pin that. Anything a form does not cover — 8- and
//! 16-bit operands, 16-bit addressing, memory destinations of the ALU —
//! stays with the generic handler.

use super::operands::{condition_code, segment_index};
use crate::fault::Fault;
use crate::flags::Operation;
use crate::machine::Machine;
use ia32::registers::eflags::CF;
use iced_x86::{Code, Instruction, Mnemonic, OpKind, Register};

/// The ALU operation of an `op r32, r/m32`-style instruction.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AluOperation {
    Add,
    Adc,
    Sub,
    Sbb,
    Cmp,
    And,
    Test,
    Or,
    Xor,
}

/// A 32-bit memory operand's address, taken apart at decode time.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Address {
    /// Segment register index (ES=0 … GS=5).
    pub segment: u8,
    /// Base register number, or [`Address::NONE`].
    pub base: u8,
    /// Index register number, or [`Address::NONE`].
    pub index: u8,
    pub scale: u8,
    pub displacement: u32,
}

impl Address {
    pub const NONE: u8 = 8;

    /// The address of an instruction's memory operand, if it uses 32-bit
    /// registers (or none).
    fn of(instruction: &Instruction) -> Option<Self> {
        let register = |register: Register| match register {
            Register::None => Some(Self::NONE),
            register if register.is_gpr32() => Some(register.number() as u8),
            _ => None,
        };
        Some(Self {
            segment: segment_index(instruction.memory_segment()) as u8,
            base: register(instruction.memory_base())?,
            index: register(instruction.memory_index())?,
            scale: instruction.memory_index_scale() as u8,
            displacement: instruction.memory_displacement32(),
        })
    }
}

/// How an instruction runs: a specialised form, or the generic handler.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Form {
    Generic,
    /// `op r32, r32`.
    AluRegister {
        operation: AluOperation,
        destination: u8,
        source: u8,
    },
    /// `op r32, imm` (the immediate as the generic handler reads it).
    AluImmediate {
        operation: AluOperation,
        destination: u8,
        immediate: u32,
    },
    /// `op r32, [m32]`.
    AluLoad {
        operation: AluOperation,
        destination: u8,
        address: Address,
    },
    Increment {
        register: u8,
    },
    Decrement {
        register: u8,
    },
    /// `mov r32, r32`.
    MoveRegister {
        destination: u8,
        source: u8,
    },
    /// `mov r32, imm32`.
    MoveImmediate {
        destination: u8,
        immediate: u32,
    },
    /// `mov r32, [m32]`.
    Load {
        destination: u8,
        address: Address,
    },
    /// `mov [m32], r32`.
    Store {
        source: u8,
        address: Address,
    },
    /// `jcc rel` with a 32-bit operand size: the displacement from the next instruction.
    JumpIf {
        condition: u8,
        displacement: u32,
    },
    /// `jmp rel` with a 32-bit operand size.
    Jump {
        displacement: u32,
    },
    /// `push r32`.
    Push {
        register: u8,
    },
    /// `push imm` of 4 bytes.
    PushImmediate {
        immediate: u32,
    },
    /// `pop r32`.
    Pop {
        register: u8,
    },
}

fn register32(register: Register) -> Option<u8> {
    register.is_gpr32().then(|| register.number() as u8)
}

fn alu_operation(mnemonic: Mnemonic) -> Option<AluOperation> {
    Some(match mnemonic {
        Mnemonic::Add => AluOperation::Add,
        Mnemonic::Adc => AluOperation::Adc,
        Mnemonic::Sub => AluOperation::Sub,
        Mnemonic::Sbb => AluOperation::Sbb,
        Mnemonic::Cmp => AluOperation::Cmp,
        Mnemonic::And => AluOperation::And,
        Mnemonic::Test => AluOperation::Test,
        Mnemonic::Or => AluOperation::Or,
        Mnemonic::Xor => AluOperation::Xor,
        _ => return None,
    })
}

/// The immediate operand `operand` as `read_operand` reads it, for 32-bit forms.
fn immediate32(instruction: &Instruction, operand: u32) -> Option<u32> {
    match instruction.op_kind(operand) {
        OpKind::Immediate32 => Some(instruction.immediate32()),
        OpKind::Immediate8to32 => Some(instruction.immediate8to32() as u32),
        _ => None,
    }
}

/// The form of a decoded instruction. Every instruction given a form exists
/// on both CPU models (they are all 386 instructions), so the generic
/// table's availability checks have nothing to add.
pub fn form_of(instruction: &Instruction) -> Form {
    specialise(instruction).unwrap_or(Form::Generic)
}

fn specialise(instruction: &Instruction) -> Option<Form> {
    if instruction.code() == Code::INVALID {
        return None;
    }
    let mnemonic = instruction.mnemonic();
    let count = instruction.op_count();
    if count == 1 && instruction.stack_pointer_increment().unsigned_abs() == 4 {
        match (mnemonic, instruction.op0_kind()) {
            (Mnemonic::Push, OpKind::Register) => {
                return Some(Form::Push { register: register32(instruction.op0_register())? });
            }
            (Mnemonic::Push, _) => return Some(Form::PushImmediate { immediate: immediate32(instruction, 0)? }),
            (Mnemonic::Pop, OpKind::Register) => {
                return Some(Form::Pop { register: register32(instruction.op0_register())? });
            }
            _ => {}
        }
    }
    if count >= 1 && instruction.op0_kind() == OpKind::Register {
        let first = register32(instruction.op0_register());
        if let Some(operation) = alu_operation(mnemonic) {
            let destination = first?;
            return match instruction.op1_kind() {
                OpKind::Register => {
                    Some(Form::AluRegister { operation, destination, source: register32(instruction.op1_register())? })
                }
                OpKind::Memory if instruction.memory_size().size() == 4 => {
                    Some(Form::AluLoad { operation, destination, address: Address::of(instruction)? })
                }
                _ => Some(Form::AluImmediate { operation, destination, immediate: immediate32(instruction, 1)? }),
            };
        }
        if matches!(mnemonic, Mnemonic::Inc | Mnemonic::Dec) && count == 1 {
            let register = first?;
            return Some(if mnemonic == Mnemonic::Inc {
                Form::Increment { register }
            } else {
                Form::Decrement { register }
            });
        }
        // Moves to and from segment, control, debug and test registers
        // name a register that is not a 32-bit general one: no form.
        if mnemonic == Mnemonic::Mov && count == 2 {
            let destination = first?;
            return match instruction.op1_kind() {
                OpKind::Register => {
                    Some(Form::MoveRegister { destination, source: register32(instruction.op1_register())? })
                }
                OpKind::Memory if instruction.memory_size().size() == 4 => {
                    Some(Form::Load { destination, address: Address::of(instruction)? })
                }
                _ => Some(Form::MoveImmediate { destination, immediate: immediate32(instruction, 1)? }),
            };
        }
    }
    if mnemonic == Mnemonic::Mov
        && count == 2
        && instruction.op0_kind() == OpKind::Memory
        && instruction.memory_size().size() == 4
        && instruction.op1_kind() == OpKind::Register
    {
        return Some(Form::Store {
            source: register32(instruction.op1_register())?,
            address: Address::of(instruction)?,
        });
    }
    if count == 1 && instruction.op0_kind() == OpKind::NearBranch32 {
        let displacement = instruction.near_branch_target().wrapping_sub(instruction.next_ip()) as u32;
        if let Some(condition) = condition_code(mnemonic).filter(|_| instruction.is_jcc_short_or_near()) {
            return Some(Form::JumpIf { condition: condition as u8, displacement });
        }
        if instruction.is_jmp_short_or_near() {
            return Some(Form::Jump { displacement });
        }
    }
    None
}

impl Machine {
    /// A general register by its number (0–7), as the forms keep them. The
    /// mask tells the compiler the index is in bounds: no check per access.
    #[inline(always)]
    fn register(&self, number: u8) -> u32 {
        self.cpu.registers[(number & 7) as usize]
    }

    #[inline(always)]
    fn set_register(&mut self, number: u8, value: u32) {
        self.cpu.registers[(number & 7) as usize] = value;
    }

    /// The offset of a taken-apart memory operand (before the segment base).
    #[inline(always)]
    fn offset_of(&self, address: &Address) -> u32 {
        let mut offset = address.displacement;
        if address.base != Address::NONE {
            offset = offset.wrapping_add(self.register(address.base));
        }
        if address.index != Address::NONE {
            offset = offset.wrapping_add(self.register(address.index).wrapping_mul(address.scale as u32));
        }
        offset
    }

    /// Flags and result of a 32-bit ALU operation (`None`: CMP and TEST
    /// write nothing). The status flags are deferred (`crate::flags`) but
    /// for ADC and SBB, which compute them from the carry they read.
    #[inline(always)]
    fn alu32(&mut self, operation: AluOperation, a: u32, b: u32) -> Option<u32> {
        match operation {
            AluOperation::Add => {
                let result = a.wrapping_add(b);
                self.cpu.defer_status(Operation::Add, a, b, result);
                Some(result)
            }
            AluOperation::Adc => {
                let carry = self.cpu.flag(CF) as u32;
                let result = a.wrapping_add(b).wrapping_add(carry);
                self.flags_add(a, b, carry, result, 4);
                Some(result)
            }
            AluOperation::Sub | AluOperation::Cmp => {
                let result = a.wrapping_sub(b);
                self.cpu.defer_status(Operation::Subtract, a, b, result);
                (operation == AluOperation::Sub).then_some(result)
            }
            AluOperation::Sbb => {
                let carry = self.cpu.flag(CF) as u32;
                let result = a.wrapping_sub(b).wrapping_sub(carry);
                self.flags_sub(a, b, carry, result, 4);
                Some(result)
            }
            AluOperation::And | AluOperation::Test => {
                let result = a & b;
                self.cpu.defer_status(Operation::Logic, a, b, result);
                (operation == AluOperation::And).then_some(result)
            }
            AluOperation::Or => {
                let result = a | b;
                self.cpu.defer_status(Operation::Logic, a, b, result);
                Some(result)
            }
            AluOperation::Xor => {
                let result = a ^ b;
                self.cpu.defer_status(Operation::Logic, a, b, result);
                Some(result)
            }
        }
    }

    /// Run a specialised form (never `Form::Generic`).
    #[inline(always)]
    pub(crate) fn run_form(&mut self, form: &Form) -> Result<(), Fault> {
        match *form {
            Form::Generic => Err(Fault::invalid_opcode()),
            Form::AluRegister { operation, destination, source } => {
                let a = self.register(destination);
                let b = self.register(source);
                if let Some(result) = self.alu32(operation, a, b) {
                    self.set_register(destination, result);
                }
                Ok(())
            }
            Form::AluImmediate { operation, destination, immediate } => {
                let a = self.register(destination);
                if let Some(result) = self.alu32(operation, a, immediate) {
                    self.set_register(destination, result);
                }
                Ok(())
            }
            Form::AluLoad { operation, destination, address } => {
                let a = self.register(destination);
                let offset = self.offset_of(&address);
                let b = self.read(address.segment as usize, offset, 4)?;
                if let Some(result) = self.alu32(operation, a, b) {
                    self.set_register(destination, result);
                }
                Ok(())
            }
            Form::Increment { register } => {
                let value = self.register(register);
                let result = value.wrapping_add(1);
                self.cpu.defer_status(Operation::Increment, value, 1, result);
                self.set_register(register, result);
                Ok(())
            }
            Form::Decrement { register } => {
                let value = self.register(register);
                let result = value.wrapping_sub(1);
                self.cpu.defer_status(Operation::Decrement, value, 1, result);
                self.set_register(register, result);
                Ok(())
            }
            Form::MoveRegister { destination, source } => {
                self.set_register(destination, self.register(source));
                Ok(())
            }
            Form::MoveImmediate { destination, immediate } => {
                self.set_register(destination, immediate);
                Ok(())
            }
            Form::Load { destination, address } => {
                let offset = self.offset_of(&address);
                let value = self.read(address.segment as usize, offset, 4)?;
                self.set_register(destination, value);
                Ok(())
            }
            Form::Store { source, address } => {
                let value = self.register(source);
                let offset = self.offset_of(&address);
                self.write(address.segment as usize, offset, 4, value)
            }
            Form::JumpIf { condition, displacement } => {
                if self.condition(condition as u32) {
                    self.jump_to(self.next_eip.wrapping_add(displacement))?;
                }
                Ok(())
            }
            Form::Jump { displacement } => self.jump_to(self.next_eip.wrapping_add(displacement)),
            // `push esp` pushes the value before the push.
            Form::Push { register } => self.push(4, self.register(register)),
            Form::PushImmediate { immediate } => self.push(4, immediate),
            Form::Pop { register } => {
                let old_stack_pointer = self.cpu.registers[crate::cpu::register::ESP];
                let value = self.peek(0, 4)?;
                self.set_stack_pointer(old_stack_pointer.wrapping_add(4));
                // `pop esp` leaves the popped value in ESP.
                self.set_register(register, value);
                Ok(())
            }
        }
    }
}
