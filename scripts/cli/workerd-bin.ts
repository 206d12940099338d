import { createRequire } from "node:module";

// The workerd package is CommonJS without types; its default export is the binary's path.
const require = createRequire(import.meta.url);
export const WORKERD_BIN = (require("workerd") as { default: string }).default;
