/**
 * The "Writing a new backend" guide shows snippets/my-backend.ts in full and claims it passes
 * the conformance kit. This runs the kit's fixed cases on it, so the claim stays true.
 */
import { runConformance } from '@llama-ops/conformance';
import { createBackend } from '../snippets/my-backend';

runConformance({ name: 'docs guide backend (snippets/my-backend.ts)', createBackend, random: false });
