// The explorer end to end, in Debian's headless Chromium: every built-in
// scenario steps through an IPC and the views agree with what happened;
// reverse stepping restores the machine exactly; a broken program shows its
// error inline while the rest keeps working; the URL reopens a view.
// Screenshots of every view go to target/e2e/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { launch, openExplorer, screenshot, statusPosition, press, pressUntil, editorText } from "./harness.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const ROOT = "0x04040001";
const SIGMA0 = "0x04020001";
const SCENARIOS = ["hello", "ping-pong", "many-threads"];

for (const scenario of SCENARIOS) {
  for (const cpu of ["486", "pentium"]) {
    test(`${scenario} on ${cpu}: an IPC shows on the timeline, in the mapping tree and in the TLB`, async () => {
      const page = await openExplorer(browser, `#scenario=${scenario}&cpu=${cpu}`);
      assert.match(await page.locator("[data-test=status-bar]").innerText(), cpu === "486" ? /i486 at 50 MHz/ : /Pentium at 166 MHz/);
      const rootNodes = page.locator(`[data-test=mapping-node][data-task="4"][data-address="0x00400000"]`);
      assert.equal(await rootNodes.count(), 0, "the root task has nothing mapped before it runs");

      // The root task's first fetch faults: the kernel sends its page-fault IPC to sigma0.
      await press(page, "i");
      const fault = page.locator(`[data-test=ipc-arrow][data-kind=pagefault][data-from="${ROOT}"][data-to="${SIGMA0}"]`);
      assert.equal(await fault.count(), 1, "one page-fault IPC from the root task to sigma0");
      assert.match(await page.locator("[data-test=stop-reason]").innerText(), /delivered/);

      // Sigma0 answers with a map item: the tree of frame 0x400000 gains the root's node.
      await press(page, "i");
      const reply = page.locator(`[data-test=ipc-arrow][data-kind=map][data-from="${SIGMA0}"][data-to="${ROOT}"]`);
      assert.equal(await reply.count(), 1, "sigma0's mapping reply to the root task");
      assert.equal(await rootNodes.count(), 1, "the mapping tree gained the root task's node");
      const tree = page.locator(`[data-test=mapping-tree][data-frame="0x00400000"]`);
      assert.equal(await tree.getAttribute("data-size"), "2", "sigma0's node and the root task's");
      assert.equal(await tree.locator(`[data-test=mapping-node][data-task="2"]`).count(), 1, "rooted in sigma0");

      // The root task runs again: its fetch fills a TLB entry for 0x400000.
      await press(page, "2");
      const filled = await pressUntil(page, "s", async () =>
        (await page.locator(`[data-test=tlb-entry][data-mark=fill][data-page="0x00400000"]`).count()) > 0, 200);
      assert.ok(filled, "a step filled the TLB entry of the root task's first page");
      const entry = page.locator(`[data-test=tlb-entry][data-valid=true][data-page="0x00400000"]`).first();
      assert.equal(await entry.getAttribute("data-frame"), "0x00400000", "sigma0 maps idempotently: page 0x400000 → frame 0x400000");
      const tlbNames = await page.locator("[data-test=tlb]").evaluateAll((grids) => grids.map((grid) => grid.dataset.name));
      assert.deepEqual(tlbNames, cpu === "486" ? ["TLB"] : ["I-TLB", "D-TLB", "4M D-TLB"]);

      for (const [key, view] of [["1", "spaces"], ["2", "tlb"], ["3", "cpu"], ["4", "costs"]]) {
        await press(page, key);
        await screenshot(page, `${scenario}-${cpu}-${view}`);
      }
      assert.deepEqual(page.problems, []);
    });
  }
}

