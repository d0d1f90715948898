//! The kernel's page pool: frames for page directories, page tables, the
//! mapping-node pages that accompany page tables, and I/O bitmaps. A bitmap
//! over the pool; frames are zeroed when handed out.

use crate::hardware::Hardware;
use ia32::{PAGE_SIZE, PhysAddr};

/// Most frames the pool can have (8 MB).
pub const MAX_POOL_FRAMES: usize = 2048;

#[derive(Clone, Debug)]
pub struct Pool {
    pub low: u32,
    pub frames: u32,
    used: [u32; MAX_POOL_FRAMES / 32],
    pub in_use: u32,
}

impl Pool {
    pub const fn new() -> Self {
        Self { low: 0, frames: 0, used: [0; MAX_POOL_FRAMES / 32], in_use: 0 }
    }

    pub fn init(&mut self, low: u32, size: u32) {
        self.low = low;
        self.frames = (size / PAGE_SIZE).min(MAX_POOL_FRAMES as u32);
        self.used = [0; MAX_POOL_FRAMES / 32];
        self.in_use = 0;
    }

    pub fn high(&self) -> u32 {
        self.low + self.frames * PAGE_SIZE
    }

    pub fn contains(&self, address: PhysAddr) -> bool {
        (self.low..self.high()).contains(&address.value())
    }

    /// A zeroed frame, or `None` when the pool is exhausted.
    pub fn allocate(&mut self, hardware: &mut impl Hardware) -> Option<PhysAddr> {
        for word in 0..(self.frames as usize).div_ceil(32) {
            if self.used[word] == u32::MAX {
                continue;
            }
            let bit = (!self.used[word]).trailing_zeros() as usize;
            let index = word * 32 + bit;
            if index >= self.frames as usize {
                return None;
            }
            self.used[word] |= 1 << bit;
            self.in_use += 1;
            let address = PhysAddr(self.low + index as u32 * PAGE_SIZE);
            zero_frame(hardware, address);
            return Some(address);
        }
        None
    }

    /// Return a frame.
    pub fn free(&mut self, address: PhysAddr) {
        if !self.contains(address) {
            return;
        }
        let index = ((address.value() - self.low) / PAGE_SIZE) as usize;
        if self.used[index / 32] & (1 << (index % 32)) != 0 {
            self.used[index / 32] &= !(1 << (index % 32));
            self.in_use -= 1;
        }
    }

    /// The position of a pool frame (for side tables indexed by pool frame).
    pub fn position(&self, address: PhysAddr) -> Option<usize> {
        self.contains(address).then(|| ((address.value() - self.low) / PAGE_SIZE) as usize)
    }
}

impl Default for Pool {
    fn default() -> Self {
        Self::new()
    }
}

/// Fill a frame with zeros.
pub fn zero_frame(hardware: &mut impl Hardware, address: PhysAddr) {
    hardware.zero_physical(address, PAGE_SIZE);
}
