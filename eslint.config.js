import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "data/", "coverage/", "tmp/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": ["error", { allow: ["warn", "error"] }],
    },
  },
  {
    files: [
      "src/cli/**",
      "bench/**",
      "scripts/**",
      "src/main.ts",
      "src/sandbox.ts",
      "packages/feishu-emulator/src/main.ts",
    ],
    rules: { "no-console": "off" },
  },
);
