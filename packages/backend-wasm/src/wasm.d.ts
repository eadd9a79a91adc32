/** The built modules are embedded by tsup's base64 loader (see tsup.config.ts). */
declare module '*.wasm' {
  const base64: string;
  export default base64;
}
