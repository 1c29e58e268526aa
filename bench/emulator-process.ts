/**
 * The Feishu emulator in a process of its own, for benchmarks: arrival times are stamped by a server
 * that is not sharing an event loop with the bot (as real Feishu is not). Driven over IPC by the parent.
 */
import { FeishuEmulator, type EmulatorOptions, type EmulatorUser } from "@rectify-bot/feishu-emulator";

type Msg = (
  { type: "start"; options: EmulatorOptions; users: EmulatorUser[] } | { type: "stats" } | { type: "stop" }
) & { id: number };

let emu: FeishuEmulator | undefined;

process.on("message", (raw) => {
  const msg = raw as Msg;
  void (async () => {
    if (msg.type === "start") {
      emu = new FeishuEmulator(msg.options);
      for (const u of msg.users) emu.addUser(u);
      process.send?.({ type: "started", id: msg.id, url: await emu.start() });
    } else if (msg.type === "stats" && emu) {
      const messages = emu
        .messages()
        .map((m) => ({ createdAt: m.createdAt, to: m.open_id ?? m.receive_id, uuid: m.uuid }));
      const calls = emu.calls.map((c) => ({
        status: c.status,
        code: (c.response as { code?: number } | undefined)?.code,
      }));
      process.send?.({ type: "stats", id: msg.id, messages, calls });
    } else if (msg.type === "stop") {
      await emu?.close();
      process.exit(0);
    }
  })();
});
