// The explorer as a debugger people trust, end to end: nothing is lost on
// bad input or big runs. A long run's trace exports in parts with the page
// responding; a crash shows what happened and the way back; a file that
// cannot boot is refused with its reason while the machine goes on; a
// junk address neither breaks the layout nor hides the rest.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { launch, openExplorer, screenshot, press, pressUntil, statusPosition, editorText } from "./harness.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("a long run's trace exports in parts, keeps the page responding, and opens as JSON", async () => {
  const page = await openExplorer(browser, "#scenario=ping-pong&cpu=486", { acceptDownloads: true });
  await page.selectOption("[data-test=speed]", { index: 5 });
  await press(page, "r");
  await page.waitForTimeout(6000);
  await press(page, "r");
  await page.waitForFunction(() => document.body.dataset.running === "false");
  const events = Number(/(\d+) events/.exec(await page.locator("[data-test=status-bar]").innerText())[1]);
  assert.ok(events > 50000, `a long run (${events} events)`);
  const download = page.waitForEvent("download", { timeout: 120000 });
  await page.locator("[data-test=export-trace]").click();
  // While it is written the page answers: another view opens; the machine
  // waits (the export reads the timeline as it was) and says so.
  await press(page, "2");
  assert.equal(await page.locator("[data-test=tab-tlb]").getAttribute("aria-selected"), "true", "the page answers during the export");
  const file = await download;
  const text = readFileSync(await file.path(), "utf8");
  const trace = JSON.parse(text);
  assert.ok(trace.traceEvents.length > 1000, `${trace.traceEvents.length} trace events`);
  assert.ok(trace.traceEvents.length <= 1_000_200, "at most the export's limit");
  assert.match(await page.locator("[data-test=notice]").innerText(), /exported \d+ events to l4-trace\.json/);
  assert.deepEqual(page.problems, []);
});

test("a crash says what happened and how to get back, for a panic and for a trap", async () => {
  const page = await openExplorer(browser, "#scenario=hello&cpu=486&small=0&at=1000");
  await page.evaluate(() => { try { window.l4.crashForTest(); } catch (error) { /* the panic surfaces as an exception too */ } });
  await page.waitForSelector("[data-test=crash]", { timeout: 5000 });
  assert.match(await page.locator("[data-test=crash]").innerText(), /The explorer stopped[\s\S]*crashForTest[\s\S]*Reload at the last good moment/);
  await screenshot(page, "crash");
  await page.locator("[data-test=crash-reload]").click();
  await page.waitForSelector("body[data-ready='true']");
  assert.equal(await statusPosition(page), 1000, "reloading returns to the moment in the address");
  assert.equal(await page.locator("[data-test=crash]").count(), 0);
  // A trap that is no panic (WebAssembly's `unreachable`, out of memory).
  await page.evaluate(() => dispatchEvent(new ErrorEvent("error", { error: new WebAssembly.RuntimeError("unreachable") })));
  await page.waitForSelector("[data-test=crash]", { timeout: 5000 });
  assert.match(await page.locator("[data-test=crash]").innerText(), /unreachable/);
});

test("a file that cannot boot is refused with its reason, next to the control and in the status bar, and the machine goes on", async () => {
  const page = await openExplorer(browser, "#scenario=ping-pong&cpu=486");
  await press(page, "i");
  const position = await statusPosition(page);
  const elf64 = Buffer.alloc(64); elf64.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  const elf32 = Buffer.from(readFileSync(process.env.L4_E2E_ELF)).subarray(0, 60);
  for (const [name, buffer, reason] of [
    ["picture.png", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]), /not an ELF/i],
    ["notes.txt", Buffer.from("hello, this is text\n"), /not an ELF/i],
    ["truncated.elf", elf32, /./],
    ["sixty-four.elf", elf64, /64-bit/i],
  ]) {
    await page.locator("[data-test=load-elf]").setInputFiles({ name, mimeType: "application/octet-stream", buffer });
    await page.waitForSelector("[data-test=load-problem]");
    const problem = await page.locator("[data-test=load-problem]").innerText();
    assert.match(problem, new RegExp(`^${name.replace(".", "\\.")} cannot be booted`), problem);
    assert.match(problem, reason, problem);
    assert.match(await page.locator("[data-test=notice]").innerText(), /cannot be booted/);
    assert.equal(await statusPosition(page), position, `${name}: the machine is kept`);
    assert.match(await page.locator("[data-test=scenario-name]").innerText(), /^ping-pong$/, "still the scenario");
  }
  await press(page, "s");
  assert.equal(await statusPosition(page), position + 1, "and it still steps");
  await screenshot(page, "bad-upload");
  assert.deepEqual(page.problems, []);
});

