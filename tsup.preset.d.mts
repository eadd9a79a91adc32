import type { Options } from 'tsup';
/** See tsup.preset.mjs: the shared tsup options, with the package's own on top. */
export declare function library(own?: Options): Options;
