//! The mapping database drawn as trees, one per physical frame, rooted in
//! sigma0 — and how they change: a map adds a node (it fades in), a grant
//! moves one (the kernel moves the node itself, so it keeps its identity:
//! it slides to its new place and its box flashes), an unmap removes a
//! subtree (the removed nodes stay a moment where they were and fade out;
//! a tree left with sigma0 alone does the same). With reduced motion there
//! is no movement and nothing lingers.
//!
//! What changed is found by comparing with the trees drawn last; the nodes
//! on their way out are dropped by a re-render shortly after. Only steps
//! and runs forward animate: a seek or a step back shows the trees as they
//! are at once (and animating them cost every frame of a seek a repaint).

use super::hex;
use wasm_bridge::{MappingNodeView, MappingTreeView};
use yew::prelude::*;

#[derive(Properties, PartialEq, Debug)]
pub struct MappingTreesProps {
    /// The trees to draw.
    pub trees: Vec<MappingTreeView>,
    /// Whether to show the change from the trees drawn last as movement:
    /// yes after a step or a run forward, no after a seek or a step back
    /// (those are jumps, not things the kernel did).
    #[prop_or(true)]
    pub animate: bool,
}

const NODE_WIDTH: f64 = 176.0;
const INDENT: f64 = 26.0;
const ROW: f64 = 22.0;
/// How long nodes on their way out stay (a little longer than the fade).
const LEAVING_MILLISECONDS: u32 = 450;

/// A node where it is drawn.
#[derive(Clone, PartialEq, Debug)]
struct Placed {
    index: u32,
    task: u32,
    name: String,
    address: u32,
    writable: bool,
    large: bool,
    depth: usize,
    row: usize,
    parent_row: Option<usize>,
}

/// Nodes in drawing order, each with its depth and its parent's row.
fn place(tree: &MappingTreeView) -> Vec<Placed> {
    fn walk(node: &MappingNodeView, depth: usize, parent_row: Option<usize>, rows: &mut Vec<Placed>) {
        let row = rows.len();
        rows.push(Placed {
            index: node.index,
            task: node.task,
            name: node.name.clone(),
            address: node.address,
            writable: node.writable,
            large: node.large,
            depth,
            row,
            parent_row,
        });
        for child in &node.children {
            walk(child, depth + 1, Some(row), rows);
        }
    }
    let mut rows = Vec::new();
    walk(&tree.root, 0, None, &mut rows);
    rows
}

/// What changed since the trees drawn last.
#[derive(Default, Debug)]
struct Changes {
    /// Per frame: nodes that are gone, where they were.
    leaving: Vec<(u32, Placed)>,
    /// (frame, node index) of nodes granted elsewhere.
    moved: Vec<(u32, u32)>,
    /// (frame, node index) of new nodes (a map; or a tree that is new).
    entering: Vec<(u32, u32)>,
    /// Trees that are gone altogether.
    vanished: Vec<MappingTreeView>,
}

fn changes(before: &[MappingTreeView], now: &[MappingTreeView]) -> Changes {
    let mut found = Changes::default();
    for new in now {
        let new_nodes = place(new);
        let old_nodes = before.iter().find(|tree| tree.frame == new.frame).map(place).unwrap_or_default();
        for node in &new_nodes {
            if !old_nodes.iter().any(|other| other.index == node.index) {
                found.entering.push((new.frame, node.index));
            }
        }
        for node in old_nodes {
            match new_nodes.iter().find(|other| other.index == node.index) {
                None => found.leaving.push((new.frame, node)),
                Some(other) if (other.task, other.address) != (node.task, node.address) => {
                    found.moved.push((new.frame, node.index));
                }
                Some(_) => {}
            }
        }
    }
    found.vanished = before.iter().filter(|old| !now.iter().any(|tree| tree.frame == old.frame)).cloned().collect();
    found
}

fn link(node: &Placed, class: &'static str) -> Option<Html> {
    let parent = node.parent_row?;
    let parent_x = (node.depth as f64 - 1.0) * INDENT + 8.0;
    let parent_y = parent as f64 * ROW + ROW - 2.0;
    let y = node.row as f64 * ROW + ROW / 2.0 + 2.0;
    let x = node.depth as f64 * INDENT;
    Some(html! { <path class={class} d={format!("M{parent_x},{parent_y} V{y} H{x}")} /> })
}

