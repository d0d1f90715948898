//! The mapping database (Liedtke 1995, appendix A): one tree per physical
//! frame, rooted in sigma0, which owns all memory. Map adds a child with
//! rights no greater than its parent's; grant moves a node to another space;
//! unmap removes (or write-protects) a whole subtree.
//!
//! Nodes are 12 bytes: the mapped page (task, virtual page number, rights,
//! 4 MB flag) packed in one word, and four 16-bit links (parent, first
//! child, next and previous sibling). The frame is not stored: it is the
//! frame of the tree, which the page-table entry names. Walks are iterative
//! (the kernel has one small stack).

use crate::thread::NONE;

/// Most mappings the kernel can hold.
pub const MAX_NODES: usize = 32768;

const VPN_MASK: u32 = 0x000F_FFFF;
const TASK_SHIFT: u32 = 20;
const WRITABLE: u32 = 1 << 28;
const LARGE: u32 = 1 << 29;
const USED: u32 = 1 << 31;

/// One mapping.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Node {
    /// [0..19] virtual page, [20..27] task, 28 writable, 29 4 MB, 31 in use.
    page: u32,
    pub parent: u16,
    pub first_child: u16,
    pub next_sibling: u16,
    pub previous_sibling: u16,
}

const _: () = assert!(core::mem::size_of::<Node>() == 12, "a mapping node stays at 12 bytes");

impl Node {
    pub const EMPTY: Node =
        Node { page: 0, parent: NONE, first_child: NONE, next_sibling: NONE, previous_sibling: NONE };

    pub fn task(&self) -> u8 {
        (self.page >> TASK_SHIFT) as u8
    }
    /// The virtual address of the mapping.
    pub fn address(&self) -> u32 {
        (self.page & VPN_MASK) << 12
    }
    pub fn writable(&self) -> bool {
        self.page & WRITABLE != 0
    }
    pub fn large(&self) -> bool {
        self.page & LARGE != 0
    }
    pub fn in_use(&self) -> bool {
        self.page & USED != 0
    }
    fn pack(task: u8, address: u32, writable: bool, large: bool) -> u32 {
        ((address >> 12) & VPN_MASK)
            | ((task as u32) << TASK_SHIFT)
            | if writable { WRITABLE } else { 0 }
            | if large { LARGE } else { 0 }
            | USED
    }
}

/// All nodes and the free list.
#[derive(Clone, Debug)]
pub struct MappingDatabase {
    nodes: [Node; MAX_NODES],
    /// Head of the free list (linked through `next_sibling`).
    free: u16,
    pub used: u32,
}

impl MappingDatabase {
    pub const fn new() -> Self {
        Self { nodes: [Node::EMPTY; MAX_NODES], free: NONE, used: 0 }
    }

    /// Link every node into the free list.
    pub fn init(&mut self) {
        for index in 0..MAX_NODES {
            self.nodes[index] =
                Node { next_sibling: if index + 1 < MAX_NODES { index as u16 + 1 } else { NONE }, ..Node::EMPTY };
        }
        self.free = 0;
        self.used = 0;
    }

    pub fn node(&self, index: u16) -> &Node {
        &self.nodes[index as usize]
    }

    /// Whether an index names a node in use.
    pub fn valid(&self, index: u16) -> bool {
        (index as usize) < MAX_NODES && self.nodes[index as usize].in_use()
    }

    fn allocate(&mut self, page: u32) -> Option<u16> {
        let index = self.free;
        if index == NONE {
            return None;
        }
        self.free = self.nodes[index as usize].next_sibling;
        self.nodes[index as usize] = Node { page, ..Node::EMPTY };
        self.used += 1;
        Some(index)
    }

    /// A new root (sigma0's mapping of a frame).
    pub fn insert_root(&mut self, task: u8, address: u32, writable: bool, large: bool) -> Option<u16> {
        self.allocate(Node::pack(task, address, writable, large))
    }

    /// A new child of `parent`; its rights are limited to the parent's.
    pub fn insert_child(&mut self, parent: u16, task: u8, address: u32, writable: bool, large: bool) -> Option<u16> {
        let writable = writable && self.nodes[parent as usize].writable();
        let index = self.allocate(Node::pack(task, address, writable, large))?;
        let first = self.nodes[parent as usize].first_child;
        self.nodes[index as usize].parent = parent;
        self.nodes[index as usize].next_sibling = first;
        if first != NONE {
            self.nodes[first as usize].previous_sibling = index;
        }
        self.nodes[parent as usize].first_child = index;
        Some(index)
    }

