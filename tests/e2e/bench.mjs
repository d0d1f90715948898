// `cargo xtask bench explorer`: the explorer's performance goals, measured in
// headless Chromium against the release build served from localhost.
//
// - first load to interactive: navigation start → the app's first render
//   (the `data-first-render-ms` mark the app sets), fresh profile each time;
// - step → repaint on many-threads (64 threads) after ≥ 10,000 kernel events:
//   "work" is key press → DOM updated, style and layout done; "frame" adds the
//   wait for the next painted frame (which includes vsync alignment);
// - scrubbing: a jump to a random earlier position (checkpoint + replay, in
//   slices across frames): until shown, and the longest frame on the way;
// - running: animation frames per second while the machine runs (from boot:
//   2 s at 1,000 instructions per frame; ping-pong on a fresh page after a
//   second's warm-up, 1 s as fast as possible), and the frame intervals;
// - lessons: a lesson opened from a link at its fourth step (built-in by
//   name, and a file carried whole) until the first render, and steps with
//   the Lessons panel showing a lesson against the same programs and
//   position without it.
//
// Prints a report on stdout (and the raw figures as JSON with --json).
import { launch, openExplorer, press } from "./harness.mjs";

const LOADS = 5;
const STEPS = 200;
const EVENT_STEPS = 60;
const REVERSE_STEPS = 60;
const SEEKS = 20;
const RUN_SECONDS = 2;
const EVENTS_WANTED = 10000;
const LESSON_STEPS = 60;

function percentile(values, fraction) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}

function summary(values) {
  const round = (value) => Math.round(value * 100) / 100;
  return { count: values.length, p50: round(percentile(values, 0.5)), p95: round(percentile(values, 0.95)), max: round(Math.max(...values)) };
}

async function eventCount(page) {
  const text = await page.locator("[data-test=status-bar]").innerText();
  const match = /(\d+) events/.exec(text);
  return match ? Number(match[1]) : 0;
}

/** Time `count` key presses in the page: [work ms, frame ms] each. */
async function timeKeys(page, key, count) {
  return page.evaluate(async ({ key, count }) => {
    const channel = new MessageChannel();
    const macrotask = () => new Promise((resolve) => {
      channel.port1.onmessage = () => resolve();
      channel.port2.postMessage(null);
    });
    const work = [];
    const frame = [];
    for (let index = 0; index < count; index++) {
      const before = Number(document.body.dataset.renders ?? 0);
      const start = performance.now();
      document.body.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true }));
      for (let spins = 0; Number(document.body.dataset.renders ?? 0) === before && spins < 10000; spins++) {
        await macrotask();
      }
      void document.body.offsetHeight; // style and layout
      work.push(performance.now() - start);
      await new Promise((resolve) => requestAnimationFrame(() => macrotask().then(resolve)));
      frame.push(performance.now() - start);
    }
    return { work, frame };
  }, { key, count });
}

/**
 * Time `count` scrubber jumps to pseudo-random earlier positions: how long
 * until the page shows the new position in every view, the event log whole
 * ("shown"), and the longest frame
 * while getting there ("frame": the page repaints in between while a long
 * replay goes on in slices; a frame longer than ~17 ms means it blocked).
 */
async function timeSeeks(page, count) {
  return page.evaluate(async (count) => {
    const channel = new MessageChannel();
    const macrotask = () => new Promise((resolve) => {
      channel.port1.onmessage = () => resolve();
      channel.port2.postMessage(null);
    });
    const range = document.querySelector("[data-test=scrubber-range]");
    const end = Number(range.max);
    const shown = [];
    const longest = [];
    let seed = 12345;
    for (let index = 0; index < count; index++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const target = Math.floor((seed / 2147483648) * end);
      const before = Number(document.body.dataset.renders ?? 0);
      // Frames from just before the jump until it is shown.
      let last = null;
      let worst = 0;
      let watching = true;
      const watch = (now) => {
        if (last !== null) worst = Math.max(worst, now - last);
        last = now;
        if (watching) requestAnimationFrame(watch);
      };
      await new Promise((resolve) => requestAnimationFrame((now) => { last = now; requestAnimationFrame(watch); resolve(); }));
      const start = performance.now();
      range.value = String(target);
      range.dispatchEvent(new Event("change", { bubbles: true }));
      for (let spins = 0; (Number(document.body.dataset.renders ?? 0) === before || document.body.dataset.seeking === "true" || document.querySelector("[data-test=event-list][aria-busy=true]")) && spins < 100000; spins++) {
        await macrotask();
      }
      void document.body.offsetHeight;
      shown.push(performance.now() - start);
      // The frame that paints the result counts too.
      await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      watching = false;
      longest.push(worst);
    }
    // Back to the end, for what follows.
    range.value = String(end);
    range.dispatchEvent(new Event("change", { bubbles: true }));
    for (let spins = 0; document.body.dataset.seeking === "true" && spins < 100000; spins++) await macrotask();
    return { shown, longest };
  }, count);
}

