// The Mind's failures are the shared RPC failures (lib/rpc-result.ts), named for where they arise.
export { RpcFailure as MindFailure, run, runAsync } from "../../lib/rpc-result.ts";
