// The lessons end to end, as a student follows them: keys only (n runs to
// a step's moment and goes on, v reveals the answer), in Debian's headless
// Chromium. Every step's title and text must be visible, its question before
// its answer, the view it names open and outlined, and every check met once
// its go has run. A screenshot per step goes to target/e2e/lessons/.
// Also: a newcomer is offered the lessons; a teacher's lesson file (written
// from docs/LESSONS.md alone) opens from disk, runs, and reopens from its
// share link; a broken file shows its mistakes and the page keeps working.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { launch, openExplorer, screenshot, press, statusPosition, eventLogFilled, editorText } from "./harness.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const FIXTURE = join(process.cwd(), "..", "fixtures", "lessons", "grant-a-page.md");

/** The tab a step's "Look" names must be the one shown, and outlined. */
async function assertLook(page, look, where) {
  const tabs = { spaces: "tab-spaces", tlb: "tab-tlb", cpu: "tab-cpu", costs: "tab-costs", code: "tab-code", editor: "tab-editor", console: "tab-console" };
  if (tabs[look]) {
    assert.equal(await page.locator(`[data-test=${tabs[look]}]`).getAttribute("aria-selected"), "true", `${where}: the ${look} tab is open`);
    assert.equal(await page.locator(".look-here").count(), 1, `${where}: the ${look} view is outlined`);
    assert.ok(await page.locator(".look-here").isVisible(), `${where}: the outlined view is on screen`);
  } else if (look === "timeline") {
    assert.equal(await page.locator(".look-timeline [data-test=timeline]").count(), 1, `${where}: the timeline is outlined`);
  } else if (look === "event log") {
    assert.equal(await page.locator(".look-events [data-test=event-list]").count(), 1, `${where}: the event log is outlined`);
  }
}

/** Whether `selector`'s first element is in the lesson panel's sight and
 * not under its sticky Back/Next bar (a description of where it is if not). */
async function hiddenInPanel(page, selector) {
  return page.locator("[data-test=lessons]").evaluate((panel, selector) => {
    const shown = panel.querySelector(selector);
    const bar = panel.querySelector(".lesson-controls");
    if (!shown || !bar) return null;
    const [item, under, frame] = [shown, bar, panel].map((element) => element.getBoundingClientRect());
    const line = Math.min(item.bottom, item.top + 24); // its first line
    return line > under.top + 0.5 || item.top < frame.top - 0.5
      ? `its first line ${item.top.toFixed(0)}–${line.toFixed(0)}, the bar from ${under.top.toFixed(0)}, the panel from ${frame.top.toFixed(0)}`
      : null;
  }, selector);
}

/** Follow a lesson that is open at its introduction to its end, with keys. */
async function followLesson(page, name) {
  const panel = page.locator("[data-test=lessons]");
  assert.ok(await panel.locator("[data-test=lesson-introduction]").isVisible(), `${name}: the introduction shows first`);
  await screenshot(page, `lessons/${name}-0-introduction`);
  const total = await panel.locator("[data-test=lesson-step-dot]").count();
  assert.ok(total >= 1 && total <= 8, `${name}: 1 to 8 steps (${total})`);
  for (let step = 1; step <= total; step++) {
    await press(page, "n");
    const where = `${name}, step ${step}`;
    assert.match(await panel.locator("[data-test=lesson-progress]").innerText(), new RegExp(`Step ${step} of ${total}`), where);
    const title = await panel.locator("[data-test=lesson-step-title]").innerText();
    assert.ok(title.startsWith(`${step}. `), `${where}: its title shows (${title})`);
    const predict = (await panel.locator("[data-test=lesson-predict]").count()) > 0;
    const text = (await panel.locator("[data-test=lesson-text]").count()) > 0;
    assert.ok(text || predict, `${where}: it says something`);
    if (text) assert.ok(await panel.locator("[data-test=lesson-text]").isVisible(), `${where}: its text shows`);
    if (predict) {
      assert.equal(await panel.locator("[data-test=lesson-reveal]").count(), 0, `${where}: the answer waits for the question`);
    }
    const next = await panel.locator("[data-test=lesson-next]").innerText();
    if (next.startsWith("Run to:")) {
      assert.ok(await panel.locator("[data-test=lesson-check][data-met=pending]").count() >= 0);
      await press(page, "n");
      await page.waitForFunction(() => document.body.dataset.seeking !== "true");
    }
    assert.equal(await panel.locator("[data-test=lesson-problem]").count(), 0,
      `${where}: the step's moment was reached (${await panel.locator("[data-test=lesson-problem]").allInnerTexts()})`);
    const checks = panel.locator("[data-test=lesson-check]");
    for (let index = 0; index < await checks.count(); index++) {
      const check = checks.nth(index);
      assert.equal(await check.getAttribute("data-met"), "met", `${where}: ${await check.innerText()}`);
    }
    if (next.startsWith("Run to:") && await checks.count() > 0) {
      assert.equal(await hiddenInPanel(page, "[data-test=lesson-check]"), null, `${where}: the first check's result is in sight`);
    }
    if (predict) {
      await press(page, "v");
      assert.ok(await panel.locator("[data-test=lesson-reveal]").isVisible(), `${where}: v reveals the answer`);
      assert.equal(await hiddenInPanel(page, "[data-test=lesson-reveal]"), null, `${where}: the answer is in sight`);
    }
    const look = await panel.locator("[data-test=lesson-look]").getAttribute("data-look").catch(() => null);
    if (look) await assertLook(page, look, where);
    if (look === "costs") {
      // The step's latest message is chosen: its own parts beside the average.
      const which = await page.locator("[data-test=breakdown-which]").innerText();
      assert.match(which, /^Selected: the (message|map) from \w+ to \w+ at cycle \d+/, `${where}: ${which}`);
    }
    await screenshot(page, `lessons/${name}-${step}`);
  }
  return total;
}

