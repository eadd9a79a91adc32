// Vue single-file components, for tsc (vue itself is VitePress's dependency, not ours).
declare module '*.vue' {
  const component: Record<string, unknown>;
  export default component;
}
