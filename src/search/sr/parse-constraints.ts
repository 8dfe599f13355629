/**
 * PySR's `nested_constraints` and `constraints` written on one line each:
 *
 *   nested:      "sin:sin=0,cos=0;exp:exp=0"   ({"sin": {"sin": 0, "cos": 0}, "exp": {"exp": 0}})
 *   constraints: "/:-1,3;sin:5"                ({"/": (-1, 3), "sin": 5})
 *
 * Every operator named must be in use; errors name the option and the part at fault.
 */
import type { ArgumentConstraints, NestedConstraints } from "./constraints.js";
import { SrOptionsError } from "./errors.js";
import type { OperatorSet, Primitive } from "./operator-names.js";
import { displayName, isBinaryPrimitive, primitiveNamed } from "./operator-names.js";

const WHOLE = /^-?\d+$/;

function operatorInUse(name: string, what: string, inUse: OperatorSet): Primitive {
  const primitive = primitiveNamed(name, what);
  const used = isBinaryPrimitive(primitive)
    ? inUse.binary.includes(primitive)
    : inUse.unary.includes(primitive);
  if (!used) {
    const names = [...inUse.binary, ...inUse.unary].map(displayName).join(" ");
    throw new SrOptionsError(
      `${what}: '${name}' is not one of the operators in use (${names}); add it to --operators`,
    );
  }
  return primitive;
}

/** Splits "A:B;C:D" into [head, body] pairs, refusing empty or repeated heads. */
function clauses(text: string, what: string): [string, string, string][] {
  const seen = new Set<string>();
  return text
    .split(";")
    .map((clause) => clause.trim())
    .filter((clause) => clause !== "")
    .map((clause) => {
      const colon = clause.indexOf(":");
      if (colon <= 0) throw new SrOptionsError(`${what}: '${clause}' is not OPERATOR:...`);
      const head = clause.slice(0, colon).trim();
      if (seen.has(head)) throw new SrOptionsError(`${what}: '${head}' appears twice`);
      seen.add(head);
      return [clause, head, clause.slice(colon + 1).trim()];
    });
}

/** Reads "sin:sin=0,cos=0;exp:exp=0". */
export function parseNested(
  text: string,
  inUse: OperatorSet,
  what = "--nested",
): NestedConstraints {
  const nested = new Map<Primitive, Map<Primitive, number>>();
  for (const [clause, head, body] of clauses(text, what)) {
    const outer = operatorInUse(head, what, inUse);
    const limits = new Map<Primitive, number>();
    for (const part of body.split(",").map((p) => p.trim())) {
      const match = /^(.+?)=(.*)$/.exec(part);
      const count = match?.[2]?.trim() ?? "";
      if (match === null || !WHOLE.test(count) || Number(count) < 0)
        throw new SrOptionsError(
          `${what}: '${part}' in '${clause}' is not INNER=N with N a whole number ≥ 0`,
        );
      const inner = operatorInUse((match[1] as string).trim(), what, inUse);
      if (limits.has(inner))
        throw new SrOptionsError(`${what}: '${match[1]}' appears twice in '${clause}'`);
      limits.set(inner, Number(count));
    }
    nested.set(outer, limits);
  }
  return nested;
}

/** Reads "/:-1,3;sin:5": one size per argument, −1 for no limit. */
export function parseArgumentSizes(
  text: string,
  inUse: OperatorSet,
  what = "--constraints",
): ArgumentConstraints {
  const sizes = new Map<Primitive, number[]>();
  for (const [clause, head, body] of clauses(text, what)) {
    const op = operatorInUse(head, what, inUse);
    const arity = isBinaryPrimitive(op) ? 2 : 1;
    const values = body.split(",").map((v) => v.trim());
    if (values.length !== arity || values.some((v) => !WHOLE.test(v) || Number(v) < -1))
      throw new SrOptionsError(
        `${what}: '${clause}' needs ${arity === 2 ? "two sizes (left,right)" : "one size"}, each a whole number ≥ 1 or -1 for no limit`,
      );
    const numbers = values.map(Number);
    if (numbers.includes(0))
      throw new SrOptionsError(`${what}: '${clause}': a size of 0 allows nothing (use ≥ 1, or -1)`);
    sizes.set(op, numbers);
  }
  return sizes;
}
