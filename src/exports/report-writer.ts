import { writeFile } from "node:fs/promises";
import {
  AlignmentType,
  Document,
  DocumentGridType,
  Footer,
  LineRuleType,
  Packer,
  PageNumber,
  Paragraph,
  TextRun,
} from "docx";
import type { ReportBlock, ReportModel } from "./report-view";

/**
 * Lays a report model out as .docx in the layout of GB/T 9704-2012 (党政机关公文格式): A4, margins
 * 37/35/28/26 mm, 22 lines of 28 characters (exact line spacing and a document grid), 2号小标宋 title,
 * 3号仿宋 body, 黑体 / 楷体 headings, page numbers "— N —" in 4号宋体, odd pages right, even pages left,
 * each one character in from the edge of the text. East Asian fonts are set as the eastAsia attribute,
 * which is the one Word uses for Chinese text.
 */
const MM = 1440 / 25.4; // twips per millimetre
const twips = (mm: number) => Math.round(mm * MM);

export const LAYOUT = {
  page: { width: 11906, height: 16838 },
  margin: { top: twips(37), bottom: twips(35), left: twips(28), right: twips(26) },
  /** The page number's line starts 7 mm below the text; a 4号 line is about 5 mm high. */
  footer: twips(23),
  header: twips(15),
  lines: 22,
  chars: 28,
} as const;
const TEXT_WIDTH = LAYOUT.page.width - LAYOUT.margin.left - LAYOUT.margin.right;
const TEXT_HEIGHT = LAYOUT.page.height - LAYOUT.margin.top - LAYOUT.margin.bottom;
/** 28.95 pt: 22 lines fill the text height. */
export const LINE_PITCH = Math.floor(TEXT_HEIGHT / LAYOUT.lines);
const BODY_PT = 16;
/**
 * 28 characters of 3号 (16 pt) are 158 mm, the text is 156 mm wide: each character gives up a quarter
 * point (in twentieths of a point, OOXML w:spacing). This, with a grid of lines only, lays out the same
 * in Word, WPS and LibreOffice; a character grid (linesAndChars with a negative w:charSpace) does in
 * Word, but LibreOffice then gives every character two cells (14 a line).
 */
export const CHAR_SPACING = Math.floor(TEXT_WIDTH / LAYOUT.chars - BODY_PT * 20);

export const FONTS = {
  title: { eastAsia: "方正小标宋简体", size: 22 },
  body: { eastAsia: "仿宋_GB2312", size: 16 },
  h1: { eastAsia: "黑体", size: 16 },
  h2: { eastAsia: "楷体_GB2312", size: 16 },
  pageNumber: { eastAsia: "宋体", size: 14 },
} as const;
const LATIN = "Times New Roman";

const font = (f: { eastAsia: string }) => ({ ascii: LATIN, hAnsi: LATIN, cs: LATIN, eastAsia: f.eastAsia });
const chars = (n: number, pt = BODY_PT) => n * pt * 20;
const exact = { line: LINE_PITCH, lineRule: LineRuleType.EXACT, before: 0, after: 0 };

function run(text: string, f: { eastAsia: string; size: number }): TextRun {
  const spacing = f.size === BODY_PT ? { characterSpacing: CHAR_SPACING } : {};
  return new TextRun({ text, font: font(f), size: f.size * 2, ...spacing });
}

type Align = (typeof AlignmentType)[keyof typeof AlignmentType];

function para(text: string, f: { eastAsia: string; size: number }, alignment: Align, indent = {}): Paragraph {
  return new Paragraph({ alignment, indent, spacing: exact, children: text ? [run(text, f)] : [] });
}

function paragraph(b: ReportBlock, dateChars: number): Paragraph[] {
  const blank = () => para("", FONTS.body, AlignmentType.LEFT);
  switch (b.kind) {
    case "title":
      // The title, then one empty line before the text (GB/T 9704 7.3.3).
      return [para(b.text, FONTS.title, AlignmentType.CENTER), blank()];
    case "h1":
    case "h2":
    case "body":
      return [para(b.text, FONTS[b.kind], AlignmentType.JUSTIFIED, { firstLine: chars(2) })];
    case "signature": {
      // Two empty lines for the seal, then the name centred over the date (GB/T 9704 7.3.5).
      if (!b.text) return [blank(), blank()];
      const shift = Math.max(0, Math.round((dateChars - [...b.text].length) / 2));
      return [blank(), blank(), para(b.text, FONTS.body, AlignmentType.RIGHT, { right: chars(4 + shift) })];
    }
    case "date":
      // 成文日期 right-aligned, four characters in from the right edge.
      return [para(b.text, FONTS.body, AlignmentType.RIGHT, { right: chars(4) })];
  }
}

function pageNumber(side: "odd" | "even"): Footer {
  const f = FONTS.pageNumber;
  const one = chars(1, f.size);
  return new Footer({
    children: [
      new Paragraph({
        alignment: side === "odd" ? AlignmentType.RIGHT : AlignmentType.LEFT,
        indent: side === "odd" ? { right: one } : { left: one },
        children: [
          new TextRun({ children: ["— ", PageNumber.CURRENT, " —"], font: font(f), size: f.size * 2 }),
        ],
      }),
    ],
  });
}

export function reportDocument(model: ReportModel): Document {
  const dateChars = [...(model.blocks.find((b) => b.kind === "date")?.text ?? "")].length;
  return new Document({
    creator: "rectify-bot",
    title: model.title,
    evenAndOddHeaderAndFooters: true,
    styles: {
      default: {
        document: {
          run: { font: font(FONTS.body), size: BODY_PT * 2 },
          paragraph: { spacing: exact },
        },
      },
      // The grid's character pitch is taken from the Normal style's size (Word and LibreOffice alike):
      // without it LibreOffice assumes 12 pt and gives every 16 pt character two cells.
      paragraphStyles: [
        {
          id: "Normal",
          name: "Normal",
          run: { font: font(FONTS.body), size: BODY_PT * 2 },
          paragraph: { spacing: exact },
        },
      ],
    },
    sections: [
      {
        properties: {
          page: {
            size: LAYOUT.page,
            margin: { ...LAYOUT.margin, header: LAYOUT.header, footer: LAYOUT.footer, gutter: 0 },
          },
          grid: { type: DocumentGridType.LINES, linePitch: LINE_PITCH },
        },
        footers: { default: pageNumber("odd"), even: pageNumber("even") },
        children: model.blocks.flatMap((b) => paragraph(b, dateChars)),
      },
    ],
  });
}

export async function writeReport(model: ReportModel, outPath: string): Promise<number> {
  const buf = await Packer.toBuffer(reportDocument(model));
  await writeFile(outPath, buf);
  return buf.length;
}
