//! The TLBs as the hardware holds them: one grid per TLB (the 486's unified
//! one; the Pentium's code, data and 4 MB data TLBs), sets down, ways across.
//! Each entry shows page → frame and rights; the last step's fills and hits
//! are marked, the next victim of each set (tree pseudo-LRU) is underlined,
//! and a flush shows as an empty grid with a banner.

use super::hex;
use wasm_bridge::TlbView;
use yew::prelude::*;

#[derive(Properties, PartialEq, Debug)]
pub struct TlbPanelProps {
    pub tlbs: Vec<TlbView>,
}

fn grid(tlb: &TlbView) -> Html {
    let rows = (0..tlb.sets).map(|set| {
        let (bits, victim) = tlb.replacement.get(set as usize).copied().unwrap_or((0, 0));
        let cells = (0..tlb.ways).map(|way| {
            let Some(entry) = tlb.entries.get((set * tlb.ways + way) as usize) else { return html! { <td /> } };
            let next = way == victim;
            let title = if entry.valid {
                format!("set {set} way {way}: page {:#x} → frame {:#x}, {}{}", entry.page, entry.frame,
                    if entry.writable { "writable" } else { "read-only" }, if entry.user { ", user" } else { ", supervisor" })
            } else {
                format!("set {set} way {way}: empty")
            };
            html! {
                <td class={classes!("tlb-entry", (!entry.valid).then_some("empty"), (!entry.mark.is_empty()).then(|| format!("mark-{}", entry.mark)), next.then_some("victim"))}
                    data-test="tlb-entry" data-mark={entry.mark} data-valid={entry.valid.to_string()} data-page={hex(entry.page)} data-frame={hex(entry.frame)}
                    title={title}>
                    if entry.valid {
                        <span class="page">{ format!("{:05x}", entry.page >> 12) }</span>
                        <span class="arrow">{ "→" }</span>
                        <span class="frame">{ format!("{:05x}", entry.frame >> 12) }</span>
                        <span class="rights">{ format!("{}{}", if entry.writable { "w" } else { "r" }, if entry.user { "u" } else { "s" }) }</span>
                        if !entry.mark.is_empty() {
                            <span class="mark">{ entry.mark }</span>
                        }
                    } else {
                        <span class="dash">{ "—" }</span>
                    }
                </td>
            }
        });
        html! {
            <tr>
                <th scope="row" title={format!("pseudo-LRU bits {bits:03b}; next fill goes to way {victim}")}>{ set }</th>
                { for cells }
            </tr>
        }
    });
    let valid = tlb.entries.iter().filter(|entry| entry.valid).count();
    html! {
        <figure class="tlb" data-test="tlb" data-name={tlb.name} data-valid={valid.to_string()}>
            <figcaption>
                <strong>{ tlb.name }</strong>
                { format!(" · {} sets × {} ways{} · {valid} valid · {} hits, {} misses, {} fills, {} flushes",
                    tlb.sets, tlb.ways, if tlb.large { " of 4 MB pages" } else { "" }, tlb.hits, tlb.misses, tlb.fills, tlb.flushes) }
            </figcaption>
            if tlb.flushed {
                <p class="banner" data-test="tlb-flushed" role="status">{ "flushed by the last step (a CR3 load)" }</p>
            }
            <table class="tlb-grid">
                <thead><tr><th>{ "set" }</th>{ for (0..tlb.ways).map(|way| html! { <th>{ format!("way {way}") }</th> }) }</tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </figure>
    }
}

#[component]
pub fn TlbPanel(props: &TlbPanelProps) -> Html {
    html! {
        <section class="panel tlbs" aria-label="Translation lookaside buffers">
            <header class="panel-header"><h2>{ "TLBs" }</h2>
                <span class="legend">
                    <span class="mark-fill legend-item">{ "fill" }</span>
                    <span class="mark-hit legend-item">{ "hit" }</span>
                    <span class="victim legend-item">{ "next victim" }</span>
                    { " (page and frame numbers in hex)" }
                </span>
            </header>
            { for props.tlbs.iter().map(grid) }
        </section>
    }
}