test("reverse step restores the earlier state exactly", async () => {
  const page = await openExplorer(browser, "#scenario=ping-pong&cpu=pentium");
  await press(page, "i");
  await press(page, "i");
  const capture = async () => {
    const texts = {};
    for (const [key, name] of [["1", "spaces"], ["2", "tlb"], ["3", "cpu"], ["4", "costs"]]) {
      await press(page, key);
      texts[name] = await page.locator(".column.middle .tab-body").innerText();
    }
    texts.code = await page.locator("[data-test=code]").innerText();
    texts.events = await page.locator("[data-test=event-list]").innerText();
    // Attribute order in the DOM depends on how it was patched: compare sorted attributes.
    // The timeline: its lanes and messages (attributes sorted: their order
    // depends on how the DOM was patched), and the canvas, pixel for pixel.
    texts.timeline = await page.locator("[data-test=timeline]").evaluate((panel) => [...panel.querySelectorAll("[data-test=lane], [data-test=ipc-arrow]")]
      .map((node) => [...node.attributes].map((attribute) => `${attribute.name}=${attribute.value}`).sort().join(" ") + "|" + node.textContent).join("\n")
      + "\n" + panel.querySelector("[data-test=timeline-canvas]").toDataURL());
    // The scrubber's end (the furthest point reached) moves on; the rest must not.
    texts.position = (await page.locator("[data-test=position]").innerText()).replace(/ of \d+/, "");
    return texts;
  };
  const before = await capture();
  const start = await statusPosition(page);
  for (let step = 0; step < 25; step++) await press(page, "s");
  await press(page, "e");
  assert.ok(await statusPosition(page) > start, "the machine moved on");
  const later = await capture();
  assert.notEqual(later.cpu, before.cpu);
  while (await statusPosition(page) > start) await press(page, "b");
  const restored = await capture();
  for (const view of Object.keys(before)) {
    if (view === "cpu") continue; // its change marks compare with the step before
    assert.equal(restored[view], before[view], `the ${view} view after stepping back`);
  }
  const registers = (text) => text.split("\n").filter((line) => /^(E[A-Z]{2}|CR\d|[CDEFGS]S)\b/.test(line)).join("\n");
  assert.equal(registers(restored.cpu), registers(before.cpu), "the CPU's registers after stepping back");
  assert.deepEqual(page.problems, []);
});

test("a broken program shows an inline error and the rest of the page keeps working", async () => {
  const page = await openExplorer(browser, "#scenario=hello&cpu=486");
  await press(page, "e");
  const position = await statusPosition(page);
  await press(page, "d");
  const editor = page.locator("[data-test=editor-text]");
  const source = await editorText(page);
  const lines = source.split("\n");
  const broken = [...lines.slice(0, 9), "    mov eax, ebx, ecx", ...lines.slice(9)].join("\n");
  await editor.fill(broken);
  await page.click("[data-test=assemble]");
  const error = page.locator("[data-test=program-error]").first();
  await error.waitFor();
  assert.equal(await error.getAttribute("data-line"), "10");
  assert.match(await error.innerText(), /hello\.asm:10:\d+:/);
  assert.equal(await editor.getAttribute("aria-invalid"), "true");
  // CodeMirror marks the line in its gutter, too.
  assert.equal(await page.locator(".cm-gutter-lint .cm-lint-marker-error").count(), 1, "one error mark in the gutter");
  assert.equal(await editorText(page), broken, "the edit is kept");
  await screenshot(page, "editor-error");
  assert.equal(await statusPosition(page), position, "the machine did not move");
  await page.locator("body").click({ position: { x: 5, y: 790 } });
  await press(page, "s");
  assert.equal(await statusPosition(page), position + 1, "stepping still works");
  await press(page, "o");
  assert.match(await page.locator("[data-test=console]").innerText(), /L4\/x86 X\.0 microkernel/);

  // Fixed, it assembles and the machine boots again.
  await press(page, "d");
  await editor.fill(source.replace("hello from the root task", "hello from an edited root task"));
  await page.click("[data-test=assemble]");
  assert.equal(await page.locator("[data-test=program-error]").count(), 0);
  await press(page, "o");
  await press(page, "r");
  await page.waitForFunction(() => document.querySelector("[data-test=console]")?.textContent.includes("hello from an edited root task"), null, { timeout: 20000 });
  assert.deepEqual(page.problems, []);
});

