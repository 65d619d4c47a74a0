// Plan expressions as C: i64 arithmetic on the host launcher's locals (see host-launcher.ts), the same
// semantics as evaluate() in src/plan/expr.ts (truncating division, 0/1 comparisons).
import type { BinaryOp, Expr, PlanVariable } from '../plan/expr.js';

/** The host launcher's local (or argument) holding each plan variable. */
export const C_VARIABLES: Readonly<Record<PlanVariable, string>> = {
  N: 'N', C: 'C', H: 'H', W: 'W', Ho: 'Ho', Wo: 'Wo', xLow: 'x_low', yLow: 'y_low', rLow: 'r_low', SMs: 'sms',
};

const INFIX: Readonly<Record<Exclude<BinaryOp, 'ceilDiv' | 'min' | 'max'>, string>> = {
  add: '+', sub: '-', mul: '*', div: '/', mod: '%', lt: '<', le: '<=', eq: '==', ne: '!=', ge: '>=', gt: '>',
};

export function cExpr(e: Expr): string {
  switch (e.op) {
    case 'const': return Math.abs(e.value) > 2 ** 31 - 1 ? `${e.value}ll` : `${e.value}`;
    case 'var': return C_VARIABLES[e.name];
    case 'and': return `(${e.args.map(cExpr).join(' && ')})`;
    case 'or': return `(${e.args.map(cExpr).join(' || ')})`;
    case 'not': return `!${cExpr(e.a)}`;
    case 'ceilDiv': return `((${cExpr(e.a)} + ${cExpr(e.b)} - 1) / ${cExpr(e.b)})`;
    case 'min': return `(${cExpr(e.a)} < ${cExpr(e.b)} ? ${cExpr(e.a)} : ${cExpr(e.b)})`;
    case 'max': return `(${cExpr(e.a)} > ${cExpr(e.b)} ? ${cExpr(e.a)} : ${cExpr(e.b)})`;
    default: return `(${cExpr(e.a)} ${INFIX[e.op]} ${cExpr(e.b)})`;
  }
}