/** Animation frames during `seconds` of a run already going. */
async function runFrames(page, seconds) {
  return page.evaluate(async (seconds) => {
    const stamps = [];
    const positions = [];
    const until = performance.now() + seconds * 1000;
    await new Promise((resolve) => {
      const frame = (now) => {
        stamps.push(now);
        positions.push(Number(document.body.dataset.instructions ?? 0));
        if (now < until && document.body.dataset.running === "true") requestAnimationFrame(frame);
        else resolve();
      };
      requestAnimationFrame(frame);
    });
    const intervals = stamps.slice(1).map((stamp, index) => stamp - stamps[index]);
    const elapsed = (stamps[stamps.length - 1] - stamps[0]) / 1000;
    // Modelled user instructions per second of wall time over these frames.
    const rate = elapsed > 0 ? (positions[positions.length - 1] - positions[0]) / elapsed : 0;
    return { frames: stamps.length - 1, elapsed, intervals, rate, stillRunning: document.body.dataset.running === "true" };
  }, seconds);
}

const browser = await launch();
const result = {};
try {
  const loads = [];
  for (let index = 0; index < LOADS; index++) {
    const page = await openExplorer(browser);
    await page.waitForSelector("body[data-first-render-ms]", { timeout: 30000 });
    loads.push(Number(await page.evaluate(() => document.body.dataset.firstRenderMs)));
    await page.context().close();
  }
  result.load = summary(loads);

  const page = await openExplorer(browser, "#scenario=many-threads&cpu=486&small=0&at=0");
  // Frames while running, at two speeds, from the start of the run.
  await page.selectOption("[data-test=speed]", { index: 3 });
  await page.keyboard.press("r");
  const measureRun = async (name, seconds = RUN_SECONDS) => {
    const run = await runFrames(page, seconds);
    result[`run ${name}`] = {
      fps: Math.round((run.frames / run.elapsed) * 10) / 10,
      frame: summary(run.intervals),
      stillRunning: run.stillRunning,
      events: await eventCount(page),
    };
  };
  await measureRun("1,000 per frame");
  // Go on until the log holds enough events, then pause.
  const runStart = Date.now();
  while ((await eventCount(page)) < EVENTS_WANTED) {
    if (Date.now() - runStart > 240000) throw new Error(`many-threads produced only ${await eventCount(page)} events in 240 s`);
    if ((await page.evaluate(() => document.body.dataset.running)) !== "true") {
      throw new Error(`the run stopped after ${await eventCount(page)} events, before ${EVENTS_WANTED}`);
    }
    await page.waitForTimeout(50);
  }
  await page.keyboard.press("r");
  await page.waitForFunction(() => document.body.dataset.running === "false");
  result.events = await eventCount(page);
  result.threads = await page.locator("[data-test=lane]").count();

  const steps = await timeKeys(page, "s", STEPS);
  result.step = { work: summary(steps.work), frame: summary(steps.frame) };
  const events = await timeKeys(page, "e", EVENT_STEPS);
  result.stepEvent = { work: summary(events.work), frame: summary(events.frame) };
  const reverse = await timeKeys(page, "b", REVERSE_STEPS);
  result.reverseStep = { work: summary(reverse.work), frame: summary(reverse.frame) };
  const seeks = await timeSeeks(page, SEEKS);
  result.seek = {
    shown: summary(seeks.shown),
    frame: summary(seeks.longest),
    // Jumps during which a frame came late (an interval of two frames or more).
    late: seeks.longest.filter((interval) => interval > 25).length,
  };
  // As fast as possible: many-threads ends within a fraction of a second at
  // full speed, so this is ping-pong (10,000 round trips between two
  // spaces, with a pager), on a fresh page warmed up by a second at 1,000
  // instructions per frame (the browser optimises hot wasm code only after
  // a while), then one second as fast as possible.
  if (page.problems.length > 0) result.problems = [...page.problems];
  const fresh = await openExplorer(browser, "#scenario=ping-pong&cpu=486&small=0&at=0");
  await fresh.selectOption("[data-test=speed]", { index: 3 });
  await fresh.keyboard.press("r");
  await fresh.waitForTimeout(1000);
  await fresh.selectOption("[data-test=speed]", { index: 5 });
  const run = await runFrames(fresh, 1);
  result["run as fast as possible"] = {
    fps: Math.round((run.frames / run.elapsed) * 10) / 10,
    frame: summary(run.intervals),
    stillRunning: run.stillRunning,
    events: await eventCount(fresh),
    // Modelled user instructions per second of wall time over the frames
    // measured (until the run ended, if it did: ping-pong is ~484,000
    // instructions), and the status bar's own figure (its last second).
    measured: run.rate,
    rate: run.stillRunning ? await fresh.locator("[data-test=run-rate]").innerText().catch(() => "—") : "—",
  };
  if (fresh.problems.length > 0) result.problems = [...(result.problems ?? []), ...fresh.problems];

  // Lessons: opened from a link at a step (the replay to it is part of the
  // first render), then steps with and without the lesson panel.
  const lessonLoads = [];
  for (let index = 0; index < LOADS; index++) {
    const opened = await openExplorer(browser, "#lesson=ipc&step=4&went=1");
    await opened.waitForSelector("body[data-first-render-ms]", { timeout: 30000 });
    lessonLoads.push(Number(await opened.evaluate(() => document.body.dataset.firstRenderMs)));
    await opened.context().close();
  }
  result.lessonLoad = summary(lessonLoads);
  // The same 60 steps from the same moment, with the lesson's panel and
  // after closing the lesson (the panel then lists the lessons).
  const lessonPage = await openExplorer(browser, "#lesson=ipc&step=1&went=1");
  await lessonPage.waitForSelector("[data-test=lesson-step-title]");
  const position = () => lessonPage.locator("[data-test=position]").innerText().then((text) => Number(/instruction (\d+)/.exec(text)[1]));
  const start = await position();
  const back = async () => {
    await lessonPage.evaluate((start) => {
      const range = document.querySelector("[data-test=scrubber-range]");
      range.value = String(start);
      range.dispatchEvent(new Event("change", { bubbles: true }));
    }, start);
    await lessonPage.waitForFunction((start) => document.body.dataset.seeking !== "true"
      && document.querySelector("[data-test=position]").innerText.includes(`instruction ${start} `), start, { timeout: 20000 });
  };
  // A first pass warms the page's code up (the browser optimises hot
  // WebAssembly after a while); both measured passes come after it.
  await timeKeys(lessonPage, "s", LESSON_STEPS);
  await back();
  const withLesson = await timeKeys(lessonPage, "s", LESSON_STEPS);
  await lessonPage.locator("[data-test=lesson-close]").click();
  await back();
  const without = await timeKeys(lessonPage, "s", LESSON_STEPS);
  // The memory view (5) instead of the spaces view, the same steps again,
  // after a pass that warms its code up as the first pass did the rest.
  await press(lessonPage, "5");
  await back();
  await timeKeys(lessonPage, "s", LESSON_STEPS);
  await back();
  const memory = await timeKeys(lessonPage, "s", LESSON_STEPS);
  result.memoryStep = summary(memory.work);
  if (lessonPage.problems.length > 0) result.problems = [...(result.problems ?? []), ...lessonPage.problems];
  result.lessonStep = { with: summary(withLesson.work), without: summary(without.work), from: start };

} finally {
  await browser.close();
}
if (process.argv.includes("--json")) {
  console.log(JSON.stringify(result));
} else {
  const ms = (value) => (value === null || value === undefined ? "?" : `${value.toFixed(1)} ms`).padStart(9);
  const line = (label, figures) =>
    console.log(`${label.padEnd(46)} p50 ${ms(figures.p50)}   p95 ${ms(figures.p95)}   max ${ms(figures.max)}   (n = ${figures.count})`);
  line("first load → first render (goal ≤ 2000 ms)", result.load);
  console.log(`many-threads on the 486, paused after ${result.events} kernel events, ${result.threads} thread lanes:`);
  for (const [key, name] of [["step", "step"], ["stepEvent", "step to event"], ["reverseStep", "reverse step"]]) {
    line(`  ${name}: key → DOM updated and laid out`, result[key].work);
    line(`  ${name}: key → next frame painted`, result[key].frame);
  }
  line("  scrub to a random earlier position: shown", result.seek.shown);
  line("  scrub: longest frame until shown", result.seek.frame);
  console.log(`  scrub: jumps during which a frame came late: ${result.seek.late} of ${result.seek.frame.count}`);
  for (const name of ["1,000 per frame", "as fast as possible"]) {
    const run = result[`run ${name}`];
    if (name === "as fast as possible") console.log("ping-pong on the 486, after a second at 1,000 instructions per frame:");
    console.log(`  running at ${name}: ${run.fps} frames/s (goal ≥ 30), ${run.events} events by the end${run.stillRunning ? "" : " — the run stopped early"}`);
    line("    frame interval", run.frame);
    if (run.measured && name === "as fast as possible") console.log(`    modelled user instructions per second of wall time: ${(run.measured / 1e6).toFixed(2)} M (goal ≥ 50 M), over ${run.frame.count} frames`);
    if (run.rate && run.rate !== "—") console.log(`    the status bar's speed: ${run.rate}`);
  }
  line("lesson link at step 4 → first render (goal ≤ 2000 ms)", result.lessonLoad);
  console.log(`the ipc lesson's programs, ${LESSON_STEPS} steps from instruction ${result.lessonStep.from}:`);
  line("  step with the lesson panel: key → laid out", result.lessonStep.with);
  line("  step without a lesson: key → laid out", result.lessonStep.without);
  console.log(`  the lesson panel adds ${(result.lessonStep.with.p95 - result.lessonStep.without.p95).toFixed(1)} ms to the step p95 (goal ≤ 2 ms)`);
  line("  step with the memory view shown: key → laid out", result.memoryStep);
  console.log(`  the memory view adds ${(result.memoryStep.p95 - result.lessonStep.without.p95).toFixed(1)} ms to the step p95 against the spaces view (goal ≤ 2 ms)`);
  if (result.problems) console.log(`page problems: ${result.problems.join("; ")}`);
}
