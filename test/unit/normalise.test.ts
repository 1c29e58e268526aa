import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { normaliseEvent, PayloadError } from "../../src/server/normalise";

/** Checked-in payloads with nulls, missing optional fields and unknown extra fields (test/fixtures/feishu/events). */
const dir = path.join(__dirname, "../fixtures/feishu/events");
const fixture = (name: string) =>
  JSON.parse(readFileSync(path.join(dir, name), "utf8")) as Record<string, unknown>;

const accepted: [string, Record<string, unknown>][] = [
  [
    "message-null-optionals.json",
    {
      kind: "message",
      senderOpenId: "ou_alice",
      chatType: "p2p",
      text: "帮助",
      mentions: [],
      rootId: undefined,
    },
  ],
  [
    "message-missing-optionals.json",
    { kind: "message", senderOpenId: "ou_alice", text: "帮助", mentions: [], rootId: undefined },
  ],
  ["message-unknown-fields.json", { kind: "message", senderOpenId: "ou_alice", text: "帮助", mentions: [] }],
  [
    "message-group-mention-nulls.json",
    {
      kind: "message",
      chatType: "group",
      mentions: [
        { key: "@_user_1", openId: "ou_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxbot", name: "Rectify Bot" },
        { key: "@_user_2", openId: "ou_bob", name: "" },
      ],
    },
  ],
  [
    "card-null-optionals.json",
    {
      kind: "card_action",
      operatorOpenId: "ou_alice",
      token: "c-null-optionals",
      value: { action: "fixture_probe", n: 1 },
      tag: "button",
      name: undefined,
      formValue: undefined,
      option: undefined,
      options: undefined,
      inputValue: undefined,
      checked: undefined,
      timezone: undefined,
      messageId: undefined,
      chatId: undefined,
    },
  ],
  [
    "card-missing-optionals.json",
    {
      kind: "card_action",
      operatorOpenId: "ou_alice",
      token: "",
      tag: "",
      value: { action: "fixture_probe", n: 2 },
    },
  ],
  [
    "card-unknown-fields.json",
    {
      kind: "card_action",
      token: "",
      option: "opt_b",
      name: "pick",
      formValue: { note: "好", unknown: null },
      messageId: undefined,
    },
  ],
  [
    "bot-added-nulls.json",
    { kind: "bot_added", chatId: "oc_fixture_group", name: undefined, operatorOpenId: "ou_alice" },
  ],
];

describe("normaliseEvent on documented payloads with nulls, gaps and extras", () => {
  it.each(accepted)("accepts %s", (name, expected) => {
    expect(normaliseEvent(fixture(name))).toMatchObject(expected);
  });

  it.each([
    ["invalid-card-missing-operator-open-id.json", /operator\.open_id/],
    ["invalid-message-missing-message-id.json", /message\.message_id/],
  ])("refuses %s, naming the missing required field", (name, reason) => {
    expect(() => normaliseEvent(fixture(name))).toThrow(PayloadError);
    expect(() => normaliseEvent(fixture(name))).toThrow(reason);
  });
});
