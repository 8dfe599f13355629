/** With --json, stdout carries one JSON document and nothing else; human text goes to stderr. */
export interface Output {
  readonly json: boolean;
  /** Human-readable text: stdout normally, stderr under --json. */
  say(text: string): void;
  /** The command's result: printed as JSON under --json, else rendered by `human`. */
  result(value: unknown, human: () => string): void;
}

export function makeOutput(json: boolean): Output {
  return {
    json,
    say(text) {
      (json ? process.stderr : process.stdout).write(`${text}\n`);
    },
    result(value, human) {
      if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
      else process.stdout.write(`${human()}\n`);
    },
  };
}
