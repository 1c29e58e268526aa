/**
 * Maps a path inside a parsed YAML/JSON document (["units", 2, "head"]) to a 1-based line and column,
 * so validation messages can point at the offending key.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter } from "yaml";

export type PathSegment = string | number;
export type Path = readonly PathSegment[];

export interface Position {
  line: number;
  column: number;
}

interface Ranged {
  range?: [number, number, number] | null;
}

export class SourceMap {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /**
   * Position of the deepest node the path reaches. For a map entry that is the entry's key, for a list
   * element the element itself; when the path goes further than the document (a missing field), the
   * position of the deepest existing node, i.e. the map that lacks the field.
   */
  locate(path: Path): Position {
    let node: unknown = this.doc.contents;
    let offset = rangeStart(node) ?? 0;
    for (const segment of path) {
      node = this.deref(node);
      if (isMap(node)) {
        const pair = node.items.find((p) => scalarKey(p.key) === String(segment));
        if (!pair) break;
        offset = rangeStart(pair.key) ?? rangeStart(pair.value) ?? offset;
        node = pair.value;
      } else if (isSeq(node)) {
        if (typeof segment !== "number" || segment < 0 || segment >= node.items.length) break;
        node = node.items[segment];
        offset = rangeStart(node) ?? offset;
      } else {
        break;
      }
    }
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  private deref(node: unknown): unknown {
    let current = node;
    for (let guard = 0; guard < 32 && isAlias(current); guard++) {
      current = current.resolve(this.doc);
    }
    return current;
  }
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Ranged | null | undefined)?.range;
  return range ? range[0] : undefined;
}

function scalarKey(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}
