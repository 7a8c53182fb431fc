/**
 * @module Where a byte sequence stops being UTF-8: the offset of the first byte that the WHATWG decoder (what
 * `new TextDecoder("utf-8", { fatal: true })` runs) refuses, so an error can say where, which the decoder's own
 * TypeError does not. Rules: no overlong forms (C0, C1, E0 80-9F, F0 80-8F), no surrogates (ED A0-BF), nothing
 * past U+10FFFF (F4 90-BF, F5-FF), no continuation byte without a lead, no sequence cut short.
 *
 * @example
 * firstInvalidUtf8(new Uint8Array([0x61, 0xc3, 0xa9]));  // -1 ("aé" is valid)
 * firstInvalidUtf8(new Uint8Array([0x61, 0xc3, 0x28]));  // 1 (the sequence that 0xC3 starts is broken)
 */

/** The offset where the first invalid sequence starts, or -1 when all of `bytes` is UTF-8. Linear in the length. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const lead = bytes[i] ?? 0;
    if (lead < 0x80) {
      i++;
      continue;
    }
    let needed: number;
    let lower = 0x80;
    let upper = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) needed = 1;
    else if (lead >= 0xe0 && lead <= 0xef) {
      needed = 2;
      if (lead === 0xe0) lower = 0xa0;
      if (lead === 0xed) upper = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      needed = 3;
      if (lead === 0xf0) lower = 0x90;
      if (lead === 0xf4) upper = 0x8f;
    } else return i;
    for (let k = 1; k <= needed; k++) {
      const next = bytes[i + k];
      if (next === undefined || next < lower || next > upper) return i;
      lower = 0x80;
      upper = 0xbf;
    }
    i += needed + 1;
  }
  return -1;
}
