/**
 * Plumbing shared by the server-rendered pages (the sandbox page; the console): where the page files
 * live, Eta (auto-escaping) over them, and static files served with a short cache.
 */
import { fileURLToPath } from "node:url";
import path from "node:path";
import { Eta } from "eta";
import express from "express";

/** The repository's `web/` directory (templates, browser JS and CSS): no front-end build step. */
export const WEB_DIR = fileURLToPath(new URL("../../web", import.meta.url));
const NODE_MODULES = path.resolve(WEB_DIR, "../node_modules");

/** A file of an installed package (served to the browser as it ships, e.g. VChart's UMD build). */
export function packageFile(rel: string): string {
  return path.join(NODE_MODULES, rel);
}

/** Templates under web/ (`<%= x %>` is HTML-escaped; the pages never use the raw `<%~ %>` on data). */
export const eta = new Eta({
  views: WEB_DIR,
  autoEscape: true,
  cache: process.env.NODE_ENV === "production",
});

/** Static files of one web/ subdirectory. */
export function staticDir(sub: string): express.RequestHandler {
  return express.static(path.join(WEB_DIR, sub), { maxAge: "5m", index: false, fallthrough: true });
}

/** Server-side templates of one page family (web/<name>/*.eta), escaped by default, cached. */
export function templates(name: string): Eta {
  return new Eta({ views: path.join(WEB_DIR, name), cache: true, autoEscape: true });
}

/** Static files of a page family (its css and js); a restart serves the new ones. */
export function staticFiles(name: string): express.Handler {
  return express.static(path.join(WEB_DIR, name, "static"), { index: false, maxAge: "1h" });
}

/** A file of an installed package (e.g. htmx.org/dist/htmx.min.js), served as it is. */
export function vendorFile(pkgPath: string): express.Handler {
  const file = packageFile(pkgPath);
  return (_req, res) => res.sendFile(file, { maxAge: "1d" });
}
