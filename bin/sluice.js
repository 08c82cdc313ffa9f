#!/usr/bin/env node
// Entry point: the compiled build when present (Docker image, installed package), otherwise the
// TypeScript sources directly (Node 24 strips types).
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
const { main } = await import(existsSync(compiled) ? compiled.href : new URL('../src/cli/main.ts', import.meta.url).href);
await main(process.argv);
