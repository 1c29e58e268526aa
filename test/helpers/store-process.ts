/**
 * A child process hosting the embedded store with a data file (journal on), for crash tests:
 *   node --import tsx test/helpers/store-process.ts <dataFile> [snapshotAfterJournalBytes]
 * Prints one JSON line `{ "uri": ... }` on stdout when listening; logs (pino JSON) go to stderr.
 * Start-up errors are printed to stderr, exit code 1.
 */
import { pino } from "pino";
import { startMongoWire } from "@rectify-bot/mongo-wire";

const [dataFile, compactBytes] = process.argv.slice(2);
const logger = pino({ level: "info" }, pino.destination(2));
startMongoWire({
  dataFile,
  logger,
  ...(compactBytes ? { snapshotAfterJournalBytes: Number(compactBytes) } : {}),
}).then(
  (store) => {
    process.stdout.write(`${JSON.stringify({ uri: store.uri })}\n`);
    process.on("SIGTERM", () => void store.close().then(() => process.exit(0)));
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
