// Removes the top-level `component-name` custom section from a component, in place.
//
// wasm-component-ld names every item it creates (shims, lowered imports, instances) in a
// `component-name` section: about 16 KB of whatsapp.wasm that only tools printing the
// component read. Names inside the core module are not touched (the release build has
// none), nor is anything else: the bytes of every other section are copied as they are.
//
// usage: node scripts/strip-component-names.mjs FILE.wasm
import { readFileSync, writeFileSync } from "node:fs";

const file = process.argv[2];
const bytes = readFileSync(file);
// A component: magic, then version 0x0d 0x00 and layer 0x01 0x00.
const header = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];
if (bytes.length < 8 || header.some((b, i) => bytes[i] !== b)) process.exit(0);

function leb(at) {
  let value = 0, shift = 0, byte;
  do {
    if (at >= bytes.length) throw new Error(`${file}: truncated LEB128 at ${at}`);
    byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, at];
}

const kept = [bytes.subarray(0, 8)];
let at = 8, removed = 0;
while (at < bytes.length) {
  const start = at, id = bytes[at];
  const [size, body] = leb(at + 1);
  const end = body + size;
  if (end > bytes.length) throw new Error(`${file}: section at ${start} runs past the end`);
  let name = null;
  if (id === 0) {
    const [length, text] = leb(body);
    name = bytes.subarray(text, text + length).toString("utf8");
  }
  if (name === "component-name") removed += end - start;
  else kept.push(bytes.subarray(start, end));
  at = end;
}
if (removed > 0) writeFileSync(file, Buffer.concat(kept));
