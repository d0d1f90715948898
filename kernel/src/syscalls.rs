//! The system calls other than ipc: id_nearest (0x31), fpage_unmap (0x32),
//! thread_switch (0x33), thread_schedule (0x34), lthread_ex_regs (0x35),
//! task_new (0x36) — each decodes the caller's registers, checks them, then
//! acts. Also clans and chiefs: where a message really goes.

use crate::Kernel;
use crate::cost::Path;
use crate::event::{KernelEvent, KillReason};
use crate::hardware::Hardware;
use crate::layout;
use crate::schedule::DEFAULT_TIMESLICE;
use crate::thread::{Frame, NONE, OPEN, State, TaskState, flag, register};
use ia32::abi::{Fpage, ScheduleParameter, SmallSpaceId, ThreadId, syscall};
use ia32::registers::eflags;
use ia32::{PhysAddr, VirtAddr};

/// Result-word bits of a redirected message, equal to id_nearest's types.
pub const ROUTE_INNER: u32 = 0x0C;
pub const ROUTE_OUTER: u32 = 0x04;
const KEEP: u32 = 0xFFFF_FFFF;
/// Priority of sigma0 and the root task (Hazelnut's 50).
pub const BOOT_PRIORITY: u8 = 50;

impl Kernel {
    pub(crate) fn system_call<H: Hardware>(&mut self, hardware: &mut H, caller: u16, vector: u8) -> Path {
        match vector {
            syscall::ID_NEAREST => self.id_nearest(caller),
            syscall::FPAGE_UNMAP => self.fpage_unmap(hardware, caller),
            syscall::THREAD_SWITCH => self.thread_switch(caller),
            syscall::THREAD_SCHEDULE => self.thread_schedule(hardware, caller),
            syscall::LTHREAD_EX_REGS => self.lthread_ex_regs(hardware, caller),
            _ => self.task_new(hardware, caller),
        }
    }

    fn chief_of(&self, task: u8) -> u8 {
        self.threads.tasks[task as usize].chief
    }

    /// Whether `task` lies in `chief`'s clan or in a clan nested inside it.
    pub(crate) fn encloses(&self, chief: u8, task: u8) -> bool {
        let mut current = task;
        for _ in 0..256 {
            let above = self.chief_of(current);
            if above == chief && current != chief {
                return true;
            }
            if above == current || above == 0 {
                return false;
            }
            current = above;
        }
        false
    }

    /// Clans and chiefs (X.0): within a clan, and between a chief and its
    /// clan, messages go directly. A message into an inner clan goes to that
    /// clan's chief (type 0x0C), one leaving the sender's clan to the
    /// sender's chief (type 0x04).
    pub(crate) fn route(&self, sender: ThreadId, destination: ThreadId) -> (ThreadId, u32) {
        let source = sender.task();
        let target = destination.task();
        if target == 0 || source == target {
            return (destination, 0);
        }
        let (source_chief, target_chief) = (self.chief_of(source), self.chief_of(target));
        if target_chief == source_chief || target_chief == source || target == source_chief {
            return (destination, 0);
        }
        // Is the destination nested below the sender? Walk up its chiefs.
        let mut task = target;
        for _ in 0..256 {
            let chief = self.chief_of(task);
            if chief == source || chief == source_chief {
                return (self.threads.tasks[task as usize].id, ROUTE_INNER);
            }
            if chief == task || chief == 0 {
                break;
            }
            task = chief;
        }
        (self.threads.tasks[source_chief as usize].id, ROUTE_OUTER)
    }

    /// int 0x31: ESI nil → the caller's id, type 0; else the partner a
    /// message would reach, with its type.
    fn id_nearest(&mut self, caller: u16) -> Path {
        let tcb = *self.threads.tcb(caller);
        let destination = ThreadId(tcb.frame.get(register::ESI));
        let (nearest, kind) = if destination.is_nil() { (tcb.id, 0) } else { self.route(tcb.id, destination) };
        let frame = &mut self.threads.tcb_mut(caller).frame;
        frame.set(register::EAX, kind);
        frame.set(register::ESI, nearest.raw());
        Path::Small
    }

