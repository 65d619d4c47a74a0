// The authenticated envelope of a remote entry: one Redis value holding the key, meta.json, the
// source and the artifact, with an HMAC-SHA256 tag over all of it under the fleet's shared secret.
//
//   magic "dwconv-jit remote\0" | u32 version | (u32 length, bytes) × [key, meta, source, artifact] | tag (32 bytes)
//
// The tag covers every byte before it (magic and version included), and each field carries its
// length, so no two different entries encode to the same bytes: bytes cannot move between fields.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Hidden } from './config.js';

export const ENVELOPE_VERSION = 1;
const MAGIC = Buffer.from('dwconv-jit remote\0', 'latin1');
const TAG_BYTES = 32;
const HEADER_BYTES = MAGIC.length + 4;

/** Why a remote entry was refused; each is counted. */
export type RefusalReason =
  | 'malformed' // not an envelope of this package, or truncated
  | 'format' // an envelope or cache format this version does not read
  | 'tag' // no tag, or a tag that does not match (tampered, or written under another secret)
  | 'key' // the entry names another key than the one asked for
  | 'meta' // meta.json unreadable or missing fields
  | 'hash' // the artifact or source does not match the hashes meta.json records
  | 'spec' // meta.json's spec is not the spec asked for
  | 'size'; // larger than the configured limit

export const REFUSAL_REASONS: readonly RefusalReason[] = ['malformed', 'format', 'tag', 'key', 'meta', 'hash', 'spec', 'size'];

/** The bytes of one cache entry: meta.json as written to disk, the source, the artifact. */
export interface EntryBytes {
  readonly metaBytes: Buffer;
  readonly source: Buffer;
  readonly artifact: Buffer;
}

export interface OpenedEnvelope extends EntryBytes {
  readonly key: string;
}

export type Opened = { readonly ok: true; readonly entry: OpenedEnvelope } | { readonly ok: false; readonly reason: RefusalReason; readonly detail: string };

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function tagOf(tagKey: Hidden<Buffer>, body: Buffer): Buffer {
  return createHmac('sha256', tagKey.reveal()).update(body).digest();
}

/** Encodes and tags one entry. */
export function sealEnvelope(tagKey: Hidden<Buffer>, key: string, entry: EntryBytes): Buffer {
  const parts: Buffer[] = [MAGIC, u32(ENVELOPE_VERSION)];
  for (const field of [Buffer.from(key, 'utf8'), entry.metaBytes, entry.source, entry.artifact]) parts.push(u32(field.length), field);
  const body = Buffer.concat(parts);
  return Buffer.concat([body, tagOf(tagKey, body)]);
}

/**
 * Parses an envelope and checks its tag (in constant time) before anything in it is looked at.
 * Only the structure is read before the tag check: lengths, bounded by the buffer.
 */
export function openEnvelope(tagKey: Hidden<Buffer>, blob: Buffer): Opened {
  const refuse = (reason: RefusalReason, detail: string): Opened => ({ ok: false, reason, detail });
  if (blob.length < HEADER_BYTES || !blob.subarray(0, MAGIC.length).equals(MAGIC)) return refuse('malformed', 'not a dwconv-jit remote entry');
  const version = blob.readUInt32BE(MAGIC.length);
  if (version !== ENVELOPE_VERSION) return refuse('format', `envelope version ${version}, this version reads ${ENVELOPE_VERSION}`);
  const fields: Buffer[] = [];
  let at = HEADER_BYTES;
  for (let i = 0; i < 4; i++) {
    if (at + 4 > blob.length) return refuse('malformed', 'truncated');
    const length = blob.readUInt32BE(at);
    at += 4;
    if (at + length > blob.length) return refuse('malformed', 'truncated');
    fields.push(blob.subarray(at, at + length));
    at += length;
  }
  const rest = blob.length - at;
  if (rest === 0) return refuse('tag', 'the entry carries no tag');
  if (rest !== TAG_BYTES) return refuse('malformed', `${rest} bytes after the fields, a tag is ${TAG_BYTES}`);
  if (!timingSafeEqual(blob.subarray(at), tagOf(tagKey, blob.subarray(0, at)))) {
    return refuse('tag', 'the tag does not match: the entry was changed, or written under another secret');
  }
  const [key, metaBytes, source, artifact] = fields as [Buffer, Buffer, Buffer, Buffer];
  // Views into the envelope, not copies: the envelope is little more than these fields.
  return { ok: true, entry: { key: key.toString('utf8'), metaBytes, source, artifact } };
}