const lessonNames = async () => {
  const page = await openExplorer(browser, "");
  const names = await page.locator("[data-test=lesson-open]").evaluateAll((buttons) => buttons.map((button) => button.dataset.lesson));
  await page.context().close();
  return names;
};

test("a newcomer is offered the lessons, and n starts the first", async () => {
  const page = await openExplorer(browser, "");
  const list = page.locator("[data-test=lesson-open]");
  assert.ok(await list.count() >= 1, "the Lessons panel lists the lessons");
  assert.ok(await list.first().isVisible(), "on the first screen");
  assert.match(await page.locator("[data-test=status-bar]").innerText(), /Lessons panel/);
  await press(page, "n");
  assert.ok(await page.locator("[data-test=lesson-introduction]").isVisible());
  assert.match(await page.locator("[data-test=programs-label]").innerText(), /^Lesson: /, "the scenario box names the lesson");
  await screenshot(page, "lessons/newcomer");
  assert.deepEqual(page.problems, []);
});

test("every built-in lesson is followed to its end with keys, every check met", async () => {
  const names = await lessonNames();
  assert.ok(names.includes("ipc"));
  for (const name of names) {
    const page = await openExplorer(browser, `#lesson=${name}`);
    const steps = await followLesson(page, name);
    assert.ok(steps > 0);
    assert.deepEqual(page.problems, [], name);
    await page.context().close();
  }
});

test("on a laptop's short screen, a step's results and its answer come into sight above the Back/Next bar", async () => {
  // 640 pixels high: the checks of a step with a question sit under the
  // bar until the panel scrolls them into sight (found by a student).
  for (const name of ["ipc", "numbers"]) {
    const page = await openExplorer(browser, `#lesson=${name}`, { viewport: { width: 1280, height: 640 } });
    await followLesson(page, `${name}-short`);
    assert.deepEqual(page.problems, [], name);
    await page.context().close();
  }
});

test("threads are named in the lanes, the trees, the event log and the code", async () => {
  const page = await openExplorer(browser, "#lesson=ipc&step=1&went=1");
  // A lane's label is its name; its title (on hover) the id.
  const lanes = await page.locator("[data-test=lane] text").evaluateAll((labels) => labels.map((label) => label.lastChild.textContent.trim()));
  for (const name of ["sigma0", "pager", "ping", "pong"]) {
    assert.ok(lanes.includes(name), `a lane is called ${name}: ${lanes}`);
  }
  const ids = await page.locator("[data-test=lane] title").allTextContents();
  assert.ok(ids.some((title) => title.includes("0x04050001")), "the id is on hover");
  await eventLogFilled(page);
  // textContent: pieces of the log out of view are not rendered (content-visibility).
  const log = await page.locator("[data-test=event-list]").evaluate((list) => list.textContent);
  assert.match(log, /ipc from=ping to=pong/);
  await press(page, "1");
  const nodes = await page.locator("[data-test=mapping-node] text").evaluateAll((labels) => labels.map((label) => label.textContent));
  assert.ok(nodes.some((node) => node.startsWith("ping @")), `a tree node is ping's: ${nodes}`);
  assert.match(await page.locator("[data-test=code]").innerText(), /thread (ping|pong|pager)/);
  // The event breakpoint takes a destination, by name.
  await page.locator("[data-test=breakpoint-kind]").selectOption("ipc");
  await page.locator("[data-test=breakpoint-thread]").fill("pong");
  await page.locator("[data-test=breakpoint-to]").fill("ping");
  await page.locator("[data-test=breakpoint-add]").click();
  assert.match(await page.locator("[data-test=breakpoint]").innerText(), /next ipc from pong to ping/);
  await press(page, "r");
  await page.waitForFunction(() => document.body.dataset.running === "false", null, { timeout: 20000 });
  assert.match(await page.locator("[data-test=stop-reason]").innerText(), /breakpoint: next ipc from pong to ping/);
  assert.deepEqual(page.problems, []);
});

