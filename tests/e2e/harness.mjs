// Shared set-up for the explorer's end-to-end tests: Debian's Chromium,
// headless, driven by playwright-core (never a downloaded browser).
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

export const baseUrl = process.env.L4_EXPLORER_URL;
const executablePath = process.env.L4_CHROMIUM ?? "/usr/bin/chromium";
export const artifacts = process.env.L4_E2E_ARTIFACTS ?? "../../target/e2e";

if (!baseUrl) {
  throw new Error("L4_EXPLORER_URL is not set: run these tests through `cargo xtask test --only browser`, which builds and serves the explorer");
}

/** Flags that make Chromium work as root on these machines, with no network. */
const flags = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

/** Launch a browser; every test gets a fresh profile. */
export async function launch() {
  return chromium.launch({ executablePath, args: flags, headless: true });
}

/**
 * Open the explorer at `path` (default "/") in a 1280×800 page. Collects
 * console errors and page errors in `page.problems` for the test to assert on.
 */
export async function openExplorer(browser, path = "", options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  page.problems = [];
  page.on("console", (message) => {
    if (message.type() === "error") page.problems.push(`console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => page.problems.push(`page error: ${error.message}`));
  await page.goto(new URL(path, baseUrl).toString());
  await page.waitForSelector("body[data-ready='true']", { timeout: 30000 });
  return page;
}

/** Save a screenshot under target/e2e/. */
export async function screenshot(page, name) {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: false });
}

/** The machine's position (user instructions retired) from the scrubber, once any seek has arrived. */
export async function statusPosition(page) {
  // A long seek replays across frames: wait until it has arrived and is shown.
  await page.waitForFunction(() => document.body.dataset.seeking !== "true", null, { timeout: 20000 });
  await eventLogFilled(page);
  const text = await page.locator("[data-test=position]").innerText();
  return Number(/instruction (\d+)/.exec(text)[1]);
}

/** Wait until the event log is whole (it fills across frames after a jump). */
export async function eventLogFilled(page) {
  await page.waitForFunction(() => !document.querySelector("[data-test=event-list][aria-busy=true]"), null, { timeout: 10000 });
}

/** Press a key and wait until the page has rendered the result. */
export async function press(page, key) {
  const renders = await page.evaluate(() => Number(document.body.dataset.renders ?? 0));
  await page.keyboard.press(key);
  await page.waitForFunction((before) => Number(document.body.dataset.renders ?? 0) > before, renders, { timeout: 10000 }).catch(() => {});
  await eventLogFilled(page);
}

/** Press `key` until `done()` holds (at most `limit` times); whether it did. */
export async function pressUntil(page, key, done, limit) {
  for (let count = 0; count < limit; count++) {
    if (await done()) return true;
    await press(page, key);
  }
  return done();
}

/** The text in the program editor (CodeMirror keeps it in its state, not in a form field). */
export async function editorText(page) {
  return page.evaluate(() => {
    const host = document.querySelector("[data-test=editor-host]");
    if (host?.l4Editor) return window.l4Editor.getText(host.l4Editor);
    return document.querySelector("[data-test=editor-text]")?.value ?? "";
  });
}
