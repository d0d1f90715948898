// The explorer as a debugger people trust, end to end: nothing is lost on
// bad input or big runs. A long run's trace exports in parts with the page
// responding; a crash shows what happened and the way back; a file that
// cannot boot is refused with its reason while the machine goes on; a
// junk address neither breaks the layout nor hides the rest.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { launch, openExplorer, screenshot, press, statusPosition } from "./harness.mjs";

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