/** What the reader expects of an entry beyond its tag. */
export interface EntryExpectation {
  /** The cache format version this reader writes (meta.format); unchecked when undefined. */
  readonly cacheFormat?: number;
  /** The normalized spec the caller is compiling (compared as canonical JSON); unchecked when undefined. */
  readonly spec?: unknown;
  /** Recomputes the key from meta.parts (the disk cache's own key function), so parts and key must agree. */
  readonly keyOf?: (parts: unknown) => string;
}

export type Checked = { readonly ok: true; readonly meta: Record<string, unknown> } | { readonly ok: false; readonly reason: RefusalReason; readonly detail: string };

const SAFE_FILE_NAME = /^[A-Za-z0-9._-]{1,64}$/;

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** JSON with object keys sorted, so two equal specs compare equal whatever order their fields came in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/**
 * Checks an opened (authentic) envelope against what was asked for: the key, meta.json's own key,
 * format, file names, the artifact's and the source's hashes, the key parts and the spec. A holder
 * of the secret is trusted like a compiler, but an entry filed under the wrong key or for another
 * spec (a writer's bug, a replay) is still a miss, not a load.
 */
export function checkEntry(key: string, entry: OpenedEnvelope, expect: EntryExpectation = {}): Checked {
  const refuse = (reason: RefusalReason, detail: string): Checked => ({ ok: false, reason, detail });
  if (entry.key !== key) return refuse('key', `the envelope is for key ${entry.key.slice(0, 16)}`);
  let meta: unknown;
  try {
    meta = JSON.parse(entry.metaBytes.toString('utf8'));
  } catch {
    return refuse('meta', 'meta.json is not valid JSON');
  }
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) return refuse('meta', 'meta.json is not an object');
  const m = meta as Record<string, unknown>;
  if (m.key !== key) return refuse('key', 'meta.json names another key');
  if (expect.cacheFormat !== undefined && m.format !== expect.cacheFormat) return refuse('format', `cache format ${String(m.format)}, this version reads ${expect.cacheFormat}`);
  const files = m.files as Record<string, unknown> | undefined;
  const names = [files?.source, files?.artifact];
  if (names.some((n) => typeof n !== 'string' || !SAFE_FILE_NAME.test(n) || n === 'meta.json') || names[0] === names[1]) {
    return refuse('meta', 'meta.json names no plain, distinct source and artifact files');
  }
  if (m.artifactBytes !== entry.artifact.length) return refuse('hash', `the artifact has ${entry.artifact.length} bytes, meta.json says ${String(m.artifactBytes)}`);
  if (m.artifactSha256 !== sha256(entry.artifact)) return refuse('hash', 'the artifact does not match its sha256');
  const parts = m.parts as Record<string, unknown> | undefined;
  if (parts === null || typeof parts !== 'object') return refuse('meta', 'meta.json has no key parts');
  if (parts.sourceSha256 !== sha256(entry.source)) return refuse('hash', 'the source does not match the sha256 in the key parts');
  if (expect.keyOf) {
    let recomputed: string;
    try {
      recomputed = expect.keyOf(parts);
    } catch {
      return refuse('meta', 'the key parts cannot be hashed');
    }
    if (recomputed !== key) return refuse('key', 'the key parts give another key');
  }
  if (expect.spec !== undefined && canonicalJson(m.spec) !== canonicalJson(expect.spec)) return refuse('spec', 'meta.json records another spec');
  return { ok: true, meta: m };
}
