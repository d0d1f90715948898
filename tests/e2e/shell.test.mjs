// The explorer shell: the page loads, the kernel boots on the model in the
// browser, and what it printed and emitted is on the page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, openExplorer, screenshot } from "./harness.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("the kernel boots on the model and its banner and events are shown", async () => {
  const page = await openExplorer(browser);
  const consoleText = await page.locator("[data-test=console]").innerText();
  assert.match(consoleText, /L4\/x86 X\.0 microkernel \d+\.\d+\.\d+ on i486 with \d+ KB/);

  const events = page.locator("[data-test=event]");
  assert.ok(await events.count() >= 2, "at least the boot and modules events");
  const first = events.first();
  assert.equal(await first.getAttribute("data-kind"), "boot");
  assert.equal(await first.getAttribute("data-source"), "kernel");
  assert.match(await first.innerText(), /boot cpu=i486 memory_kb=\d+/);

  const status = await page.locator("[data-test=status-bar]").innerText();
  assert.match(status, /i486 at 50 MHz/);
  assert.match(status, /l4-explorer \d+\.\d+\.\d+/);
  await screenshot(page, "shell-486");
  assert.deepEqual(page.problems, []);
});

test("choosing the Pentium boots the kernel again on a Pentium", async () => {
  const page = await openExplorer(browser);
  await page.selectOption("[data-test=cpu-select]", "pentium");
  await page.waitForFunction(() => document.querySelector("[data-test=console]")?.textContent.includes("on Pentium"));
  const first = page.locator("[data-test=event]").first();
  assert.match(await first.innerText(), /boot cpu=Pentium/);
  assert.match(await page.locator("[data-test=status-bar]").innerText(), /Pentium at 166 MHz/);
  await screenshot(page, "shell-pentium");
  assert.deepEqual(page.problems, []);
});

test("the JavaScript API boots a simulator and rejects an unknown CPU clearly", async () => {
  const page = await openExplorer(browser);
  const view = await page.evaluate(() => JSON.parse(new window.l4.L4Simulator("pentium").viewJson()));
  assert.equal(view.cpu, "Pentium");
  assert.match(view.console, /on Pentium/);
  const error = await page.evaluate(() => { try { new window.l4.L4Simulator("z80"); return ""; } catch (e) { return String(e.message ?? e); } });
  assert.match(error, /unknown CPU `z80`: choose `486` or `pentium`/);
  assert.deepEqual(page.problems, []);
});
