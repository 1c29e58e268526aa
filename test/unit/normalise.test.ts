import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { normaliseEvent, PayloadError, postText } from "../../src/server/normalise";

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
    "message-group-post.json",
    {
      kind: "message",
      chatType: "group",
      messageType: "post",
      text: "@_user_1  六正进度\n附件链接",
      mentions: [{ key: "@_user_1", openId: "ou_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxbot", name: "Rectify Bot" }],
    },
  ],
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

describe("postText: the words of a rich-text message", () => {
  const post = (v: unknown) => JSON.stringify(v);
  it.each([
    [
      "title and paragraphs",
      post({
        title: "请示",
        content: [[{ tag: "text", text: "我的待办" }], [{ tag: "a", text: "链接", href: "x" }]],
      }),
      "请示\n我的待办\n链接",
    ],
    [
      "the send format's language wrapper",
      post({ zh_cn: { title: "", content: [[{ tag: "text", text: "逾期措施" }]] } }),
      "逾期措施",
    ],
    [
      "an @mention as its key",
      post({
        content: [
          [
            { tag: "at", user_id: "@_user_2", user_name: "王芳" },
            { tag: "text", text: "的待办" },
          ],
        ],
      }),
      "@_user_2 的待办",
    ],
    [
      "images and emoji only",
      post({
        title: "",
        content: [[{ tag: "img", image_key: "k" }], [{ tag: "emotion", emoji_type: "OK" }]],
      }),
      "",
    ],
    [
      "nulls and wrong types",
      post({ title: null, content: [null, [null, 5, { tag: "text", text: 7 }], "x"] }),
      "",
    ],
    ["no content", post({ title: "只有标题" }), ""],
    ["not JSON", "{not json", ""],
    ["a JSON array", "[1,2]", ""],
  ])("%s", (_name, content, text) => {
    expect(postText(content)).toBe(text);
  });
});