test("a 3,000-character junk address keeps the layout and says so briefly", async () => {
  const page = await openExplorer(browser, `#${"x".repeat(3000)}`);
  const notice = await page.locator("[data-test=notice]").innerText();
  assert.ok(notice.length < 200, `the notice is short (${notice.length} characters)`);
  const toolbar = await page.locator(".toolbar").boundingBox();
  const columns = await page.locator(".columns").boundingBox();
  const bar = await page.locator("[data-test=status-bar]").boundingBox();
  assert.ok(toolbar.height < 120 && columns.height > 400 && bar.height < 80, `layout: ${JSON.stringify({ toolbar, columns, bar })}`);
  await screenshot(page, "junk-address");
  assert.deepEqual(page.problems, []);
});

test("the event log follows the newest event and marks the one a stop was for", async () => {
  const page = await openExplorer(browser, "#scenario=ping-pong&cpu=486");
  await page.selectOption("[data-test=speed]", { index: 3 });
  await press(page, "r");
  await page.waitForTimeout(1500);
  await press(page, "r");
  await page.waitForFunction(() => document.body.dataset.running === "false");
  const atEnd = () => page.locator("[data-test=event-list]").evaluate((list) => list.scrollHeight - list.clientHeight - list.scrollTop);
  assert.ok(await atEnd() < 30, "scrolled to the newest event");
  await press(page, "i");
  const marked = page.locator("[data-test=event][aria-current=true]");
  assert.equal(await marked.count(), 1, "the delivered message is marked");
  assert.equal(await marked.getAttribute("data-kind"), "ipc");
  assert.ok(await atEnd() < 30, "still following");
  assert.deepEqual(page.problems, []);
});

test("the VGA screen fits its column at 1024 and 1280 pixels", async () => {
  for (const width of [1024, 1280]) {
    const page = await openExplorer(browser, "#scenario=hello", { viewport: { width, height: 800 } });
    await press(page, "d");
    await page.locator("[data-test=editor-text]").fill("%include \"l4.inc\"\n_start:\n    mov edi, 0xB8000\n    mov ecx, 80 * 25\n    mov ax, 0x1F41\n    rep stosw\n.wait:\n    jmp .wait\n");
    await page.locator("[data-test=assemble]").click();
    for (let count = 0; count < 4; count++) await press(page, "e");
    await page.selectOption("[data-test=speed]", { index: 3 });
    await press(page, "r");
    await page.waitForTimeout(500);
    await press(page, "r");
    await press(page, "o");
    const vga = await page.locator("[data-test=vga]").boundingBox();
    const column = await page.locator(".column.left").boundingBox();
    assert.ok(vga.width > 200, `the screen is drawn (${vga.width} px)`);
    assert.ok(vga.x + vga.width <= column.x + column.width + 1, `the VGA screen fits its column at ${width} px: ${JSON.stringify({ vga, column })}`);
    await screenshot(page, `vga-${width}`);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  }
});

test("the panels fit at 1024×768, 1280×800 and 1920×1080, in both themes and with reduced motion", async () => {
  for (const [width, height] of [[1024, 768], [1280, 800], [1920, 1080]]) {
    for (const colorScheme of ["light", "dark"]) {
      const page = await openExplorer(browser, "#lesson=inheritance&step=3&went=1", { viewport: { width, height }, colorScheme, reducedMotion: "reduce" });
      const viewport = { width, height };
      for (const selector of [".toolbar", "[data-test=timeline]", "[data-test=lessons]", "[data-test=event-list]", "[data-test=status-bar]", ".column.left .tab-body", ".column.middle .tab-body"]) {
        const box = await page.locator(selector).first().boundingBox();
        assert.ok(box && box.width > 40 && box.height > 20, `${selector} is there at ${width}×${height}`);
        assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= viewport.width + 1 && box.y + box.height <= viewport.height + 1,
          `${selector} is on screen at ${width}×${height}: ${JSON.stringify(box)}`);
      }
      // Every control of the toolbar can be reached.
      for (const button of await page.locator(".toolbar button, .toolbar select").all()) {
        const box = await button.boundingBox();
        assert.ok(box && box.x + box.width <= width + 1 && box.y + box.height <= height, `a toolbar control is reachable at ${width}×${height}`);
      }
      await press(page, "1");
      await screenshot(page, `layout-${width}x${height}-${colorScheme}`);
      assert.deepEqual(page.problems, []);
      await page.context().close();
    }
  }
});

