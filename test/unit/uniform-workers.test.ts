import { describe, expect, it } from 'vitest';
import { encode } from '../../src/dtype.js';
import { generateUniform } from '../../src/tools/uniform-workers.js';
import { fillUniform } from '../../src/verify/random.js';

/** Every chunk generateUniform sinks, placed at its offset: the whole array as one thread would make it. */
async function assemble(count: number, dtype: 'float32' | 'float16' | 'bfloat16', seed: number, o: Parameters<typeof generateUniform>[4]): Promise<{ bytes: Uint8Array; chunks: number }> {
  const size = dtype === 'float32' ? 4 : 2;
  const bytes = new Uint8Array(count * size).fill(0xa5);
  let chunks = 0;
  await generateUniform(count, dtype, seed, (offset, chunk) => {
    bytes.set(chunk, offset * size);
    chunks++;
  }, o);
  return { bytes, chunks };
}

describe('generateUniform (the bench inputs on several host threads)', () => {
  it.each(['float32', 'float16', 'bfloat16'] as const)('%s: worker threads give the bytes of uniformAt stored as the dtype, every chunk once, from any first index', async (dtype) => {
    for (const [count, first] of [[10_007, 0], [3000, 2 ** 32 - 1500]] as const) {
      const { bytes, chunks } = await assemble(count, dtype, 0xc0ffee, { threads: 3, chunk: 1000, first });
      expect(chunks).toBe(Math.ceil(count / 1000));
      expect(Buffer.from(bytes).equals(Buffer.from(encode(fillUniform(new Float32Array(count), 0xc0ffee, first), dtype))), `${count} from ${first}`).toBe(true);
    }
  }, 60_000);

  it('fills on the calling thread when given one, with the same bytes', async () => {
    const one = await assemble(2500, 'bfloat16', 9, { threads: 1, chunk: 1000 });
    const three = await assemble(2500, 'bfloat16', 9, { threads: 3, chunk: 1000 });
    expect(one.chunks).toBe(3);
    expect(Buffer.from(one.bytes).equals(Buffer.from(three.bytes))).toBe(true);
  });

  it('rejects with the sink\'s error and ends its workers', async () => {
    let calls = 0;
    const failing = generateUniform(10_000, 'float32', 1, () => {
      if (++calls === 2) throw new Error('device copy failed');
    }, { threads: 2, chunk: 1000 });
    await expect(failing).rejects.toThrow('device copy failed');
  }, 60_000);
});
