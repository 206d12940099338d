import { app } from "./app.ts";

export { Bus } from "../durable/bus/bus.ts";
export { Mind } from "../durable/mind/mind.ts";

export default app satisfies ExportedHandler<Env>;
