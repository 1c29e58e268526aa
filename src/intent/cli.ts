import { createInterface } from "node:readline";
import { parseIntent } from "./parse";
import type { IntentDictionary } from "./types";

/**
 * `cli intent <question…>` prints the parse of the question as one JSON line; with no arguments
 * it reads one question per line from stdin and prints one JSON line per non-empty line, in order.
 * Returns the process exit code.
 */
export async function runIntentCli(
  argv: string[],
  io: { stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream },
  dict: IntentDictionary,
): Promise<number> {
  const print = (question: string) => {
    const { intent, slots } = parseIntent(question, dict);
    io.stdout.write(JSON.stringify({ intent, slots }) + "\n");
  };
  const args = argv[0] === "--" ? argv.slice(1) : argv;
  if (args.length > 0) {
    print(args.join(" "));
    return 0;
  }
  const lines = createInterface({ input: io.stdin, crlfDelay: Infinity, terminal: false });
  for await (const line of lines) if (line.trim()) print(line);
  return 0;
}