    /// Grant: the node now belongs to another space at another address.
    pub fn move_node(&mut self, index: u16, task: u8, address: u32) {
        let node = &mut self.nodes[index as usize];
        node.page = Node::pack(task, address, node.writable(), node.large());
    }

    /// Take away write permission from one node.
    pub fn make_read_only(&mut self, index: u16) {
        self.nodes[index as usize].page &= !WRITABLE;
    }

    /// Upgrade rights of an existing node (never beyond its parent's).
    pub fn set_writable(&mut self, index: u16, writable: bool) {
        let parent = self.nodes[index as usize].parent;
        let allowed = writable && (parent == NONE || self.nodes[parent as usize].writable());
        if allowed {
            self.nodes[index as usize].page |= WRITABLE;
        }
    }

    /// Unlink and free a node without children.
    fn free_leaf(&mut self, index: u16) {
        let node = self.nodes[index as usize];
        if node.previous_sibling != NONE {
            self.nodes[node.previous_sibling as usize].next_sibling = node.next_sibling;
        } else if node.parent != NONE {
            self.nodes[node.parent as usize].first_child = node.next_sibling;
        }
        if node.next_sibling != NONE {
            self.nodes[node.next_sibling as usize].previous_sibling = node.previous_sibling;
        }
        self.nodes[index as usize] = Node { next_sibling: self.free, ..Node::EMPTY };
        self.free = index;
        self.used -= 1;
    }

    /// The nodes below `index` (not `index` itself), in depth-first order;
    /// `visit` sees each before its children.
    pub fn for_each_descendant(&self, index: u16, mut visit: impl FnMut(u16, &Node)) {
        let mut current = self.nodes[index as usize].first_child;
        while current != NONE {
            visit(current, &self.nodes[current as usize]);
            let node = &self.nodes[current as usize];
            if node.first_child != NONE {
                current = node.first_child;
                continue;
            }
            // Climb until a sibling exists or the subtree is done.
            let mut climbing = current;
            loop {
                if climbing == index {
                    return;
                }
                let node = &self.nodes[climbing as usize];
                if node.next_sibling != NONE {
                    current = node.next_sibling;
                    break;
                }
                climbing = node.parent;
                if climbing == index || climbing == NONE {
                    return;
                }
            }
        }
    }

    /// Remove the subtree below `index` (and `index` itself if `including`),
    /// leaves first; `removed` sees each node before it is freed.
    pub fn remove_subtree(&mut self, index: u16, including: bool, mut removed: impl FnMut(u16, &Node)) {
        let mut current = self.deepest_first_leaf(index);
        loop {
            if current == index {
                if including {
                    removed(index, &self.nodes[index as usize]);
                    self.free_leaf(index);
                }
                return;
            }
            let node = self.nodes[current as usize];
            let next = if node.next_sibling != NONE { self.deepest_first_leaf(node.next_sibling) } else { node.parent };
            removed(current, &node);
            self.free_leaf(current);
            current = next;
        }
    }

    /// Remove one leaf below `index` (never `index` itself) and return what it
    /// mapped; `None` when `index` has no children left.
    pub fn pop_leaf(&mut self, index: u16) -> Option<Node> {
        let first = self.nodes[index as usize].first_child;
        if first == NONE {
            return None;
        }
        let leaf = self.deepest_first_leaf(first);
        let node = self.nodes[leaf as usize];
        self.free_leaf(leaf);
        Some(node)
    }

    /// Remove `index`, which must have no children; returns what it mapped.
    pub fn remove_leaf(&mut self, index: u16) -> Option<Node> {
        let node = self.nodes[index as usize];
        if !node.in_use() || node.first_child != NONE {
            return None;
        }
        self.free_leaf(index);
        Some(node)
    }

    /// The node after `current` in a pre-order walk of the subtree below
    /// `root` (`current` = `root` starts the walk); NONE at the end.
    pub fn next_in_subtree(&self, root: u16, current: u16) -> u16 {
        let node = &self.nodes[current as usize];
        if node.first_child != NONE {
            return node.first_child;
        }
        let mut climbing = current;
        while climbing != root && climbing != NONE {
            let node = &self.nodes[climbing as usize];
            if node.next_sibling != NONE {
                return node.next_sibling;
            }
            climbing = node.parent;
        }
        NONE
    }

    fn deepest_first_leaf(&self, mut index: u16) -> u16 {
        while self.nodes[index as usize].first_child != NONE {
            index = self.nodes[index as usize].first_child;
        }
        index
    }