fn node_html(frame: u32, node: &Placed, width: f64, moved: bool, entering: bool, leaving: bool) -> Html {
    let x = node.depth as f64 * INDENT + 2.0;
    let y = node.row as f64 * ROW + 3.0;
    // The position twice: as an attribute for SVG viewers, and as a CSS
    // transform, which the browser animates when it changes (a grant).
    let position = format!("translate({x}px,{y}px)");
    html! {
        <g key={format!("{}{}", if leaving { "leaving-" } else { "" }, node.index)}
            class={classes!("tree-node", (node.depth == 0).then_some("root"), (!node.writable).then_some("read-only"),
                moved.then_some("moved"), entering.then_some("entering"), leaving.then_some("leaving"))}
            data-test={if leaving { "mapping-node-leaving" } else { "mapping-node" }} data-index={node.index.to_string()}
            data-task={node.task.to_string()} data-address={hex(node.address)} data-writable={node.writable.to_string()}
            transform={format!("translate({x},{y})")} style={format!("transform:{position}")} aria-hidden={leaving.then_some("true")}>
            <rect width={(width - 4.0).to_string()} height={(ROW - 4.0).to_string()} rx="3" />
            <text x="5" y="13">{ label(node) }</text>
            <title>{ format!("{} (task {}) maps frame {:#x} at {:#x}, {}", node.name, node.task, frame, node.address, if node.writable { "read-write" } else { "read-only" }) }</title>
        </g>
    }
}

/// A node's label: `pong @ 0x402000 rw`.
fn label(node: &Placed) -> String {
    let rights = if node.writable { "rw" } else { "ro" };
    let size = if node.large { " 4M" } else { "" };
    format!("{} @ {:#x} {rights}{size}", node.name, node.address)
}

/// Pixels of the monospace label font per character (10 px DejaVu Sans Mono).
const CHARACTER_WIDTH: f64 = 6.1;

/// The width of a tree's nodes: room for its longest label (an exported SVG
/// clipped long names).
pub fn node_width(labels: impl Iterator<Item = String>) -> f64 {
    let longest = labels.map(|label| label.chars().count()).max().unwrap_or(0);
    NODE_WIDTH.max(longest as f64 * CHARACTER_WIDTH + 14.0)
}

fn tree_html(tree: &MappingTreeView, position: usize, changes: &Changes, vanished: bool) -> Html {
    let rows = place(tree);
    let leaving: Vec<&Placed> =
        changes.leaving.iter().filter(|(frame, _)| *frame == tree.frame).map(|(_, node)| node).collect();
    let depth = rows.iter().chain(leaving.iter().copied()).map(|node| node.depth).max().unwrap_or(0);
    let height_rows = rows.iter().chain(leaving.iter().copied()).map(|node| node.row + 1).max().unwrap_or(1);
    let node_width = node_width(rows.iter().chain(leaving.iter().copied()).map(label));
    let width = depth as f64 * INDENT + node_width + 4.0;
    let height = height_rows as f64 * ROW + 4.0;
    let moved = |node: &Placed| changes.moved.contains(&(tree.frame, node.index));
    let entering = |node: &Placed| changes.entering.contains(&(tree.frame, node.index));
    let (figure_test, node_class) = if vanished { ("mapping-tree-leaving", "leaving") } else { ("mapping-tree", "") };
    html! {
        <figure key={format!("{}{:#x}", if vanished { "leaving-" } else { "" }, tree.frame)}
            class={classes!("tree", vanished.then_some("leaving"))} data-test={figure_test} data-frame={hex(tree.frame)} data-size={tree.size.to_string()}
            aria-hidden={vanished.then_some("true")}>
            <figcaption>{ format!("frame {:#x} · {} mapping{}", tree.frame, tree.size, if tree.size == 1 { "" } else { "s" }) }</figcaption>
            <svg id={(!vanished).then(|| format!("mapping-tree-{position}"))} xmlns="http://www.w3.org/2000/svg" width={width.to_string()} height={height.to_string()}
                viewBox={format!("0 0 {width} {height}")} role="img" aria-label={format!("mapping tree of frame {:#x}", tree.frame)}>
                { for leaving.iter().filter_map(|node| link(node, "tree-link leaving")) }
                { for rows.iter().filter_map(|node| link(node, "tree-link")) }
                { for leaving.iter().map(|node| node_html(tree.frame, node, node_width, false, false, true)) }
                { for rows.iter().map(|node| node_html(tree.frame, node, node_width, moved(node), entering(node), !node_class.is_empty())) }
            </svg>
        </figure>
    }
}

