/**
 * The operators of a search by the names PySR users write (`+`, `-`, `*`, `/`, `cos`, `square`),
 * read from one comma-separated list: a name's arity tells binary from unary, so one list says
 * both what PySR calls `binary_operators` and `unary_operators`. Names are checked against the
 * language's primitives; `^` is refused because the language's powers are integers only.
 */
import { UNARY_OPS } from "../../expr/ast.js";
import { SrOptionsError } from "./errors.js";
import type { BinaryPrimitive, UnaryPrimitive } from "./operators.js";

export type Primitive = BinaryPrimitive | UnaryPrimitive;

/** PySR's symbols and the language's own names, for the binary primitives. */
const BINARY_NAMES: Readonly<Record<string, BinaryPrimitive>> = {
  "+": "add",
  add: "add",
  "-": "sub",
  sub: "sub",
  "*": "mul",
  mul: "mul",
  "/": "div",
  div: "div",
  max: "max",
  min: "min",
};

/** Every pointwise function of the language (not stopgrad: it means nothing to a search). */
const UNARY_NAMES: readonly UnaryPrimitive[] = [
  ...UNARY_OPS.filter((op): op is Exclude<typeof op, "stopgrad"> => op !== "stopgrad"),
  "square",
  "cube",
];

/** How a primitive is written back to the user (PySR's symbol for the four arithmetic ones). */
export const DISPLAY_NAME: Readonly<Record<BinaryPrimitive, string>> = {
  add: "+",
  sub: "-",
  mul: "*",
  div: "/",
  max: "max",
  min: "min",
};

export const displayName = (primitive: Primitive): string =>
  primitive in DISPLAY_NAME ? DISPLAY_NAME[primitive as BinaryPrimitive] : primitive;

/** The known names, for error messages. */
export const KNOWN_OPERATOR_NAMES = `binary: + - * / max min; unary: ${UNARY_NAMES.join(" ")}`;

/** One operator name to its primitive; `what` names the option in the error. */
export function primitiveNamed(name: string, what: string): Primitive {
  const binary = BINARY_NAMES[name];
  if (binary !== undefined) return binary;
  if ((UNARY_NAMES as readonly string[]).includes(name)) return name as UnaryPrimitive;
  if (name === "^" || name === "pow")
    throw new SrOptionsError(
      `${what}: '${name}' is not available: the language's powers have integer exponents (use square or cube)`,
    );
  throw new SrOptionsError(`${what}: unknown operator '${name}' (known: ${KNOWN_OPERATOR_NAMES})`);
}

export interface OperatorSet {
  readonly binary: BinaryPrimitive[];
  readonly unary: UnaryPrimitive[];
}

/** Reads "+,-,*,/,sin,exp": names split by commas, blanks ignored, each name once. */
export function parseOperators(text: string, what = "--operators"): OperatorSet {
  const names = text
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  if (names.length === 0) throw new SrOptionsError(`${what}: no operator named`);
  const binary: BinaryPrimitive[] = [];
  const unary: UnaryPrimitive[] = [];
  for (const name of names) {
    const primitive = primitiveNamed(name, what);
    if (isBinaryPrimitive(primitive)) {
      if (!binary.includes(primitive)) binary.push(primitive);
    } else if (!unary.includes(primitive)) unary.push(primitive);
  }
  return { binary, unary };
}

export function isBinaryPrimitive(primitive: Primitive): primitive is BinaryPrimitive {
  return primitive in DISPLAY_NAME;
}
