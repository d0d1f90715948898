// `cargo xtask bench model`, the browser half: the model's benchmark
// workloads run in headless Chromium through `l4.benchModel` (the release
// build of the explorer). Prints `cpu<TAB>workload<TAB>instructions<TAB>ms`
// lines, like `machine-model/examples/speed.rs` does natively.
import { launch, openExplorer } from "./harness.mjs";

const instructions = Number(process.argv[2] ?? 20000000);
const names = { integer: "integer loop", paging: "64 pages, mov cr3 every 1,000" };
const browser = await launch();
try {
  const page = await openExplorer(browser);
  for (const cpu of ["486", "pentium"]) {
    for (const workload of ["integer", "paging"]) {
      const result = JSON.parse(await page.evaluate(([cpu, workload, instructions]) => window.l4.benchModel(cpu, workload, instructions), [cpu, workload, instructions]));
      console.log(`${cpu}\t${names[workload]}\t${result.instructions}\t${result.milliseconds.toFixed(1)}`);
    }
  }
  if (page.problems.length > 0) throw new Error(page.problems.join("; "));
} finally {
  await browser.close();
}