    /// int 0x32: EAX fpage, ECX mask.
    fn fpage_unmap<H: Hardware>(&mut self, hardware: &mut H, caller: u16) -> Path {
        let tcb = *self.threads.tcb(caller);
        let fpage = Fpage(tcb.frame.get(register::EAX));
        let mask = tcb.frame.get(register::ECX);
        if fpage.is_io() {
            self.revoke_ports(hardware, tcb.id.task(), fpage, mask);
        } else {
            self.unmap_fpage(hardware, tcb.id.task(), fpage, mask);
        }
        Path::Management
    }

    /// int 0x33: ESI a ready thread to donate the time slice to, or nil (yield).
    fn thread_switch(&mut self, caller: u16) -> Path {
        let destination = ThreadId(self.threads.tcb(caller).frame.get(register::ESI));
        match self.threads.find(destination) {
            Some(target) if target != caller && self.threads.tcb(target).state == State::Ready => {
                self.dequeue(target);
                self.handoff = target;
            }
            _ => self.yield_current(),
        }
        Path::Small
    }

    /// The X.0 state code of a thread for thread_schedule.
    fn state_code(&self, index: u16) -> u32 {
        let tcb = self.threads.tcb(index);
        let kind = if tcb.flags & flag::PAGE_FAULT != 0 { 1 } else { 0 };
        match tcb.state {
            State::Ready => kind,
            State::Sending => 4 + kind,
            State::Receiving => 8 + kind,
            State::Inactive | State::WaitingForInput => 0xC,
            State::Free | State::Stopped => 0xF,
        }
    }

    /// int 0x34: EAX parameter word, EBX external preempter, ESI destination.
    /// The changed thread is re-queued and the caller goes on (no
    /// preemption, as Hazelnut's sys_schedule), whatever the new priorities.
    fn thread_schedule<H: Hardware>(&mut self, hardware: &mut H, caller: u16) -> Path {
        let tcb = *self.threads.tcb(caller);
        let parameter = ScheduleParameter(tcb.frame.get(register::EAX));
        let destination = ThreadId(tcb.frame.get(register::ESI));
        let mcp = self.threads.tasks[tcb.id.task() as usize].mcp;
        let Some(target) = self.threads.find(destination) else {
            self.threads.tcb_mut(caller).frame.set(register::EAX, KEEP);
            return Path::Small;
        };
        let target_tcb = *self.threads.tcb(target);
        if target_tcb.priority > mcp {
            self.threads.tcb_mut(caller).frame.set(register::EAX, KEEP);
            return Path::Small;
        }
        // Read out the old state.
        let task = self.threads.tasks[target_tcb.id.task() as usize];
        let (exponent, mantissa) = encode_timeslice(target_tcb.timeslice);
        let old = target_tcb.priority as u32
            | (task.small as u32) << 8
            | self.state_code(target) << 16
            | exponent << 20
            | mantissa << 24;
        let partner = match target_tcb.state {
            State::Receiving if target_tcb.partner == OPEN => KEEP,
            State::Sending | State::Receiving => target_tcb.partner.raw(),
            _ => 0,
        };
        {
            let frame = &mut self.threads.tcb_mut(caller).frame;
            frame.set(register::EAX, old);
            frame.set(register::ECX, target_tcb.cpu_time as u32);
            frame.set(register::EDX, ((target_tcb.cpu_time >> 32) as u32) & 0xFFFF);
            frame.set(register::EBX, 0);
            frame.set(register::ESI, partner);
        }
        if parameter == ScheduleParameter::READ_ONLY {
            return Path::Small;
        }
        let priority = parameter.priority().min(mcp);
        if priority != target_tcb.priority {
            let queued = target != self.current && target_tcb.state == State::Ready;
            if queued {
                self.dequeue(target);
            }
            self.threads.tcb_mut(target).priority = priority;
            if queued {
                self.requeue(target);
            }
        }
        if parameter.timeslice_mantissa() != 0 {
            let slice = parameter.timeslice().clamp(1000, u32::MAX as u64) as u32;
            let tcb = self.threads.tcb_mut(target);
            tcb.timeslice = slice;
            tcb.remaining = tcb.remaining.min(slice);
        }
        let small = parameter.small_space();
        if small != 0 && small != 0xFF && self.config.small_spaces {
            self.set_small_space(hardware, target_tcb.id.task(), SmallSpaceId(small));
            self.space_changed = true;
        }
        let target_tcb = *self.threads.tcb(target);
        hardware.emit(&KernelEvent::Schedule {
            thread: target_tcb.id,
            priority: target_tcb.priority,
            timeslice: target_tcb.timeslice,
        });
        Path::Small
    }

