use super::*;

fn name(text: &str) -> ThreadReference {
    ThreadReference::Name(text.into())
}

#[test]
fn go_sentences() {
    assert_eq!(
        parse_go("ipc from ping to pong", 1),
        Ok(Go { count: 1, target: Target::Ipc { from: Some(name("ping")), to: Some(name("pong")) } })
    );
    assert_eq!(
        parse_go("3 × grant of `page_a` to 6.0.", 1),
        Ok(Go {
            count: 3,
            target: Target::Map {
                grant: true,
                frame: Some(Place::Label("page_a".into())),
                from: None,
                to: Some(ThreadReference::Number { task: 6, lthread: 0 })
            }
        })
    );
    assert_eq!(
        parse_go("instruction 0x401000 in ping", 1).map(|go| go.target),
        Ok(Target::Instruction { place: Place::Address(0x401000), thread: Some(name("ping")) })
    );
    assert_eq!(parse_go("interrupt 4", 1).map(|go| go.target), Ok(Target::Interrupt { irq: Some(4) }));
    assert_eq!(parse_go("End", 1).map(|go| go.target), Ok(Target::End));
    let error = parse_go("ipc from ping sideways", 7).unwrap_err();
    assert_eq!(error.line, 7);
    assert!(error.message.contains("sideways"), "{error:?}");
    assert!(parse_go("dance", 1).unwrap_err().hint.unwrap_or_default().contains("page fault"));
    assert!(parse_go("0 × ipc", 1).is_err());
}

#[test]
fn check_sentences() {
    assert_eq!(
        parse_check("client_b has page_a read-only from client_a", 1),
        Ok(Check::Has {
            thread: name("client_b"),
            frame: Place::Label("page_a".into()),
            rights: Some(Rights::ReadOnly),
            from: Some(name("client_a"))
        })
    );
    assert_eq!(
        parse_check("tlb misses in this step >= 4", 1),
        Ok(Check::Count {
            counter: Counter::TlbMisses,
            since_step: true,
            comparison: Comparison::GreaterOrEqual,
            value: 4
        })
    );
    assert_eq!(
        parse_check("address-space switches in this step at most 1", 1),
        Ok(Check::Count {
            counter: Counter::SpaceSwitches,
            since_step: true,
            comparison: Comparison::LessOrEqual,
            value: 1
        })
    );
    assert_eq!(
        parse_check("ds base = 0xC0000000", 1),
        Ok(Check::Register {
            register: Register::SegmentBase(Segment::Ds),
            comparison: Comparison::Equal,
            value: 0xC000_0000
        })
    );
    assert_eq!(
        parse_check("kernel instructions in this step > 100", 1),
        Ok(Check::Count {
            counter: Counter::KernelInstructions,
            since_step: true,
            comparison: Comparison::Greater,
            value: 100
        })
    );
    assert_eq!(
        parse_check("cache misses at least 3", 1),
        Ok(Check::Count {
            counter: Counter::CacheMisses,
            since_step: false,
            comparison: Comparison::GreaterOrEqual,
            value: 3
        })
    );
    assert_eq!(Counter::KernelInstructions.name(), "kernel instructions");
    // Two names of one count: a finding says it as its check did.
    assert_eq!(
        parse_check("cr3 loads in this step = 1", 1).map(|check| match check {
            Check::Count { counter, .. } => counter.name(),
            _ => "not a count",
        }),
        Ok("cr3 loads")
    );
    assert_eq!(Counter::SpaceSwitches.name(), "address-space switches");
    assert_eq!(parse_check("eax=0x10", 1).map(|check| matches!(check, Check::Register { .. })), Ok(true));
    assert_eq!(
        parse_check("pong is receiving", 1),
        Ok(Check::State { thread: name("pong"), state: StateName::Receiving })
    );
    assert_eq!(parse_check("cr3 holds pong's page directory", 1), Ok(Check::SpaceLoaded { thread: name("pong") }));
    assert_eq!(
        parse_check("the last message went from irq 4 to driver", 1),
        Ok(Check::LastMessage { from: Some(ThreadReference::Interrupt(4)), to: Some(name("driver")) })
    );
    assert_eq!(parse_check("the console shows \"ok, done\"", 1), Ok(Check::Console { text: "ok, done".into() }));
    assert_eq!(
        parse_check("the TLB holds page_a writable", 1),
        Ok(Check::Tlb { frame: Place::Label("page_a".into()), holds: true, rights: Some(Rights::Writable) })
    );
    assert_eq!(
        parse_check("tlb does not hold 0x403000.", 1),
        Ok(Check::Tlb { frame: Place::Address(0x403000), holds: false, rights: None })
    );
    assert!(parse_check("the tlb does not hold page_a writable", 1).is_err());
    assert!(matches!(parse_check("tlb misses = 0", 1), Ok(Check::Count { .. })));
    assert!(parse_check("pong is asleep", 1).unwrap_err().hint.unwrap_or_default().contains("receiving"));
    assert!(parse_check("tlb misses lots", 1).is_err());
    assert!(parse_check("ping has", 1).is_err());
}

#[test]
fn looks_and_machines() {
    assert_eq!(parse_look("the TLB view", 1), Ok(Look::Tlb));
    assert_eq!(parse_look("mapping trees", 1), Ok(Look::Spaces));
    assert!(parse_look("the moon", 1).is_err());
    assert_eq!(
        parse_machine("pentium, small spaces on", 1),
        Ok(MachineChoice { cpu: Some(crate::Cpu::Pentium), small_spaces: Some(true), restart: false })
    );
    assert!(parse_machine("z80", 1).is_err());
}
