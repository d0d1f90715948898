//! The I/O mapping database: which task holds which I/O ports, and from whom.
//!
//! X.0 maps I/O ports like pages (I/O fpages; Hazelnut's
//! `CONFIG_IO_FLEXPAGES` keeps an I/O mapping database for them): a task
//! that holds ports may map or grant them on, and fpage_unmap takes back
//! everything derived from the caller's. As in the memory mapping database
//! the mappings form trees. A node here is a run of ports — an aligned
//! power-of-two range, as I/O fpages are — held by one task and derived from
//! its parent node (none: from sigma0, which holds every port but the
//! kernel's). Two such runs either nest or lie apart, so every node lies
//! inside its parent's run.
//!
//! The CPU checks the TSS I/O bitmap of the running address space; the
//! kernel keeps each task's bitmap equal to the union of its nodes. There is
//! no limit per task, only the size of this table.

use crate::thread::NONE;

/// Most I/O mappings the kernel holds at once.
pub const MAX_IO_NODES: usize = 1024;

/// One task's run of ports.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct IoNode {
    /// The first port.
    pub first: u16,
    /// The run has 2^log2 ports (0..=16).
    pub log2: u8,
    /// The holder; 0 marks a free node (task 0 is the kernel's).
    pub task: u8,
    /// The node it was mapped from; NONE: from sigma0.
    pub parent: u16,
}

impl IoNode {
    pub const EMPTY: IoNode = IoNode { first: 0, log2: 0, task: 0, parent: NONE };

    pub fn in_use(&self) -> bool {
        self.task != 0
    }

    /// The ports [low, high).
    pub fn range(&self) -> (u32, u32) {
        let low = self.first as u32;
        (low, low + (1u32 << self.log2.min(16)))
    }

    /// Whether it holds every port of [low, high).
    pub fn covers(&self, low: u32, high: u32) -> bool {
        let (first, end) = self.range();
        first <= low && high <= end
    }

    /// Whether it shares a port with [low, high).
    pub fn overlaps(&self, low: u32, high: u32) -> bool {
        let (first, end) = self.range();
        first < high && low < end
    }
}

/// Nodes marked in one walk (a bit per node).
struct Marks([u32; MAX_IO_NODES / 32]);

impl Marks {
    fn get(&self, index: u16) -> bool {
        self.0[index as usize / 32] & (1 << (index % 32)) != 0
    }
    fn set(&mut self, index: u16) {
        self.0[index as usize / 32] |= 1 << (index % 32);
    }
}

/// All I/O mappings.
#[derive(Clone, Debug)]
pub struct IoMappings {
    nodes: [IoNode; MAX_IO_NODES],
    pub used: u32,
}

impl IoMappings {
    pub const fn new() -> Self {
        Self { nodes: [IoNode::EMPTY; MAX_IO_NODES], used: 0 }
    }

    pub fn node(&self, index: u16) -> &IoNode {
        &self.nodes[index as usize]
    }

    /// Every node in use: (index, node).
    pub fn nodes(&self) -> impl Iterator<Item = (u16, &IoNode)> {
        self.nodes.iter().enumerate().filter(|(_, node)| node.in_use()).map(|(index, node)| (index as u16, node))
    }

    /// The node of `task` that holds every port of [low, high), if any.
    pub fn covering(&self, task: u8, low: u32, high: u32) -> Option<u16> {
        self.nodes().find(|(_, node)| node.task == task && node.covers(low, high)).map(|(index, _)| index)
    }

    /// A new node: `task` holds 2^log2 ports from `first`, mapped from
    /// `parent` (NONE: from sigma0). The same mapping made again is the same
    /// node. None when the table is full.
    pub fn insert(&mut self, task: u8, first: u16, log2: u8, parent: u16) -> Option<u16> {
        let wanted = IoNode { first, log2, task, parent };
        if let Some((index, _)) = self.nodes().find(|(_, node)| **node == wanted) {
            return Some(index);
        }
        let free = self.nodes.iter().position(|node| !node.in_use())?;
        self.nodes[free] = wanted;
        self.used += 1;
        Some(free as u16)
    }

    /// Grant: the node (and what was derived from it) now belongs to `task`.
    pub fn move_node(&mut self, index: u16, task: u8) {
        self.nodes[index as usize].task = task;
    }