    /// Give a task a small space (or take it back to a large one): its pages
    /// below the window size get aliases in the shared small-space area.
    pub(crate) fn set_small_space<H: Hardware>(&mut self, hardware: &mut H, task: u8, id: SmallSpaceId) {
        let Some((size, _)) = id.window() else { return };
        // Another task in an overlapping slot loses it (it becomes large again).
        let (wanted_size, wanted_offset) = id.window().unwrap_or((0, 0));
        for other in 1..=255u8 {
            if other == task {
                continue;
            }
            if let Some((size, offset)) = SmallSpaceId(self.threads.tasks[other as usize].small).window()
                && offset < wanted_offset + wanted_size
                && wanted_offset < offset + size
            {
                self.clear_small_space(hardware, other);
            }
        }
        self.clear_small_space(hardware, task);
        self.threads.tasks[task as usize].small = id.0;
        // Alias the existing mappings below the window size.
        let Some(directory) = self.directory_of(task) else { return };
        let mut entries = crate::space::TableEntries::new(directory, 0, size);
        while let Some((address, _, entry)) = entries.next(hardware) {
            if crate::space::present(entry) {
                self.write_alias(hardware, task, address, entry);
            }
        }
    }

    /// Drop a task's small space: its aliases go and it runs large again.
    pub(crate) fn clear_small_space<H: Hardware>(&mut self, hardware: &mut H, task: u8) {
        let Some((size, offset)) = SmallSpaceId(self.threads.tasks[task as usize].small).window() else { return };
        let Some(directory) = self.directory_of(task) else { return };
        let area = layout::SMALL_SPACE_AREA + offset;
        let mut entries = crate::space::TableEntries::new(directory, area, area + size);
        while let Some((alias, entry_address, entry)) = entries.next(hardware) {
            if entry != 0 {
                hardware.write_physical_u32(entry_address, 0);
                hardware.invalidate_page(VirtAddr(alias));
            }
        }
        self.threads.tasks[task as usize].small = 0;
    }

    /// int 0x35: EAX lthread, ECX ESP, EDX EIP, EBX preempter, ESI pager.
    fn lthread_ex_regs<H: Hardware>(&mut self, hardware: &mut H, caller: u16) -> Path {
        let tcb = *self.threads.tcb(caller);
        let frame = tcb.frame;
        let lthread = (frame.get(register::EAX) & 0x3F) as u8;
        let (esp, eip, pager) = (frame.get(register::ECX), frame.get(register::EDX), frame.get(register::ESI));
        let task = tcb.id.task();
        let target_id = self.threads.tasks[task as usize].id.with_lthread(lthread);
        let target = self.threads.slot(task, lthread);
        let Some(target) = target else {
            // A missing lthread with a valid ESP or EIP is created.
            let output = &mut self.threads.tcb_mut(caller).frame;
            output.set(register::EAX, 0);
            output.set(register::ECX, KEEP);
            output.set(register::EDX, KEEP);
            output.set(register::ESI, KEEP);
            if esp != KEEP || eip != KEEP {
                let priority = tcb.priority;
                self.create_thread(hardware, target_id, ThreadId(pager), eip, esp, priority);
            }
            return Path::Management;
        };
        let old = *self.threads.tcb(target);
        // Cancel or abort an IPC in progress; leave the debugger's hold.
        self.cancel_ipc(hardware, target);
        if old.state == State::WaitingForInput {
            self.make_ready(target);
        }
        {
            let target_tcb = self.threads.tcb_mut(target);
            if esp != KEEP {
                target_tcb.frame.set(register::ESP, esp);
            }
            if eip != KEEP {
                target_tcb.frame.eip = eip;
            }
            if pager != KEEP {
                target_tcb.pager = ThreadId(pager);
            }
        }
        if old.state == State::Inactive && (esp != KEEP || eip != KEEP) {
            self.make_ready(target);
        }
        // The outputs (written last: the caller may be its own target).
        let old_frame = old.frame;
        let output = &mut self.threads.tcb_mut(caller).frame;
        output.set(register::EAX, old_frame.eflags);
        output.set(register::ECX, old_frame.get(register::ESP));
        output.set(register::EDX, old_frame.eip);
        output.set(register::EBX, 0);
        output.set(register::ESI, old.pager.raw());
        if target == caller {
            if esp != KEEP {
                output.set(register::ESP, esp);
            }
            if eip != KEEP {
                output.eip = eip;
            }
        }
        Path::Management
    }

