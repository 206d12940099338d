// Development only (`npm run dev`): stands in for workerd's external service so that the Worker's
// LIBSQL binding reaches the libSQL server under `wrangler dev`. Production has no such hop.
export default {
  async fetch(request: Request, env: { LIBSQL_ORIGIN: string }): Promise<Response> {
    const url = new URL(request.url);
    return fetch(new URL(url.pathname + url.search, env.LIBSQL_ORIGIN), request);
  },
};
