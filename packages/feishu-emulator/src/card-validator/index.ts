/**
 * Feishu card JSON 2.0 validator: the JSON Schema in card-2.0.schema.json (Ajv, draft 2020-12)
 * plus the code-level rules from NOTES.md that a schema cannot express. Answers with the codes
 * Feishu's send/patch APIs use: 230025 (too long) and 230099 with a sub-code (build failed).
 */
import { readFileSync } from "node:fs";
import Ajv2020, { type ErrorObject, type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { runCodeRules, type RuleViolation } from "./rules";

export type CardValidation =
  { ok: true } | { ok: false; code: number; errCode: number; msg: string; errors: string[] };

export type CardValidationFailure = Extract<CardValidation, { ok: false }>;

/** Card JSON size limit: 30 KB of UTF-8 `JSON.stringify(card)`. */
export const MAX_CARD_BYTES = 30 * 1024;

export const CODE_TOO_LONG = 230025;
export const CODE_BUILD_FAILED = 230099;
export const ERR_PARSE = 200621;
export const ERR_UNSUPPORTED_TAG = 200861;
export const ERR_LIMIT = 11310;
export const ERR_TABLE_ROWS = 200914;
export const ERR_TABLE_ROW_NAME = 200915;

const SCHEMA_URL = new URL("./card-2.0.schema.json", import.meta.url);

let compiled: ValidateFunction | undefined;

function schemaValidator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
    addFormats(ajv);
    const schema = JSON.parse(readFileSync(SCHEMA_URL, "utf8")) as Record<string, unknown>;
    compiled = ajv.compile(schema);
  }
  return compiled;
}

/** UTF-8 byte length of the card as Feishu counts it (compact JSON). */
export function cardByteLength(card: unknown): number {
  return Buffer.byteLength(JSON.stringify(card) ?? "", "utf8");
}

/** Feishu's 230099 message: `Failed to create card content, ext=ErrCode: N; ErrMsg: ...; ErrorValue: ...; `. */
export function buildFailedMsg(errCode: number, errMsg: string, errorValue: string): string {
  return `Failed to create card content, ext=ErrCode: ${errCode}; ErrMsg: ${errMsg}; ErrorValue: ${errorValue}; `;
}

const NOISE = new Set(["if", "then", "allOf", "anyOf", "oneOf", "not"]);

function describe(e: ErrorObject): string {
  const where = e.instancePath || "/";
  const p = e.params as Record<string, unknown>;
  let extra = "";
  if (typeof p.additionalProperty === "string") extra = ` '${p.additionalProperty}'`;
  else if (Array.isArray(p.allowedValues))
    extra = `: ${p.allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
  else if (p.allowedValue !== undefined) extra = `: ${JSON.stringify(p.allowedValue)}`;
  return `${where} ${e.message ?? e.keyword}${extra}`;
}

function valueAt(root: unknown, pointer: string): unknown {
  if (!pointer) return root;
  let cur: unknown = root;
  for (const raw of pointer.split("/").slice(1)) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** The dispatch enum on `tag` (elementRoot / elementNested / elementInForm), not an anyOf/contains branch. */
function isTagEnum(e: ErrorObject): boolean {
  return e.keyword === "enum" && /\/tag$/.test(e.instancePath) && e.schemaPath === "#/properties/tag/enum";
}

/** Errors raised inside an anyOf/oneOf/contains branch: evidence, not the cause. */
function isBranch(e: ErrorObject): boolean {
  return /\/(anyOf|oneOf)\/\d+\//.test(e.schemaPath) || /\/contains\//.test(e.schemaPath);
}

function schemaFailure(card: unknown, errs: ErrorObject[]): CardValidationFailure {
  const useful = errs.filter((e) => !NOISE.has(e.keyword));
  const main = useful.filter((e) => !isBranch(e));
  const branch = useful.filter((e) => isBranch(e));
  const wrappers = errs.filter((e) => NOISE.has(e.keyword) && e.keyword !== "if");
  const errors = [...new Set([...main, ...wrappers, ...branch].map(describe))];
  const tagErr = main.find(isTagEnum);
  const propErr = main.find((e) => e.keyword === "additionalProperties");
  let errCode = ERR_PARSE;
  let errMsg = "parse card json err, please check whether the card json is correct";
  let errorValue: string;
  if (tagErr) {
    errCode = ERR_UNSUPPORTED_TAG;
    errMsg = "cards of schema V2 no longer support this capability";
    errorValue = `unsupported tag: ${String(valueAt(card, tagErr.instancePath))}, path: ${tagErr.instancePath}`;
  } else if (propErr) {
    const prop = String((propErr.params as Record<string, unknown>).additionalProperty);
    errorValue = `unknown property: ${prop}, path: ${propErr.instancePath || "/"}`;
  } else if (main.length) {
    errorValue = describe(main[0]);
  } else if (wrappers.length) {
    const w = wrappers[0];
    const why = branch.filter((e) => e.instancePath.startsWith(w.instancePath)).map((e) => describe(e));
    errorValue = `${describe(w)}${why.length ? ` (${[...new Set(why)].slice(0, 3).join(" | ")})` : ""}`;
  } else {
    errorValue = errors[0] ?? "invalid card";
  }
  return {
    ok: false,
    code: CODE_BUILD_FAILED,
    errCode,
    msg: buildFailedMsg(errCode, errMsg, errorValue),
    errors,
  };
}

function ruleFailure(violations: RuleViolation[]): CardValidationFailure {
  const first = violations[0];
  return {
    ok: false,
    code: first.code,
    errCode: first.errCode,
    msg: buildFailedMsg(first.errCode, first.errMsg, first.errorValue),
    errors: violations.map((v) => `${v.path} ${v.message}`),
  };
}

/**
 * Validate a parsed card (the object you would JSON.stringify into `content`).
 * Order: size (230025), schema (230099/200621|200861), then the code rules (230099/11310|200914|200915).
 */
export function validateCard(card: unknown): CardValidation {
  if (card === null || typeof card !== "object" || Array.isArray(card)) {
    return {
      ok: false,
      code: CODE_BUILD_FAILED,
      errCode: ERR_PARSE,
      msg: buildFailedMsg(
        ERR_PARSE,
        "parse card json err, please check whether the card json is correct",
        "card is not a JSON object",
      ),
      errors: ["/ must be object"],
    };
  }
  const bytes = cardByteLength(card);
  if (bytes > MAX_CARD_BYTES) {
    return {
      ok: false,
      code: CODE_TOO_LONG,
      errCode: 0,
      msg: `The length of the message content reaches its limit. (card JSON is ${bytes} bytes; the limit is ${MAX_CARD_BYTES})`,
      errors: [`/ card JSON is ${bytes} bytes, more than ${MAX_CARD_BYTES}`],
    };
  }
  const validate = schemaValidator();
  if (!validate(card)) return schemaFailure(card, validate.errors ?? []);
  const violations = runCodeRules(card);
  if (violations.length) return ruleFailure(violations);
  return { ok: true };
}

export { runCodeRules, countMarkdownTables, type RuleViolation } from "./rules";