test("the URL reproduces a view", async () => {
  const page = await openExplorer(browser, "#scenario=ping-pong&cpu=pentium&small=0&at=20000");
  assert.equal(await statusPosition(page), 20000);
  assert.match(await page.locator("[data-test=status-bar]").innerText(), /Pentium at 166 MHz/);
  for (let step = 0; step < 7; step++) await press(page, "s");
  await press(page, "3");
  // The URL is written once the user pauses.
  // The position and the events logged by then: one position can be several moments.
  await page.waitForFunction(() => /at=20007&seq=\d+$/.test(location.hash), null, { timeout: 5000 });
  const address = page.url();
  assert.match(address, /#scenario=ping-pong&cpu=pentium&small=0&at=20007&seq=\d+$/);
  const cpu = await page.locator("[data-test=cpu] .registers").first().innerText();
  const second = await openExplorer(browser, new URL(address).hash);
  await press(second, "3");
  assert.equal(await statusPosition(second), 20007);
  assert.equal(await second.locator("[data-test=cpu] .registers").first().innerText(), cpu);
  const bad = await openExplorer(browser, "#scenario=nonesuch&cpu=z80");
  assert.match(await bad.locator("[data-test=notice]").innerText(), /unknown CPU `z80`: choose `486` or `pentium`; no scenario `nonesuch`; the scenarios are: hello, ping-pong, many-threads/);
  assert.deepEqual([...page.problems, ...second.problems, ...bad.problems], []);
});

test("clicking an event or an arrow moves the machine there", async () => {
  const page = await openExplorer(browser, "#scenario=ping-pong&cpu=486");
  for (let count = 0; count < 6; count++) await press(page, "i");
  // The third message: the machine goes back to just after it was delivered.
  const event = page.locator("[data-test=event][data-kind=ipc]").nth(2);
  const index = await event.getAttribute("data-index");
  const instruction = Number(await event.getAttribute("data-instruction"));
  await event.locator("button").click();
  assert.ok(await statusPosition(page) >= instruction);
  const arrows = page.locator("[data-test=ipc-arrow]");
  assert.equal(await arrows.count(), 3, "the timeline ends with that message");
  assert.equal(await arrows.last().getAttribute("data-index"), index);
  assert.match(await page.locator("[data-test=stop-reason]").innerText(), new RegExp(`at event ${index}`));
  // The first arrow, by keyboard.
  await arrows.first().focus();
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelectorAll("[data-test=ipc-arrow]").length === 1);
  assert.ok(await statusPosition(page) < instruction);
  assert.deepEqual(page.problems, []);
});

