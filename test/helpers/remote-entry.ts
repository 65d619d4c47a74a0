// Remote-cache test entries: meta.json consistent with its bytes and key, as the disk cache writes them.
import { randomBytes } from 'node:crypto';
import { cacheKey, sha256, type KeyParts } from '../../src/cache/key.js';

export const SECRET = 'a test secret of more than sixteen bytes';

export interface TestEntry {
  readonly key: string;
  readonly spec: Record<string, unknown>;
  readonly metaBytes: Buffer;
  readonly source: Buffer;
  readonly artifact: Buffer;
}

/** An entry whose meta.json agrees with its bytes and key, as the disk cache writes them. */
export function makeEntry(kernelSize: number, artifactBytes = 4096, overrides: Record<string, unknown> = {}): TestEntry {
  const source = Buffer.from(`// kernel ${kernelSize}x${kernelSize} ${randomBytes(8).toString('hex')}\nextern "C" int k() { return 0; }\n`);
  const artifact = randomBytes(artifactBytes);
  const parts: KeyParts = {
    format: 1,
    package: '0.1.0',
    target: 'cpu',
    sourceSha256: sha256(source),
    compiler: { kind: 'c++', version: 'g++ 12' },
    flags: ['-O3'],
    arch: 'x64 test',
  };
  const key = cacheKey(parts);
  const spec = { kernelSize: [kernelSize, kernelSize], stride: [1, 1], dtype: 'float32' };
  const meta = {
    format: 1,
    key,
    parts,
    symbol: `dwconv_${kernelSize}`,
    spec,
    variant: {},
    files: { source: 'kernel.cpp', artifact: 'kernel.so' },
    artifactBytes: artifact.length,
    artifactSha256: sha256(artifact),
    compilerPath: '/usr/bin/g++',
    compileMilliseconds: 1500,
    createdAt: new Date().toISOString(),
    ...overrides,
  };
  return { key, spec, metaBytes: Buffer.from(`${JSON.stringify(meta, null, 2)}\n`), source, artifact };
}

