/** Bad options of a symbolic regression (exit code 2, as all bad input). */
import { InputError } from "../../base/errors.js";

export class SrOptionsError extends InputError {
  override name = "SrOptionsError";
}
