#!/usr/bin/env node
// The `llama-ops-bench` command. A committed launcher, not dist/main.js itself: pnpm links
// workspace bins at install time, before anything is built, and a bin that points into
// dist/ would fail to link ("Failed to create bin ... ENOENT").
import '../dist/main.js';
