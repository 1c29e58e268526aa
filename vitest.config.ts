import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Two cores: keep parallelism modest so timing-sensitive integration tests stay honest.
    maxWorkers: 2,
    // Root `npm test` runs the bot's tests and every workspace package's own tests.
    projects: [
      {
        extends: true,
        test: {
          name: "bot",
          include: ["test/**/*.test.ts"],
          exclude: ["test/browser/**"],
          globalSetup: ["test/global-setup.ts"],
        },
      },
      // Real-browser tests (playwright-core driving Debian's chromium), kept apart so the rest stays fast.
      {
        extends: true,
        test: {
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          globalSetup: ["test/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          maxWorkers: 1,
        },
      },
      "packages/*",
    ],
  },
});