    /// A thread starting at `eip` with `esp`, IF set, IOPL 0 (I/O ports come as fpages).
    pub(crate) fn create_thread<H: Hardware>(
        &mut self,
        hardware: &mut H,
        id: ThreadId,
        pager: ThreadId,
        eip: u32,
        esp: u32,
        priority: u8,
    ) -> Option<u16> {
        let index = self.threads.allocate(id)?;
        let mut frame = Frame { registers: [0; 8], eip, eflags: eflags::RESERVED_ONE | eflags::IF };
        frame.set(register::ESP, esp);
        {
            let tcb = self.threads.tcb_mut(index);
            tcb.frame = frame;
            tcb.pager = pager;
            tcb.priority = priority;
            tcb.timeslice = DEFAULT_TIMESLICE;
            tcb.remaining = DEFAULT_TIMESLICE;
        }
        hardware.emit(&KernelEvent::ThreadCreated { thread: id, pager, eip, esp });
        self.make_ready(index);
        Some(index)
    }

    /// A new active task with lthread 0 running at `eip`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn create_task<H: Hardware>(
        &mut self,
        hardware: &mut H,
        id: ThreadId,
        chief: u8,
        mcp: u8,
        pager: ThreadId,
        eip: u32,
        esp: u32,
        priority: u8,
    ) -> Option<u16> {
        let task = id.task();
        let (directory, region) = self.spaces.create(hardware, &mut self.pool)?;
        let slot = &mut self.threads.tasks[task as usize];
        *slot = crate::thread::Task {
            state: TaskState::Active,
            chief,
            mcp,
            directory: directory.value(),
            region_table: region.value(),
            id: id.with_lthread(0),
            ..crate::thread::Task::EMPTY
        };
        hardware.emit(&KernelEvent::TaskCreated { task: id.with_lthread(0), chief, pager });
        let created = self.create_thread(hardware, id.with_lthread(0), pager, eip, esp, priority);
        if created.is_none() {
            // No TCB left: the task does not come into being; its space goes
            // back to the pool and it stays inactive, the caller's (task_new
            // answers nil).
            self.delete_task(hardware, task);
        }
        created
    }

    /// int 0x36: EAX mcp (or the new chief), ECX ESP, EDX EIP, EBX pager, ESI task.
    fn task_new<H: Hardware>(&mut self, hardware: &mut H, caller: u16) -> Path {
        let tcb = *self.threads.tcb(caller);
        let frame = tcb.frame;
        let requested = ThreadId(frame.get(register::ESI));
        let pager = ThreadId(frame.get(register::EBX));
        let number = requested.task();
        let own = tcb.id.task();
        let slot = self.threads.tasks[number as usize];
        let allowed = number != 0 && number != own && slot.chief == own && slot.state != TaskState::Unused;
        if !allowed {
            self.threads.tcb_mut(caller).frame.set(register::ESI, 0);
            return Path::Management;
        }
        if slot.state == TaskState::Active {
            self.delete_task(hardware, number);
        }
        if pager.is_nil() {
            // An inactive task with the chief named in EAX.
            let chief = ThreadId(frame.get(register::EAX)).task();
            let slot = &mut self.threads.tasks[number as usize];
            slot.state = TaskState::Inactive;
            slot.chief = if chief == 0 { own } else { chief };
            self.threads.tcb_mut(caller).frame.set(register::ESI, requested.with_lthread(0).raw());
            return Path::Management;
        }
        let mcp = (frame.get(register::EAX) as u8).min(self.threads.tasks[own as usize].mcp);
        let created = self.create_task(
            hardware,
            requested.with_lthread(0),
            own,
            mcp,
            pager,
            frame.get(register::EDX),
            frame.get(register::ECX),
            tcb.priority,
        );
        let result = if created.is_some() { requested.with_lthread(0).raw() } else { 0 };
        self.threads.tcb_mut(caller).frame.set(register::ESI, result);
        Path::Management
    }

    /// Delete a task and, first, every task of its clan.
    pub(crate) fn delete_task<H: Hardware>(&mut self, hardware: &mut H, number: u8) {
        for other in 1..=255u8 {
            if other != number
                && self.threads.tasks[other as usize].chief == number
                && self.threads.tasks[other as usize].state == TaskState::Active
            {
                self.delete_task(hardware, other);
            }
        }
        for lthread in 0..64u8 {
            if let Some(index) = self.threads.slot(number, lthread) {
                self.remove_thread(hardware, index);
            }
        }
        self.unmap_everything(hardware, number);
        self.release_ports(hardware, number);
        let task = self.threads.tasks[number as usize];
        if task.directory != 0 {
            if self.loaded_directory == task.directory {
                // Never keep a freed directory in CR3: fall back to sigma0's.
                let fallback = self.threads.tasks[crate::memory::SIGMA0_TASK as usize].directory;
                self.loaded_directory = fallback;
                hardware.load_page_directory(PhysAddr(fallback));
            }
            self.spaces.free_directory_companion(&mut self.pool, PhysAddr(task.directory));
            self.spaces.destroy(hardware, &mut self.pool, PhysAddr(task.directory), PhysAddr(task.region_table));
        }
        hardware.emit(&KernelEvent::TaskDeleted { task: task.id });
        let slot = &mut self.threads.tasks[number as usize];
        slot.state = TaskState::Inactive;
        slot.directory = 0;
        slot.region_table = 0;
        slot.small = 0;
    }

    /// Take a thread out of everything and free its TCB. Senders queued at
    /// it learn that it is gone (0x10); threads in a closed receive from it
    /// stay blocked until their own timeout, as in Liedtke's X.0 kernel and
    /// Hazelnut (waking them would let a partner loop that calls again spin
    /// at its priority).
    pub(crate) fn remove_thread<H: Hardware>(&mut self, hardware: &mut H, index: u16) {
        self.cancel_ipc(hardware, index);
        self.dequeue(index);
        self.remove_wakeup(index);
        self.detach_interrupt(hardware, index);
        // Senders queued at it fail.
        while self.threads.tcb(index).senders_first != NONE {
            let sender = self.threads.tcb(index).senders_first;
            self.dequeue_sender(index, sender);
            self.fail_partner(hardware, sender);
        }
        if self.current == index {
            self.current = NONE;
        }
        if self.handoff == index {
            self.handoff = NONE;
        }
        self.threads.release(index);
    }

    /// A sender queued at a thread that is gone fails (0x10), through the
    /// one path that knows every kind of IPC: a page-fault RPC keeps the
    /// user's EAX, and one made for a stalled transfer aborts that transfer
    /// for both parties (the soak found a faulting party left ready, still
    /// marked as in its transfer, and its partner waiting for ever).
    fn fail_partner<H: Hardware>(&mut self, hardware: &mut H, thread: u16) {
        self.ipc_failed(hardware, thread, ia32::abi::ipc_error::NO_PARTNER);
    }

    /// Stop a thread for good (it did something it cannot recover from).
    pub(crate) fn kill<H: Hardware>(&mut self, hardware: &mut H, thread: u16, reason: KillReason) {
        let id = self.threads.tcb(thread).id;
        hardware.emit(&KernelEvent::ThreadKilled { thread: id, reason });
        self.cancel_ipc(hardware, thread);
        self.dequeue(thread);
        self.remove_wakeup(thread);
        self.threads.tcb_mut(thread).state = State::Stopped;
    }
}

/// A time slice in X.0's exponent/mantissa form: 4^(15−e)·m µs.
fn encode_timeslice(micros: u32) -> (u32, u32) {
    let mut exponent = 15u32;
    let mut value = micros as u64;
    while value > 255 && exponent > 1 {
        value /= 4;
        exponent -= 1;
    }
    (exponent, value.min(255) as u32)
}