    /// Remove `index` and every node derived from it; `removed` sees each
    /// before it goes.
    pub fn remove_subtree(&mut self, index: u16, mut removed: impl FnMut(&IoNode)) {
        let mut marks = Marks([0; MAX_IO_NODES / 32]);
        marks.set(index);
        // Parents are marked before their children are found: repeat until
        // a pass marks nothing (as many passes as the tree is deep).
        loop {
            let mut marked = false;
            for (child, node) in self.nodes.iter().enumerate() {
                let child = child as u16;
                if node.in_use() && node.parent != NONE && marks.get(node.parent) && !marks.get(child) {
                    marks.set(child);
                    marked = true;
                }
            }
            if !marked {
                break;
            }
        }
        for (position, node) in self.nodes.iter_mut().enumerate() {
            if node.in_use() && marks.get(position as u16) {
                removed(node);
                *node = IoNode::EMPTY;
                self.used -= 1;
            }
        }
    }

    /// Check the tree rules; each failure names its rule.
    pub fn check_invariants(&self) -> Result<(), &'static str> {
        let mut used = 0;
        for (_, node) in self.nodes() {
            used += 1;
            if node.log2 > 16 || node.range().1 > 0x1_0000 {
                return Err("an I/O node's run of ports leaves the 64K ports");
            }
            if node.first as u32 & ((1 << node.log2) - 1) != 0 {
                return Err("an I/O node's run of ports is not aligned to its size");
            }
            if node.parent != NONE {
                let parent = self.nodes.get(node.parent as usize).ok_or("an I/O node's parent is out of the table")?;
                if !parent.in_use() {
                    return Err("an I/O node's parent is a free node");
                }
                let (low, high) = node.range();
                if !parent.covers(low, high) {
                    return Err("an I/O node holds ports its parent does not");
                }
            }
            let mut steps = 0;
            let mut up = node.parent;
            while up != NONE {
                steps += 1;
                if steps > MAX_IO_NODES {
                    return Err("the I/O nodes' parent links form a cycle");
                }
                up = self.nodes[up as usize].parent;
            }
        }
        if used != self.used {
            return Err("the count of I/O nodes in use is wrong");
        }
        Ok(())
    }
}

impl Default for IoMappings {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn a_subtree_goes_with_its_root_and_nothing_else() {
        let mut mappings = IoMappings::new();
        let root = mappings.insert(4, 0x300, 4, NONE).unwrap();
        let child = mappings.insert(5, 0x300, 2, root).unwrap();
        let grandchild = mappings.insert(6, 0x301, 0, child).unwrap();
        let other = mappings.insert(7, 0x308, 3, root).unwrap();
        mappings.check_invariants().unwrap();
        let mut removed = Vec::new();
        mappings.remove_subtree(child, |node| removed.push(node.task));
        removed.sort();
        assert_eq!(removed, [5, 6]);
        assert!(!mappings.node(grandchild).in_use());
        assert!(mappings.node(other).in_use() && mappings.node(root).in_use());
        assert_eq!(mappings.used, 2);
        mappings.check_invariants().unwrap();
    }

    #[test]
    fn the_same_mapping_again_is_the_same_node() {
        let mut mappings = IoMappings::new();
        let first = mappings.insert(4, 0xF4, 0, NONE).unwrap();
        assert_eq!(mappings.insert(4, 0xF4, 0, NONE), Some(first));
        assert_eq!(mappings.used, 1);
        assert_eq!(mappings.covering(4, 0xF4, 0xF5), Some(first));
        assert_eq!(mappings.covering(4, 0xF4, 0xF6), None);
    }

    #[test]
    fn far_more_than_eight_runs_per_task_and_the_table_runs_out_cleanly() {
        let mut mappings = IoMappings::new();
        let mut count = 0;
        while mappings.insert(5, count as u16, 0, NONE).is_some() {
            count += 1;
        }
        assert_eq!(count, MAX_IO_NODES);
        mappings.check_invariants().unwrap();
    }

    #[test]
    fn a_child_outside_its_parent_breaks_a_rule() {
        let mut mappings = IoMappings::new();
        let root = mappings.insert(4, 0x300, 2, NONE).unwrap();
        mappings.insert(5, 0x308, 0, root).unwrap();
        assert_eq!(mappings.check_invariants(), Err("an I/O node holds ports its parent does not"));
    }
}
