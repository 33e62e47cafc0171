// Overseer's JavaScript SDK: write a GenServer, get a wasm component that
// Overseer supervises, sandboxes and upgrades live.
//
//   import { GenServer, serve, log } from "overseer";
//
//   class Counter extends GenServer {
//     static vsn = "1.0.0";
//     init(args) { this.value = args?.initial_value ?? 0; }
//     handleCall(request, from) {
//       if (request === "increment") this.value += 1;
//       return this.value;
//     }
//   }
//
//   export const server = serve(Counter);
//
// Built with componentize-qjs (QuickJS): `cargo xtask build-plugins` does
// it for `plugins/*_js`.

export * from "./host.js";
export * from "./results.js";
export { GenServer, serve } from "./server.js";
