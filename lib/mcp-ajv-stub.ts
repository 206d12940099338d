// The MCP SDK's default JSON Schema validator (ajv), never used: the seed's MCP server and client
// always pass CfWorkerJsonSchemaValidator. See wrangler.toml [alias].
export class AjvJsonSchemaValidator {
  constructor() {
    throw new Error("the seed validates MCP JSON Schemas with CfWorkerJsonSchemaValidator: pass it as jsonSchemaValidator");
  }
}