test("the timeline zooms with the wheel around the pointer, keeps following, and pans by dragging", async () => {
  const page = await openExplorer(browser, "#scenario=ping-pong&cpu=486");
  for (let count = 0; count < 6; count++) await press(page, "i");
  const windowText = () => page.locator(".timeline .window").innerText().then((text) => text.match(/(\d+)–(\d+)/).slice(1).map(Number));
  const [from, to] = await windowText();
  const shown = await page.locator(".timeline .window").innerText();
  const canvas = page.locator("[data-test=timeline-canvas]");
  const box = await canvas.boundingBox();
  await page.mouse.move(box.x + box.width * 0.5, box.y + 20);
  await page.mouse.wheel(0, -200);
  await page.waitForFunction((before) => document.querySelector(".timeline .window").innerText !== before, shown);
  const [zoomedFrom, zoomedTo] = await windowText();
  assert.ok(zoomedTo - zoomedFrom < to - from, `zoomed in: ${to - from} → ${zoomedTo - zoomedFrom} cycles`);
  assert.equal(await page.locator(".timeline button.active", { hasText: "follow" }).count(), 1, "still following the present");
  await press(page, "i");
  const [, laterTo] = await windowText();
  assert.ok(laterTo > zoomedTo, "the window followed the machine on");
  // A drag to the right shows earlier cycles and leaves the present.
  await page.mouse.move(box.x + box.width * 0.3, box.y + 20);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.6, box.y + 20, { steps: 5 });
  await page.mouse.up();
  const [draggedFrom] = await windowText();
  assert.ok(draggedFrom < laterTo - (zoomedTo - zoomedFrom), "dragged to earlier cycles");
  assert.equal(await page.locator(".timeline button.active", { hasText: "follow" }).count(), 0, "no longer following");
  await screenshot(page, "timeline-zoomed");
  assert.deepEqual(page.problems, []);
});

test("dragging the scrubber moves the views before it is released", async () => {
  const page = await openExplorer(browser, "#scenario=many-threads&cpu=486&small=0&at=60000");
  const before = await statusPosition(page);
  const range = page.locator("[data-test=scrubber-range]");
  await range.evaluate((input) => { input.value = "15000"; input.dispatchEvent(new Event("input", { bubbles: true })); });
  await page.waitForFunction((before) => {
    const match = /instruction (\d+)/.exec(document.querySelector("[data-test=position]").innerText);
    return match && Number(match[1]) < before;
  }, before, { timeout: 5000 });
  await range.evaluate((input) => input.dispatchEvent(new Event("change", { bubbles: true })));
  assert.equal(await statusPosition(page), 15000, "the release arrives exactly");
  assert.deepEqual(page.problems, []);
});

