// GET /v1/openapi.json: public, like /healthz — it holds the routes' shapes, never a key or a value.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { AppEnv } from "../app-env.ts";
import { openApiDocument } from "./openapi-doc.ts";
import { openApp } from "./open-app.ts";
import { returns } from "./route-parts.ts";

const OpenApiObject = z.looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) });

const doc = createRoute({ method: "get", path: "/", responses: { 200: returns(OpenApiObject, "the OpenAPI 3.1 document of this seed's HTTP API") } });

/** `app` is read at the first request (the document describes the whole app, this route included). */
export function openApiRoutes(app: () => OpenAPIHono<AppEnv>) {
  let cached: z.infer<typeof OpenApiObject> | undefined;
  return openApp().openapi(doc, (c) => c.json((cached ??= openApiDocument(app()) as z.infer<typeof OpenApiObject>), 200));
}
