import path from "node:path";
import { fileURLToPath } from "node:url";
import express from "express";
import { Eta } from "eta";

/** Shared plumbing of the bot's web pages (console, sandbox): templates under web/, static files. */
export const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../web");
const NODE_MODULES = path.resolve(WEB_DIR, "../node_modules");

/** Server-side templates of one page family (web/<name>/*.eta), escaped by default, cached. */
export function templates(name: string): Eta {
  return new Eta({ views: path.join(WEB_DIR, name), cache: true, autoEscape: true });
}

/** Static files of a page family (its css and js), immutable-free: a restart serves the new ones. */
export function staticFiles(name: string): express.Handler {
  return express.static(path.join(WEB_DIR, name, "static"), { index: false, maxAge: "1h" });
}

/** A file of an installed package (e.g. htmx.org/dist/htmx.min.js), served as it is. */
export function vendorFile(pkgPath: string): express.Handler {
  const file = path.join(NODE_MODULES, pkgPath);
  return (_req, res) => res.sendFile(file, { maxAge: "1d" });
}