test("the memory view follows a register, marks the bytes a step changed, and opens from the CPU view", async () => {
  const page = await openExplorer(browser, "#scenario=ping-pong&cpu=486");
  for (let count = 0; count < 4; count++) await press(page, "i");
  await press(page, "5");
  assert.equal(await page.locator("[data-test=memory-follow]").inputValue(), "esp", "follows ESP at first");
  const esp = async () => { await press(page, "3"); const text = await page.locator("[data-test=cpu] .registers").first().innerText(); await press(page, "5"); return parseInt(/ESP\s+0x([0-9a-f]+)/i.exec(text)[1], 16); };
  // Step until an instruction writes to the stack: its bytes are marked.
  let marked = 0;
  for (let count = 0; count < 60 && marked === 0; count++) {
    await press(page, "s");
    marked = await page.locator("[data-test=memory-byte].changed").count();
  }
  assert.ok(marked > 0, "a step that wrote memory marks the bytes it changed");
  const stack = await esp();
  const rows = await page.locator("[data-test=memory-row]").evaluateAll((items) => items.map((item) => parseInt(item.dataset.address, 16)));
  assert.ok(rows[0] <= stack && stack < rows[rows.length - 1] + 16, `the rows hold ESP ${stack.toString(16)}`);
  await screenshot(page, "memory-follows-esp");
  // Physical memory, and an address typed in.
  await page.locator("[data-test=memory-space]").selectOption("physical");
  await page.locator("[data-test=memory-address]").fill("0x400000");
  await page.locator("[data-test=memory-go]").click();
  assert.equal(await page.locator("[data-test=memory-row]").first().getAttribute("data-address"), "0x003fffc0");
  assert.match(await page.locator("[data-test=memory-space-name]").innerText(), /physical memory/);
  // An unmapped page of a space says so.
  await page.locator("[data-test=memory-space]").selectOption("current");
  await page.locator("[data-test=memory-address]").fill("0x10000000");
  await page.locator("[data-test=memory-go]").click();
  assert.match(await page.locator("[data-test=memory-rows]").innerText(), /unmapped/);
  await page.locator("[data-test=memory-address]").fill("nonesuch");
  await page.locator("[data-test=memory-go]").click();
  assert.match(await page.locator("[data-test=memory-problem]").innerText(), /neither an address, a register nor a label/);
  // From the CPU view: the memory at EDI.
  await press(page, "3");
  await page.locator("[data-test=memory-at-edi]").click();
  assert.equal(await page.locator("[data-test=tab-memory]").getAttribute("aria-selected"), "true");
  assert.deepEqual(page.problems, []);
});