test("a teacher's lesson file opens from disk, runs, and reopens from its share link", async () => {
  const page = await openExplorer(browser, "");
  await page.locator("[data-test=lesson-file]").setInputFiles(FIXTURE);
  await page.waitForSelector("[data-test=lesson-introduction]");
  const title = await page.locator("[data-test=lesson-title]").innerText();
  await press(page, "n");
  await press(page, "n");
  const step = await page.locator("[data-test=lesson-step-title]").innerText();
  const checks = await page.locator("[data-test=lesson-check]").evaluateAll((items) => items.map((item) => item.dataset.met));
  assert.ok(checks.every((met) => met === "met"), `the fixture's first step: ${checks}`);
  const position = await statusPosition(page);
  await page.locator("[data-test=lesson-share]").click();
  const link = await page.locator("[data-test=lesson-share-link]").inputValue();
  assert.match(link, /#lesson-file=grant-a-page\.md&lesson-text=[A-Za-z0-9_-]+&step=1&went=1/);
  await screenshot(page, "lessons/fixture-shared");

  const reopened = await openExplorer(browser, link.slice(link.indexOf("#")));
  assert.equal(await reopened.locator("[data-test=lesson-title]").innerText(), title);
  assert.equal(await reopened.locator("[data-test=lesson-step-title]").innerText(), step);
  assert.equal(await statusPosition(reopened), position, "the link reopens the same moment");
  const again = await reopened.locator("[data-test=lesson-check]").evaluateAll((items) => items.map((item) => item.dataset.met));
  assert.deepEqual(again, checks);
  assert.deepEqual(page.problems, []);
  assert.deepEqual(reopened.problems, []);
});

test("a broken lesson file shows its mistakes with their lines and the page keeps working", async () => {
  const page = await openExplorer(browser, "#scenario=ping-pong");
  await press(page, "i");
  const position = await statusPosition(page);
  const broken = readFileSync(FIXTURE, "utf8").replace("**Go:**", "**Goo:**").replace(/```asm file=/, "```asm file=") + "\n**Check:** nobody has nothing\n";
  await page.locator("[data-test=lesson-file]").setInputFiles({ name: "broken.md", mimeType: "text/markdown", buffer: Buffer.from(broken) });
  await page.waitForSelector("[data-test=lesson-errors]");
  const errors = await page.locator("[data-test=lesson-error]").allInnerTexts();
  assert.ok(errors.some((error) => /^broken\.md:\d+ unknown step key `Goo`/.test(error)), errors.join("\n"));
  assert.ok(errors.every((error) => /hint:/.test(error) || !/unknown/.test(error)), "each has a hint");
  assert.match(await page.locator("[data-test=status-bar]").innerText(), /broken\.md has \d+ mistakes?/);
  assert.equal(await statusPosition(page), position, "the machine is kept");
  await press(page, "s");
  assert.equal(await statusPosition(page), position + 1, "and still steps");
  await screenshot(page, "lessons/broken-file");
  assert.deepEqual(page.problems, []);
});

test("an edited program survives reset and a CPU change, is named, and travels in the link", async () => {
  const page = await openExplorer(browser, "#scenario=hello");
  await press(page, "d");
  const editor = page.locator("[data-test=editor-text]").first();
  const source = await editorText(page);
  await editor.fill(source.replace("hello from the root task", "hello from my own edit"));
  await page.locator("[data-test=assemble]").click();
  await page.waitForFunction(() => document.body.dataset.seeking !== "true");
  assert.match(await page.locator("[data-test=programs-label]").innerText(), /\(edited\)/);
  await press(page, "0");
  await page.locator("[data-test=cpu-select]").selectOption("pentium");
  assert.match(await page.locator("[data-test=programs-label]").innerText(), /\(edited\)/, "kept across reset and CPU");
  await press(page, "r");
  await page.waitForFunction(() => document.body.dataset.running === "false", null, { timeout: 20000 });
  await press(page, "o");
  assert.match(await page.locator("[data-test=console]").innerText(), /hello from my own edit/);
  await page.waitForFunction(() => location.hash.includes("programs="), null, { timeout: 5000 });
  const hash = await page.evaluate(() => location.hash);
  const reopened = await openExplorer(browser, hash);
  await press(reopened, "r");
  await reopened.waitForFunction(() => document.body.dataset.running === "false", null, { timeout: 20000 });
  await press(reopened, "o");
  assert.match(await reopened.locator("[data-test=console]").innerText(), /hello from my own edit/, "the link carries the edit");
  assert.deepEqual(page.problems, []);
  assert.deepEqual(reopened.problems, []);
});
