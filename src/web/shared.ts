/**
 * Plumbing shared by the server-rendered pages (the sandbox page; the console): where the page files
 * live, one Eta instance (auto-escaping) over them, and static files served with a short cache.
 */
import { fileURLToPath } from "node:url";
import path from "node:path";
import { Eta } from "eta";
import express from "express";

/** The repository's `web/` directory (templates, browser JS and CSS): no front-end build step. */
export const WEB_DIR = fileURLToPath(new URL("../../web", import.meta.url));

/** A file of an installed package (served to the browser as it ships, e.g. VChart's UMD build). */
export function packageFile(rel: string): string {
  return fileURLToPath(new URL(`../../node_modules/${rel}`, import.meta.url));
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