test("a watchpoint set in the memory view stops a run at the write", async () => {
  const page = await openExplorer(browser, "#scenario=ping-pong&cpu=486");
  for (let count = 0; count < 4; count++) await press(page, "i");
  await press(page, "5");
  // The word below the stack pointer: the next push writes it.
  await page.locator("[data-test=watch-address]").fill("esp-4");
  await page.locator("[data-test=watch-kind]").selectOption("write");
  await page.locator("[data-test=watch-add]").click();
  const listed = await page.locator("[data-test=breakpoint]").allInnerTexts();
  assert.ok(listed.some((text) => /a write of 4 bytes at 0x[0-9a-f]+ in .*'s space/.test(text)), listed.join(" | "));
  await page.keyboard.press("r");
  await page.waitForFunction(() => document.body.dataset.running === "false", null, { timeout: 20000 });
  assert.match(await page.locator("[data-test=stop-reason]").innerText(), /^watchpoint: the (instruction at 0x[0-9a-f]+ in .* wrote|kernel wrote)/);
  await screenshot(page, "watchpoint");
  assert.deepEqual(page.problems, []);
});

test("a source line highlights its instructions, and an instruction opens its line in the editor", async () => {
  const page = await openExplorer(browser, "#scenario=hello&cpu=486");
  // Until the root task runs its own code (the kernel and sigma0 come first).
  const ownCode = async () => (await page.locator("[data-test=code-line][data-current=true] [data-test=code-source]").count()) > 0;
  assert.ok(await pressUntil(page, "e", ownCode, 40), "the root task runs hello.asm");
  const current = page.locator("[data-test=code-line][data-current=true]");
  const made = await current.locator("[data-test=code-source]").getAttribute("data-source");
  const [, file, number] = /^(.+):(\d+)$/.exec(made);
  assert.equal(file, "hello.asm");
  await screenshot(page, "source-code-view");

  // The instruction's line, opened in the editor and marked there.
  await current.locator("[data-test=code-source]").click();
  await page.locator("[data-test=editor-host] .cm-editor").waitFor();
  const source = (await editorText(page)).split("\n");
  assert.equal(await page.locator(".cm-chosen-line").count(), 1);
  assert.equal((await page.locator(".cm-chosen-line").innerText()).trim(), source[Number(number) - 1].trim());
  assert.match(await page.locator("[data-test=source-made]").innerText(), new RegExp(`Line ${number} made`));

  // A line of a macro (several instructions): the cursor on it, then the code view marks exactly them.
  const macroLine = source.findIndex((text) => /^\s+outstring greeting/.test(text)) + 1;
  assert.ok(macroLine > 0);
  await page.locator(".cm-line").nth(macroLine - 1).click();
  const note = await page.locator("[data-test=source-made]").innerText();
  assert.match(note, new RegExp(`Line ${macroLine} made \\d+ instructions`), note);
  const addresses = note.match(/0x[0-9a-f]{8}/g);
  assert.ok(addresses.length > 1, "a macro makes several instructions");
  await screenshot(page, "source-editor-line");
  await page.locator("[data-test=show-in-code]").click();
  await page.locator("[data-test=code]").waitFor();
  const marked = await page.locator("[data-test=code-line][data-from-source=true]").evaluateAll(
    (lines) => lines.map((line) => line.dataset.address));
  const shown = await page.locator("[data-test=code-line]").evaluateAll((lines) => lines.map((line) => line.dataset.address));
  assert.deepEqual(marked, addresses.filter((address) => shown.includes(address)), "exactly its instructions are marked");
  assert.ok(marked.length > 1, "they are in the window around EIP");
  const each = await page.locator("[data-test=code-line][data-from-source=true] [data-test=code-source]").evaluateAll(
    (buttons) => buttons.map((button) => button.dataset.source));
  assert.ok(each.every((text) => text === `hello.asm:${macroLine}`), each.join(", "));
  await screenshot(page, "source-code-marked");
  assert.deepEqual(page.problems, []);
});

test("the Costs view breaks one IPC into its parts: the message chosen on the timeline and the average", async () => {
  const page = await openExplorer(browser, "#scenario=ping-pong&cpu=486&at=300000");
  // Zoomed out over hundreds of messages, the lanes stay readable: one arrow
  // every few pixels is drawn (every one painted them solid), and a note says so.
  const drawn = Number(await page.locator("[data-test=timeline-canvas]").getAttribute("data-arrows-drawn"));
  const canvasWidth = await page.locator("[data-test=timeline-canvas]").evaluate((canvas) => canvas.getBoundingClientRect().width);
  assert.ok(drawn > 10 && drawn <= canvasWidth / 6 + 1, `${drawn} arrows drawn across ${canvasWidth} px`);
  assert.match(await page.locator("[data-test=timeline-thinned], [data-test=timeline-more]").innerText(), /messages (here|in this window)/);
  await press(page, "4");
  const which = page.locator("[data-test=breakdown-which]");
  await which.waitFor();
  assert.match(await which.innerText(), /average of all \d+ IPC system calls .* Choose a message on the timeline/);
  // Choose the latest message with the keyboard: m goes into the timeline.
  await page.keyboard.press("m");
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.test), "timeline-canvas");
  await page.keyboard.press("End");
  await page.waitForFunction(() => /^Selected: the message from \w+ to \w+ at cycle \d+/.test(document.querySelector("[data-test=breakdown-which]").innerText));
  const cells = async (selector) =>
    (await page.locator(selector).allInnerTexts()).map(Number);
  const selected = await cells("[data-test=breakdown-part] [data-test=selected-cycles]");
  const [total] = await cells("[data-test=breakdown-total] [data-test=selected-cycles]");
  assert.equal(selected.reduce((sum, value) => sum + value, 0), total, `the parts add up: ${selected}`);
  const parts = await page.locator("[data-test=breakdown-part]").evaluateAll((rows) => rows.map((row) => row.dataset.part));
  assert.deepEqual(parts.slice(0, 6), ["CPU entry", "Kernel path", "Address-space switch", "Segment reload", "TLB refills", "Cache misses"]);
  // The assembly fast path's calibrated count: at most the paper's 150, far below the general path's ~950.
  const kernelPath = await page.locator("[data-part='Kernel path'] .detail").innerText();
  const fastCount = Number(kernelPath.match(/^(\d+) instructions \(ipc-fast\): the assembly fast path/)?.[1]);
  assert.ok(fastCount >= 100 && fastCount <= 150, kernelPath);
  assert.match(await page.locator("[data-test=breakdown-paper]").innerText(), /entry and exit take 107 cycles here; the paper counts 107/);
  const [average] = await cells("[data-test=breakdown-total] [data-test=average-cycles]");
  const perIpc = Number(await page.locator("[data-test=cycles-per-ipc]").first().innerText());
  assert.ok(Math.abs(average - perIpc) <= 0.5, `the average (${average}) is the cycles per IPC above (${perIpc})`);
  await screenshot(page, "costs-breakdown");
  assert.deepEqual(page.problems, []);
});
