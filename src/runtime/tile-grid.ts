// The kernels' TileGrid argument (templates/cuda/tiles.hbs), written for a driver API launch.

/** (n * m) >> 32 + n) >> s == n / d for every 32-bit n: the magic numbers of FastDiv. */
export function fastDiv(d: number): { d: number; m: number; s: number } {
  let s = 0;
  while (s < 31 && 2 ** s < d) s++;
  const m = ((1n << 32n) * ((1n << BigInt(s)) - BigInt(d))) / BigInt(d) + 1n;
  return { d, m: Number(m & 0xffffffffn), s };
}

/** Bytes of a TileGrid (8-aligned). */
export const TILE_GRID_BYTES = 64;

/** Writes a TileGrid for tilesW x tilesH tiles per plane, `channels` planes per image and `n` images; returns the tile count. */
export function writeTileGrid(view: DataView, at: number, tilesW: number, tilesH: number, channels: number, n: number): bigint {
  const tiles = BigInt(tilesW) * BigInt(tilesH) * BigInt(channels) * BigInt(n);
  view.setInt32(at, tilesW, true);
  view.setInt32(at + 4, tilesH, true);
  view.setInt32(at + 8, channels, true);
  view.setBigInt64(at + 16, tiles, true);
  for (const [i, d] of [tilesW, tilesH, channels].entries()) {
    const f = fastDiv(d);
    view.setUint32(at + 24 + 12 * i, f.d, true);
    view.setUint32(at + 28 + 12 * i, f.m, true);
    view.setUint32(at + 32 + 12 * i, f.s, true);
  }
  view.setUint8(at + 60, tiles < 2n ** 31n ? 1 : 0);
  return tiles;
}
