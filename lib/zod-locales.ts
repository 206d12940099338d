// zod's `locales` namespace, with English only (see wrangler.toml [alias]).
export { default as en } from "zod/v4/locales/en.js";
