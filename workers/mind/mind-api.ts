// Everything the mind adds under /v1 (mounted once in app.ts): the work ledger, webhooks, the mind, check-ins.
import { hookRoutes } from "../hooks/hooks-routes.ts";
import { openApp } from "../http/open-app.ts";
import { workRoutes } from "../work/work-routes.ts";
import { checkinRoutes } from "./checkin-routes.ts";
import { mindRoutes } from "./mind-routes.ts";

export const mindApi = openApp().route("/work", workRoutes).route("/hooks", hookRoutes).route("/mind", mindRoutes).route("/checkins", checkinRoutes);