#[component]
pub fn MappingTrees(props: &MappingTreesProps) -> Html {
    let drawn = use_mut_ref(|| None::<Vec<MappingTreeView>>);
    let force_update = use_force_update();
    let found = {
        let mut drawn = drawn.borrow_mut();
        let found = match drawn.as_ref() {
            Some(before) if props.animate && *before != props.trees => changes(before, &props.trees),
            _ => Changes::default(),
        };
        if drawn.as_ref() != Some(&props.trees) {
            *drawn = Some(props.trees.clone());
        }
        found
    };
    let lingering = !found.leaving.is_empty()
        || !found.vanished.is_empty()
        || !found.moved.is_empty()
        || !found.entering.is_empty();
    // Drop the nodes on their way out (and the grant marks) a moment later.
    use_effect_with(props.trees.clone(), move |_| {
        let timeout = lingering
            .then(|| gloo::timers::callback::Timeout::new(LEAVING_MILLISECONDS, move || force_update.force_update()));
        move || drop(timeout)
    });
    html! {
        <div class="trees" id="mapping-trees" data-test="mapping-trees">
            { for props.trees.iter().enumerate().map(|(position, tree)| tree_html(tree, position, &found, false)) }
            { for found.vanished.iter().map(|tree| tree_html(tree, 0, &found, true)) }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(index: u32, task: u32, address: u32, children: Vec<MappingNodeView>) -> MappingNodeView {
        MappingNodeView { index, task, name: format!("task {task}"), address, writable: true, large: false, children }
    }

    #[test]
    fn a_node_is_wide_enough_for_its_label() {
        assert_eq!(node_width(["sigma0 @ 0x1000 rw".to_string()].into_iter()), NODE_WIDTH);
        let long = "a_rather_long_name @ 0x40000000 rw 4M".to_string();
        let width = node_width([long.clone()].into_iter());
        assert!(width >= long.chars().count() as f64 * CHARACTER_WIDTH + 10.0, "{width}");
    }

    #[test]
    fn grants_unmaps_and_emptied_trees_are_told_apart() {
        let before = vec![
            MappingTreeView {
                frame: 0x7000,
                root: node(0, 2, 0x7000, vec![node(1, 4, 0x1000, vec![node(2, 5, 0x2000, vec![])])]),
                size: 3,
            },
            MappingTreeView { frame: 0x8000, root: node(3, 2, 0x8000, vec![node(4, 4, 0x3000, vec![])]), size: 2 },
        ];
        // Node 1 granted to task 7; node 2 unmapped; frame 0x8000 back to sigma0 alone.
        let now = vec![MappingTreeView {
            frame: 0x7000,
            root: node(0, 2, 0x7000, vec![node(1, 7, 0x9000, vec![])]),
            size: 2,
        }];
        let found = changes(&before, &now);
        assert_eq!(found.moved, vec![(0x7000, 1)]);
        assert_eq!(found.leaving.len(), 1);
        assert_eq!((found.leaving[0].0, found.leaving[0].1.task, found.leaving[0].1.row), (0x7000, 5, 2));
        assert_eq!(found.vanished.iter().map(|tree| tree.frame).collect::<Vec<_>>(), vec![0x8000]);
        assert!(found.entering.is_empty(), "nothing new: {:?}", found.entering);
        assert!(changes(&now, &now).leaving.is_empty());
        let mapped = changes(&now, &before);
        assert_eq!(mapped.entering, vec![(0x7000, 2), (0x8000, 3), (0x8000, 4)], "a new child, and a new tree's nodes");
    }
}
