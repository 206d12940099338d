// The reverse proxy's public set (lib/public-routes.ts) covers every route a helper key may use
// and the public routes, and none of the owner's.
import { describe, expect, it } from "vitest";
import { isPublicPath } from "../../lib/public-routes.ts";
import { ROWS } from "../support/scope-matrix-rows.ts";

describe("public routes", () => {
  const path = (p: string | (() => string)) => (typeof p === "function" ? p() : p).split("?")[0]!;

  it("every helper or public route of the scope matrix is public; no owner route is", () => {
    for (const row of ROWS) {
      const p = path(row.path);
      if (p.startsWith("/v1/owner")) expect(isPublicPath(p), p).toBe(false);
      else if (row.scope !== null) expect(isPublicPath(p), p).toBe(true);
    }
    expect(isPublicPath("/v1/hooks/github")).toBe(true);
    for (const p of ["/", "/v1/owner/whoami", "/v1/hooks/", "/v1/ownerx", "/v1/statusx", "/console"]) expect(isPublicPath(p), p).toBe(false);
  });
});
