import { digestCard } from "../../cards/digest-card";
import type { Card } from "../../cards/kit";
import { measureCard, type MeasureViewer } from "../../cards/measure-card";
import { selfCheckCard } from "../../cards/self-check-card";
import type { DigestLine, ResponseView } from "../../cards/view-types";
import { MEASURE_DONE, type Locale } from "../domain/types";
import { loadCampaign, today, type Person, type ServiceDeps } from "./context";
import { awaitingFollowUps, followUpTitle } from "./follow-up";
import { loadMeasure } from "./measures";
import { loadAssignment, type Assignment } from "./self-check";
import { assignmentView, measureView, responseView } from "./views";

/** The current truth of a record as the card a given person should see. Reads only. */

export function localeOf(p: Pick<Person, "locale"> | null | undefined): Locale {
  return p?.locale === "en" ? "en" : "zh";
}

/** The first `n` characters (code points: a character outside the BMP is never cut in half). */
function clipChars(s: string, n: number): string {
  return Array.from(s).slice(0, n).join("");
}

/** The form as typed, to re-show it after a validation error (nothing of it was stored). */
export function draftFromForm(form: Record<string, unknown> | undefined, byName: string): ResponseView {
  const s = (v: unknown) => (typeof v === "string" ? v : "");
  const c = s(form?.conclusion);
  return {
    version: 0,
    conclusion: c === "compliant" || c === "basically_compliant" || c === "problems" ? c : "compliant",
    narrative: clipChars(s(form?.narrative), 1000),
    evidence: clipChars(s(form?.evidence), 500) || undefined,
    problems: s(form?.problems)
      .split(/\r?\n/)
      .filter((l) => l.trim())
      .slice(0, 20)
      .map((text, i) => ({ id: `draft${i}`, seq: 0, text: clipChars(text, 300), measures: [] })),
    byName,
    at: "",
  };
}

export async function selfCheckCardFor(
  d: ServiceDeps,
  assignment: Assignment | string,
  locale: Locale,
  opts: { mode?: "edit" | "submitted"; error?: string; draft?: ResponseView } = {},
): Promise<Card> {
  const a = typeof assignment === "string" ? await loadAssignment(d, assignment) : assignment;
  const c = await loadCampaign(d, a.campaignKey);
  const view = await assignmentView(d, a, c);
  const response = opts.draft ?? (await responseView(d, a, c));
  const mode = opts.mode ?? (a.state === "submitted" ? "submitted" : "edit");
  return selfCheckCard({ a: view, response, locale, today: today(d, c), mode, error: opts.error });
}

export async function measureCardFor(
  d: ServiceDeps,
  measureId: string,
  viewer: Person | null,
  opts: { notice?: string; locale?: Locale } = {},
): Promise<Card> {
  const m = await loadMeasure(d, measureId);
  const c = await loadCampaign(d, m.campaignKey);
  const locale = opts.locale ?? localeOf(viewer);
  const role: MeasureViewer =
    viewer?.key === m.ownerKey ? "owner" : viewer?.key === m.reviewerKey ? "reviewer" : "other";
  return measureCard({
    m: await measureView(d, m, c, locale),
    locale,
    today: today(d, c),
    viewer: role,
    notice: opts.notice,
  });
}

/** Everything still on one person in one campaign: pending self-checks and open measures. */
export async function digestLinesFor(
  d: ServiceDeps,
  campaignKey: string,
  personKey: string,
): Promise<DigestLine[]> {
  const c = await loadCampaign(d, campaignKey);
  const [assignments, measures] = await Promise.all([
    d.models.Assignment.find({
      campaignKey,
      assigneeKey: personKey,
      state: "pending",
      withdrawn: false,
    }).lean(),
    d.models.Measure.find({
      campaignKey,
      ownerKey: personKey,
      state: { $nin: MEASURE_DONE },
    }).lean(),
  ]);
  const title = (k: string) => c.items.find((i) => i.key === k)?.title ?? k;
  return [
    ...assignments.map((a) => ({
      kind: "assignment" as const,
      id: String(a._id),
      title: title(a.itemKey),
      dueDate: a.dueDate,
    })),
    ...measures.map((m) => ({
      kind: "measure" as const,
      id: String(m._id),
      title: `#${m.seq} ${m.content}`,
      dueDate: m.dueDate,
    })),
    ...(await awaitingFollowUps(d, campaignKey, personKey))
      .filter((m) => m.followUp?.answerBy)
      .map((m) => ({
        kind: "follow-up" as const,
        id: String(m._id),
        title: followUpTitle(m),
        dueDate: m.followUp!.answerBy!,
      })),
  ];
}

export async function digestCardFor(
  d: ServiceDeps,
  campaignKey: string,
  person: Person,
  kind: "start" | "reminder",
): Promise<Card> {
  const c = await loadCampaign(d, campaignKey);
  return digestCard({
    personName: person.name,
    campaignTitle: c.title,
    lines: await digestLinesFor(d, campaignKey, person.key),
    locale: localeOf(person),
    today: today(d, c),
    kind,
  });
}
