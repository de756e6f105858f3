// Draws images/icon.png (128×128 RGBA): a magnifying lens over three thread
// lines, one of them held up (red) where the lens sits — the GIL. Written
// with zlib only, so the icon can be regenerated without image tools:
//   node images/make-icon.mjs
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const N = 128;
const SS = 4; // supersamples per axis, for anti-aliased edges

const bg = [30, 58, 95];
const threads = [
  { y: 40, color: [255, 212, 59] },
  { y: 64, color: [235, 87, 87] },
  { y: 88, color: [75, 139, 190] },
];
const lens = { x: 56, y: 60, r: 30, w: 7 };

function roundedRect(x, y) {
  const r = 24;
  const dx = Math.max(r - x, 0, x - (N - r));
  const dy = Math.max(r - y, 0, y - (N - r));
  return Math.hypot(dx, dy) <= r;
}

function distToSegment(px, py, ax, ay, bx, by) {
  const t = Math.max(0, Math.min(1, ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)));
  return Math.hypot(px - (ax + t * (bx - ax)), py - (ay + t * (by - ay)));
}

/** Colour of one sample point, or null outside the icon. */
function sample(x, y) {
  if (!roundedRect(x, y)) return null;
  let c = bg;
  const d = Math.hypot(x - lens.x, y - lens.y);
  const inLens = d < lens.r - lens.w / 2;
  for (const t of threads) {
    // Inside the lens the threads are drawn as dashes: they wait their turn.
    const dashed = inLens && Math.floor(x / 8) % 2 === 1;
    if (Math.abs(y - t.y) <= 4 && x > 14 && x < 114 && !dashed) c = t.color;
  }
  if (inLens) c = c.map((v) => Math.round(v * 0.75 + 255 * 0.25));
  if (Math.abs(d - lens.r) <= lens.w / 2) c = [245, 245, 245];
  if (distToSegment(x, y, lens.x + 23, lens.y + 23, 112, 110) <= 6) c = [245, 245, 245];
  return c;
}

const raw = Buffer.alloc(N * (N * 4 + 1));
for (let y = 0; y < N; y++) {
  raw[y * (N * 4 + 1)] = 0; // filter: none
  for (let x = 0; x < N; x++) {
    const acc = [0, 0, 0, 0];
    for (let sy = 0; sy < SS; sy++) {
      for (let sx = 0; sx < SS; sx++) {
        const c = sample(x + (sx + 0.5) / SS, y + (sy + 0.5) / SS);
        if (!c) continue;
        acc[0] += c[0];
        acc[1] += c[1];
        acc[2] += c[2];
        acc[3] += 1;
      }
    }
    const o = y * (N * 4 + 1) + 1 + x * 4;
    if (acc[3] > 0) {
      raw[o] = Math.round(acc[0] / acc[3]);
      raw[o + 1] = Math.round(acc[1] / acc[3]);
      raw[o + 2] = Math.round(acc[2] / acc[3]);
    }
    raw[o + 3] = Math.round((255 * acc[3]) / (SS * SS));
  }
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(N, 0);
ihdr.writeUInt32BE(N, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
const out = path.join(path.dirname(new URL(import.meta.url).pathname), 'icon.png');
fs.writeFileSync(out, png);
console.log(`wrote ${out} (${png.length} bytes)`);
