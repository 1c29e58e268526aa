/**
 * A bot stand-in for test/integration/exports-process.test.ts: starts the export process on the store
 * at argv[2], builds a ledger of campaign argv[3] while keeping its own loop busy (so the process is
 * paused in turns), and prints the export process's pid once it has seen it stopped. It then keeps
 * spinning until it is killed.
 */
import os from "node:os";
import path from "node:path";
import mongoose from "mongoose";
import { ExportProcess } from "../../src/exports/export-process";
import { exportLedger } from "../../src/exports/index";
import { createModels } from "../../src/repositories/models";
import { spin, stateOf } from "./proc";

const [uri, campaignKey] = process.argv.slice(2);

async function main() {
  const conn = await mongoose.createConnection(uri).asPromise();
  const exporter = new ExportProcess({ mongoUri: uri, giveWay: { everyMs: 20, periodMs: 200, runMs: 10 } });
  const d = {
    models: createModels(conn),
    now: () => new Date("2026-12-15T02:00:00Z"),
    exportProcess: exporter,
  };
  void exportLedger(
    d,
    { campaignKey, lang: "zh" },
    path.join(os.tmpdir(), `export-parent-${process.pid}.xlsx`),
  );
  let told = false;
  for (;;) {
    spin(40);
    await new Promise((r) => setTimeout(r, 5));
    const pid = exporter.pid;
    if (!told && pid && stateOf(pid) === "T") {
      process.stdout.write(`${pid}\n`);
      told = true;
    }
  }
}
void main();
