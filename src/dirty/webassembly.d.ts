// The part of the WebAssembly JavaScript API the dirty pools use: Node has it, but @types/node 20 does not declare it.
declare namespace WebAssembly {
  class Module {
    private readonly brand: "WebAssembly.Module";
  }
  interface Instance {
    readonly exports: Record<string, unknown>;
  }
  function compile(bytes: ArrayBufferView | ArrayBuffer): Promise<Module>;
  function instantiate(module: Module, imports?: Record<string, Record<string, unknown>>): Promise<Instance>;
}
