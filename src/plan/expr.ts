// A small expression language as plain data: the launch plan's grid formulas, shared memory sizes and
// entry conditions. Two consumers read the same trees: `evaluate` here (the NVRTC launcher, the tests)
// and the C emitter of the nvcc host launcher. Both compute in 64-bit integers with C's semantics
// (division truncates toward zero, comparisons give 0 or 1), so one formula gives one answer.

/** A call's values the plan may name: the sizes the caller passed, the output extents, pointer alignments. */
export type PlanVariable =
  | 'N' | 'C' | 'H' | 'W'
  | 'Ho' | 'Wo'
  /** The low 8 bits of an address: every alignment the plan asks is a divisor of 256. */
  | 'xLow' | 'yLow' | 'rLow'
  /** The device's multiprocessor count, read from the device: launch rules that fill the GPU scale with it. */
  | 'SMs';

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'ceilDiv' | 'mod' | 'min' | 'max' | 'lt' | 'le' | 'eq' | 'ne' | 'ge' | 'gt';

export type Expr =
  | { readonly op: 'const'; readonly value: number }
  | { readonly op: 'var'; readonly name: PlanVariable }
  | { readonly op: BinaryOp; readonly a: Expr; readonly b: Expr }
  | { readonly op: 'and' | 'or'; readonly args: readonly Expr[] }
  | { readonly op: 'not'; readonly a: Expr };

export type Bindings = Readonly<Record<PlanVariable, bigint>>;

/** An operand: a number is a constant. */
export type Operand = Expr | number;

const lift = (e: Operand): Expr => (typeof e === 'number' ? { op: 'const', value: e } : e);
const binary = (op: BinaryOp) => (a: Operand, b: Operand): Expr => ({ op, a: lift(a), b: lift(b) });

export const num = (value: number): Expr => ({ op: 'const', value });
export const v = (name: PlanVariable): Expr => ({ op: 'var', name });
export const add = binary('add');
export const sub = binary('sub');
export const mul = binary('mul');
/** a / b truncated, as C's integer division (the plan divides non-negative values only). */
export const div = binary('div');
/** (a + b - 1) / b: tiles of b that cover a. */
export const ceilDiv = binary('ceilDiv');
export const mod = binary('mod');
export const min = binary('min');
export const max = binary('max');
export const lt = binary('lt');
export const le = binary('le');
export const eq = binary('eq');
export const ne = binary('ne');
export const ge = binary('ge');
export const gt = binary('gt');
export const and = (...args: Operand[]): Expr => ({ op: 'and', args: args.map(lift) });
export const or = (...args: Operand[]): Expr => ({ op: 'or', args: args.map(lift) });
export const not = (a: Operand): Expr => ({ op: 'not', a: lift(a) });
export const TRUE: Expr = num(1);
/** a is a multiple of b. */
export const divides = (b: Operand, a: Operand): Expr => eq(mod(a, b), 0);

const truth = (x: boolean): bigint => (x ? 1n : 0n);

/** The value of `e` for one call: exact (BigInt), as C's i64 arithmetic gives it where nothing overflows. */
export function evaluate(e: Expr, vars: Bindings): bigint {
  switch (e.op) {
    case 'const': return BigInt(e.value);
    case 'var': return vars[e.name];
    case 'and': return truth(e.args.every((x) => evaluate(x, vars) !== 0n));
    case 'or': return truth(e.args.some((x) => evaluate(x, vars) !== 0n));
    case 'not': return truth(evaluate(e.a, vars) === 0n);
    default: {
      const a = evaluate(e.a, vars), b = evaluate(e.b, vars);
      switch (e.op) {
        case 'add': return a + b;
        case 'sub': return a - b;
        case 'mul': return a * b;
        case 'div': return a / b;
        case 'ceilDiv': return (a + b - 1n) / b;
        case 'mod': return a % b;
        case 'min': return a < b ? a : b;
        case 'max': return a > b ? a : b;
        case 'lt': return truth(a < b);
        case 'le': return truth(a <= b);
        case 'eq': return truth(a === b);
        case 'ne': return truth(a !== b);
        case 'ge': return truth(a >= b);
        case 'gt': return truth(a > b);
      }
    }
  }
}

/** Whether a condition holds for one call. */
export const holds = (e: Expr, vars: Bindings): boolean => evaluate(e, vars) !== 0n;
