import { describe, expect, it } from 'vitest';
import { cacheKey } from '../../src/cache/key.js';
import { deriveTagKey } from '../../src/cache/remote/config.js';
import { canonicalJson, checkEntry, openEnvelope, sealEnvelope } from '../../src/cache/remote/envelope.js';
import { makeEntry, SECRET } from '../helpers/remote-entry.js';

const tagKey = deriveTagKey(Buffer.from(SECRET));
const expect_ = { cacheFormat: 1, keyOf: (p: unknown) => cacheKey(p as Parameters<typeof cacheKey>[0]) };

function opened(blob: Buffer) {
  const o = openEnvelope(tagKey, blob);
  return o.ok ? 'ok' : o.reason;
}

describe('remote entry envelope', () => {
  const e = makeEntry(3);
  const blob = sealEnvelope(tagKey, e.key, e);

  it('round trip: what was sealed opens, byte for byte, and passes the checks', () => {
    const o = openEnvelope(tagKey, blob);
    expect(o.ok).toBe(true);
    if (!o.ok) return;
    expect(o.entry.key).toBe(e.key);
    expect(o.entry.metaBytes.equals(e.metaBytes) && o.entry.source.equals(e.source) && o.entry.artifact.equals(e.artifact)).toBe(true);
    expect(checkEntry(e.key, o.entry, { ...expect_, spec: e.spec })).toMatchObject({ ok: true });
  });

  it('any single flipped byte, anywhere, is refused', () => {
    // Every byte of a small envelope: header, lengths, key, meta, source, artifact and tag.
    const small = makeEntry(5, 64);
    const sealed = sealEnvelope(tagKey, small.key, small);
    const outcomes = new Set<string>();
    for (let i = 0; i < sealed.length; i++) {
      const bad = Buffer.from(sealed);
      bad[i] = bad[i]! ^ 0x01;
      const r = opened(bad);
      expect(r, `byte ${i}`).not.toBe('ok');
      outcomes.add(r);
    }
    expect([...outcomes].sort()).toEqual(['format', 'malformed', 'tag']);
  });

  it('a removed tag, a truncated envelope, a foreign value, another secret', () => {
    expect(opened(blob.subarray(0, blob.length - 32))).toBe('tag');
    expect(opened(blob.subarray(0, blob.length - 40))).toBe('malformed');
    expect(opened(Buffer.concat([blob, Buffer.from([0])]))).toBe('malformed');
    expect(opened(Buffer.from('{"meta": "hello"}'))).toBe('malformed');
    expect(openEnvelope(deriveTagKey(Buffer.from('another secret, sixteen+ bytes')), blob)).toMatchObject({ ok: false, reason: 'tag' });
  });

  it('bytes cannot move between fields: a shorter source and a longer artifact give another tag', () => {
    const shifted = sealEnvelope(tagKey, e.key, { metaBytes: e.metaBytes, source: e.source.subarray(0, 10), artifact: Buffer.concat([e.source.subarray(10), e.artifact]) });
    expect(shifted.subarray(0, 20).equals(blob.subarray(0, 20))).toBe(true);
    expect(shifted.subarray(-32).equals(blob.subarray(-32))).toBe(false);
  });

  it('an authentic envelope is still refused for the wrong key, format, hashes, names or spec', () => {
    const other = makeEntry(7);
    const check = (key: string, entry: Parameters<typeof sealEnvelope>[2], spec?: unknown) => {
      const o = openEnvelope(tagKey, sealEnvelope(tagKey, key, entry));
      if (!o.ok) return o.reason;
      const c = checkEntry(e.key, o.entry, { ...expect_, ...(spec !== undefined ? { spec } : {}) });
      return c.ok ? 'ok' : c.reason;
    };
    expect(check(other.key, other)).toBe('key'); // another entry, filed under e's key
    expect(check(e.key, other)).toBe('key'); // the envelope says e's key, meta.json says other's
    expect(check(e.key, { ...e, artifact: Buffer.concat([e.artifact, Buffer.from([1])]) })).toBe('hash');
    expect(check(e.key, { ...e, source: Buffer.from('int main() {}') })).toBe('hash');
    expect(check(e.key, e, { ...e.spec, kernelSize: [7, 7] })).toBe('spec');
    const withMeta = (patch: Record<string, unknown>) => ({ ...e, metaBytes: Buffer.from(JSON.stringify({ ...JSON.parse(e.metaBytes.toString()), ...patch })) });
    expect(check(e.key, withMeta({ format: 2 }))).toBe('format');
    expect(check(e.key, withMeta({ files: { source: 'kernel.cpp', artifact: '../../x.so' } }))).toBe('meta');
    expect(check(e.key, withMeta({ files: { source: 'meta.json', artifact: 'kernel.so' } }))).toBe('meta');
    expect(check(e.key, withMeta({ parts: { ...JSON.parse(e.metaBytes.toString()).parts, flags: ['-O0'] } }))).toBe('key');
    expect(check(e.key, { ...e, metaBytes: Buffer.from('null') })).toBe('meta');
    expect(check(e.key, e, { dtype: 'float32', stride: [1, 1], kernelSize: [3, 3] })).toBe('ok'); // field order does not matter
  });

  it('canonicalJson sorts keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"y":2,"z":1}]},"b":1}');
  });
});
