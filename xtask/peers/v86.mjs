// `cargo xtask bench model --peers`: boot a multiboot image in v86 (its npm
// package, no BIOS) and print the milliseconds from the emulator's start to
// the first byte the image writes to COM1. `node v86.mjs IMAGE jit|interpreter`.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const [image, mode] = process.argv.slice(2);
if (!image || !["jit", "interpreter"].includes(mode)) {
  console.error("usage: node v86.mjs IMAGE jit|interpreter");
  process.exit(2);
}
const require = createRequire(import.meta.url);
const build = dirname(require.resolve("v86/build/libv86.mjs"));
const { V86 } = await import(join(build, "libv86.mjs"));
const bytes = readFileSync(image);
const emulator = new V86({
  wasm_path: join(build, "v86.wasm"),
  memory_size: 32 * 1024 * 1024,
  multiboot: { buffer: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) },
  disable_jit: mode === "interpreter",
  autostart: true,
});
let started = performance.now();
emulator.add_listener("emulator-started", () => {
  started = performance.now();
});
emulator.add_listener("serial0-output-byte", () => {
  console.log((performance.now() - started).toFixed(1));
  emulator.destroy();
  process.exit(0);
});
setTimeout(() => {
  console.error("v86: the image wrote nothing to COM1 within 10 minutes");
  process.exit(1);
}, 600_000);