    /// Check the tree rules; each failure names its rule.
    pub fn check_invariants(&self) -> Result<(), &'static str> {
        let mut used = 0u32;
        for (index, node) in self.nodes.iter().enumerate() {
            if !node.in_use() {
                continue;
            }
            used += 1;
            let index = index as u16;
            if node.parent != NONE {
                let parent = &self.nodes[node.parent as usize];
                if !parent.in_use() {
                    return Err("a node's parent is a free node");
                }
                if node.writable() && !parent.writable() {
                    return Err("a child has rights beyond its parent's");
                }
                if node.previous_sibling == NONE && parent.first_child != index {
                    return Err("a first child is not its parent's first child");
                }
            }
            if node.previous_sibling != NONE && self.nodes[node.previous_sibling as usize].next_sibling != index {
                return Err("sibling links disagree");
            }
            if node.next_sibling != NONE && self.nodes[node.next_sibling as usize].previous_sibling != index {
                return Err("sibling links disagree");
            }
            if node.first_child != NONE && self.nodes[node.first_child as usize].parent != index {
                return Err("a child does not point back at its parent");
            }
            // Follow parents to a root: no cycles.
            let mut steps = 0;
            let mut up = node.parent;
            while up != NONE {
                steps += 1;
                if steps > MAX_NODES {
                    return Err("the parent links form a cycle");
                }
                up = self.nodes[up as usize].parent;
            }
        }
        if used != self.used {
            return Err("the count of nodes in use is wrong");
        }
        Ok(())
    }

    /// Iterate over every node in use: (index, node).
    pub fn nodes(&self) -> impl Iterator<Item = (u16, &Node)> {
        self.nodes.iter().enumerate().filter(|(_, node)| node.in_use()).map(|(index, node)| (index as u16, node))
    }

    /// The root of a node's tree.
    pub fn root(&self, mut index: u16) -> u16 {
        while self.nodes[index as usize].parent != NONE {
            index = self.nodes[index as usize].parent;
        }
        index
    }
}

impl Default for MappingDatabase {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;
    use std::vec::Vec;

    fn database() -> MappingDatabase {
        let mut database = MappingDatabase::new();
        database.init();
        database
    }

    #[test]
    fn map_limits_rights_and_unmap_removes_the_subtree() {
        let mut database = database();
        let root = database.insert_root(2, 0x5000, true, false).unwrap();
        let a = database.insert_child(root, 4, 0x1000, false, false).unwrap();
        let b = database.insert_child(a, 5, 0x2000, true, false).unwrap();
        let c = database.insert_child(root, 6, 0x3000, true, false).unwrap();
        assert!(!database.node(b).writable(), "a child of a read-only mapping is read-only");
        assert!(database.node(c).writable());
        database.check_invariants().unwrap();
        let mut seen = Vec::new();
        database.for_each_descendant(root, |index, _| seen.push(index));
        assert_eq!(seen.len(), 3);
        let mut removed = Vec::new();
        database.remove_subtree(a, true, |index, node| removed.push((index, node.task())));
        assert_eq!(removed, vec![(b, 5), (a, 4)], "leaves first");
        database.check_invariants().unwrap();
        assert_eq!(database.used, 2);
    }

    #[test]
    fn removing_below_but_not_including_keeps_the_node() {
        let mut database = database();
        let root = database.insert_root(2, 0, true, false).unwrap();
        for task in 10..20 {
            let child = database.insert_child(root, task, 0x1000, true, false).unwrap();
            database.insert_child(child, task + 20, 0x2000, true, false).unwrap();
        }
        database.remove_subtree(root, false, |_, _| {});
        assert_eq!(database.used, 1);
        assert!(database.valid(root));
        database.check_invariants().unwrap();
    }

    #[test]
    fn grant_moves_a_node_with_its_children() {
        let mut database = database();
        let root = database.insert_root(2, 0x7000, true, false).unwrap();
        let a = database.insert_child(root, 4, 0x1000, true, false).unwrap();
        let b = database.insert_child(a, 5, 0x2000, true, false).unwrap();
        database.move_node(a, 7, 0x9000);
        assert_eq!((database.node(a).task(), database.node(a).address()), (7, 0x9000));
        assert_eq!(database.node(b).parent, a);
        database.check_invariants().unwrap();
    }

    #[test]
    fn the_database_runs_out_cleanly() {
        let mut database = database();
        let root = database.insert_root(2, 0, true, false).unwrap();
        let mut count = 1;
        while database.insert_child(root, 3, 0, true, false).is_some() {
            count += 1;
        }
        assert_eq!(count, MAX_NODES);
        database.remove_subtree(root, true, |_, _| {});
        assert_eq!(database.used, 0);
        database.check_invariants().unwrap();
    }
}