test("enter_kdebug stops a run like a breakpoint and r continues; a thread removed for an exception is named in the status", async () => {
  const page = await openExplorer(browser, "#scenario=hello&cpu=486");
  await press(page, "d");
  const editor = page.locator("[data-test=editor-text]");
  const source = await editorText(page);
  const verdict = "    debug_exit DEBUG_EXIT_SUCCESS";
  assert.ok(source.includes(verdict));
  const stopReason = () => page.locator("[data-test=stop-reason]").innerText();
  const waitForStop = (pattern) => page.waitForFunction(
    (text) => new RegExp(text).test(document.querySelector("[data-test=stop-reason]")?.textContent ?? ""),
    pattern.source, { timeout: 20000 });

  await editor.fill(source.replace(verdict, `    enter_kdebug "look here"\n${verdict}`));
  await page.click("[data-test=assemble]");
  await page.locator("body").click({ position: { x: 5, y: 790 } });
  await press(page, "o");
  await press(page, "r");
  await waitForStop(/in the kernel debugger/);
  assert.match(await stopReason(), /r continues/);
  assert.match(await page.locator("[data-test=console]").innerText(), /--- look here ---/);
  assert.doesNotMatch(await page.locator("[data-test=status-bar]").innerText(), /exited/, "stopped before the end");
  await screenshot(page, "enter-kdebug");
  await press(page, "r");
  await waitForStop(/the program ended: success/);

  await press(page, "d");
  await editor.fill(source.replace(verdict, `    rdtsc\n${verdict}`));
  await page.click("[data-test=assemble]");
  await page.locator("body").click({ position: { x: 5, y: 790 } });
  await press(page, "r");
  await waitForStop(/unhandled exception #UD \(invalid opcode\) in thread 04040001 at eip [0-9a-f]{8}: the thread is removed/);
  assert.doesNotMatch(await stopReason(), /^every thread waits/);
  assert.deepEqual(page.problems, []);
});

test("a breakpoint on the next TLB flush stops the run there", async () => {
  const page = await openExplorer(browser, "#scenario=ping-pong&cpu=486");
  await page.selectOption("[data-test=breakpoint-kind]", "tlb-flush");
  await page.click("[data-test=breakpoint-add]");
  assert.match(await page.locator("[data-test=breakpoint]").innerText(), /TLB flush|tlb-flush/);
  await press(page, "r");
  await page.waitForFunction(() => /breakpoint/.test(document.querySelector("[data-test=stop-reason]")?.textContent ?? ""), null, { timeout: 20000 });
  await press(page, "2");
  assert.equal(await page.locator("[data-test=tlb-flushed]").count(), 1, "the TLB view says it was flushed");
  await screenshot(page, "breakpoint-tlb-flush");
  assert.deepEqual(page.problems, []);
});

test("while running, the status bar shows the live speed; paused, it does not", async () => {
  const page = await openExplorer(browser, "#scenario=ping-pong&cpu=486");
  assert.equal(await page.locator("[data-test=run-rate]").count(), 0, "no speed before the run");
  await page.selectOption("[data-test=speed]", { index: 3 });
  await press(page, "r");
  const rate = page.locator("[data-test=run-rate]");
  await rate.waitFor({ timeout: 10000 });
  const text = await rate.innerText();
  const match = /^([\d.]+) (M |k )?instructions\/s · ([\d.]+)× real time$/.exec(text);
  assert.ok(match, `the rate reads "N instructions/s · F× real time": ${text}`);
  assert.ok(Number(match[1]) > 0 && Number(match[3]) > 0, text);
  await screenshot(page, "running-rate");
  await press(page, "r");
  await page.waitForFunction(() => document.querySelector("[data-test=run-state]")?.textContent === "paused", null, { timeout: 5000 });
  assert.equal(await page.locator("[data-test=run-rate]").count(), 0, "paused: no speed");
  assert.deepEqual(page.problems, []);
});

test("small spaces: ping and pong switch by reloading segments, CR3 stays; off, CR3 is loaded", async () => {
  // Run to the next switch of `kind`, go back over the instruction that
  // entered the kernel and step it again, so that the CPU view's change
  // marks compare the switch with the moment before it.
  const stepOverSwitch = async (page, kind) => {
    assert.equal(await statusPosition(page), 100000);
    await page.selectOption("[data-test=breakpoint-kind]", kind);
    await page.click("[data-test=breakpoint-add]");
    await press(page, "3");
    await press(page, "r");
    await page.waitForFunction(() => /breakpoint/.test(document.querySelector("[data-test=stop-reason]")?.textContent ?? ""), null, { timeout: 20000 });
    await statusPosition(page);
    const cr3 = page.locator("[data-test=control-cr3]");
    const data = page.locator("[data-test=segment][data-name=DS]");
    const read = async () => ({
      cr3: (await cr3.innerText()).trim().split(/\s+/)[1],
      cr3Changed: /\bchanged\b/.test((await cr3.getAttribute("class")) ?? ""),
      dataBase: await data.getAttribute("data-base"),
      dataChanged: /\bchanged\b/.test((await data.getAttribute("class")) ?? ""),
    });
    await press(page, "b");
    const before = await read();
    await press(page, "s");
    return { before, after: await read() };
  };
  // Instruction 100,000 is well inside the 10,000 round trips (sigma0's start
  // and the first page faults are over). Ping's and pong's small spaces (ids 2
  // and 6) start at these bases; the root task, a large space, is not running.
  const SMALL_SPACES = ["0xc0000000", "0xc0800000"];

  const small = await openExplorer(browser, "#scenario=ping-pong&cpu=pentium&small=1&at=100000");
  assert.match(await small.locator("[data-test=status-bar]").innerText(), /small spaces on/);
  const { before, after } = await stepOverSwitch(small, "small-space");
  assert.ok(after.dataChanged, "the step that switched reloaded DS's descriptor cache");
  assert.ok(SMALL_SPACES.includes(before.dataBase) && SMALL_SPACES.includes(after.dataBase), `small spaces' bases: ${before.dataBase} → ${after.dataBase}`);
  assert.notEqual(after.dataBase, before.dataBase, "from one small space to the other");
  assert.ok(!after.cr3Changed, "no CR3 load");
  assert.equal(after.cr3, before.cr3, "the same CR3 before and after the switch");
  await screenshot(small, "ping-pong-pentium-small-spaces-cpu");

  const large = await openExplorer(browser, "#scenario=ping-pong&cpu=pentium&small=0&at=100000");
  const loaded = await stepOverSwitch(large, "space");
  assert.ok(loaded.after.cr3Changed && loaded.after.cr3 !== loaded.before.cr3, "with small spaces off the switch loads CR3");
  assert.equal(loaded.after.dataBase, "0x00000000", "and the segments stay flat");
  assert.ok(!loaded.after.dataChanged, "DS's cache keeps its flat descriptor");
  assert.deepEqual([...small.problems, ...large.problems], []);
});

test("keyboard: ? lists the shortcuts, Escape closes; the theme toggles", async () => {
  const page = await openExplorer(browser);
  await press(page, "?");
  assert.match(await page.locator("[data-test=help]").innerText(), /step one instruction/);
  assert.equal(await page.locator("[data-test=help-close]").count(), 1);
  await screenshot(page, "help");
  await press(page, "Escape");
  assert.equal(await page.locator("[data-test=help]").count(), 0);
  const theme = await page.evaluate(() => document.documentElement.dataset.theme);
  await press(page, "t");
  assert.notEqual(await page.evaluate(() => document.documentElement.dataset.theme), theme);
  await press(page, "o");
  await screenshot(page, "console-other-theme");
  assert.deepEqual(page.problems, []);
});

test("an ELF from disk boots; the trace and the timeline export", async () => {
  const elf = process.env.L4_E2E_ELF;
  assert.ok(elf, "L4_E2E_ELF names an exported program (set by cargo xtask test)");
  const page = await openExplorer(browser);
  await page.setInputFiles("[data-test=load-elf]", elf);
  const name = elf.split("/").pop();
  await page.waitForFunction((name) => document.querySelector("[data-test=scenario-name]")?.textContent.includes(name), name, { timeout: 10000 });
  await press(page, "o");
  await press(page, "r");
  await page.waitForFunction(() => document.querySelector("[data-test=console]")?.textContent.includes("hello from the root task"), null, { timeout: 20000 });
  await press(page, "r");
  const [trace] = await Promise.all([page.waitForEvent("download"), page.click("[data-test=export-trace]")]);
  const json = JSON.parse(readFileSync(await trace.path(), "utf8"));
  assert.ok(json.traceEvents.length > 10, "the trace has events");
  const [svg] = await Promise.all([page.waitForEvent("download"), page.click("[data-test=timeline-export]")]);
  const text = readFileSync(await svg.path(), "utf8");
  assert.match(text, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(text, /data-test="ipc-arrow"/);
  assert.deepEqual(page.problems, []);
});

test("the JavaScript API boots a simulator and rejects an unknown CPU clearly", async () => {
  const page = await openExplorer(browser);
  const view = await page.evaluate(() => {
    const simulator = new window.l4.L4Simulator("hello", "pentium", false);
    simulator.run(1000000);
    return JSON.parse(simulator.viewJson());
  });
  assert.equal(view.status.cpu, "Pentium");
  assert.match(view.console, /on Pentium/);
  assert.equal(view.tlbs.length, 3, "the Pentium's I-TLB, D-TLB and 4 MB TLB");
  assert.ok(view.costs.ipcs > 0 && view.costs.cycles_per_ipc > 0, JSON.stringify(view.costs));
  assert.ok(view.mapping_trees.length > 0, "the root task's pages came from sigma0");
  const speed = await page.evaluate(() => JSON.parse(window.l4.benchModel("486", "integer", 100000)));
  assert.equal(speed.instructions, 100000);
  const badWorkload = await page.evaluate(() => { try { window.l4.benchModel("486", "spin", 10); return ""; } catch (e) { return String(e.message ?? e); } });
  assert.match(badWorkload, /unknown workload `spin`/);
  const error = await page.evaluate(() => { try { new window.l4.L4Simulator("hello", "z80", false); return ""; } catch (e) { return String(e.message ?? e); } });
  assert.match(error, /unknown CPU `z80`: choose `486` or `pentium`/);
  assert.deepEqual(page.problems, []);
});

test("text contrast is at least 4.5:1 in both themes, in every view", async () => {
  const page = await openExplorer(browser, "#scenario=ping-pong&cpu=486", { reducedMotion: "reduce" });
  await press(page, "i");
  await press(page, "i");
  // WCAG 2 contrast of every visible piece of text against the first opaque
  // background behind it (SVG text: its fill against the drawing's background).
  const failures = () => page.evaluate(() => {
    const channel = (value) => { const c = value / 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    const parse = (color) => { const [r, g, b, a = 1] = color.match(/[\d.]+/g).map(Number); return { r, g, b, a }; };
    const luminance = ({ r, g, b }) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    const background = (element) => {
      for (let node = element; node; node = node.parentElement) {
        const color = parse(getComputedStyle(node).backgroundColor);
        if (color.a >= 1) return color;
      }
      return parse(getComputedStyle(document.documentElement).backgroundColor);
    };
    const found = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let text = walker.nextNode(); text; text = walker.nextNode()) {
      const element = text.parentElement;
      if (!text.textContent.trim() || !element || element.closest("title, option, [aria-hidden=true]")) continue;
      if (element.closest("button:disabled, input:disabled, select:disabled")) continue; // inactive controls are exempt
      const box = element.getBoundingClientRect();
      if (box.width === 0 || box.height === 0 || getComputedStyle(element).visibility === "hidden") continue;
      const style = getComputedStyle(element);
      const foreground = parse(element instanceof SVGElement ? style.fill : style.color);
      const [light, dark] = [luminance(foreground), luminance(background(element))].sort((a, b) => b - a);
      const ratio = (light + 0.05) / (dark + 0.05);
      if (ratio < 4.5) found.push(`${ratio.toFixed(2)}:1 ${element.tagName.toLowerCase()}.${element.getAttribute("class") ?? ""} "${text.textContent.trim().slice(0, 30)}"`);
    }
    return [...new Set(found)];
  });
  for (const theme of ["first", "second"]) {
    for (const key of ["1", "2", "3", "4"]) {
      for (const left of ["c", "d", "o"]) {
        await press(page, key);
        await press(page, left);
        assert.deepEqual(await failures(), [], `the ${theme} theme, view ${key}${left}`);
      }
    }
    await press(page, "t");
  }
  assert.deepEqual(page.problems, []);
});
