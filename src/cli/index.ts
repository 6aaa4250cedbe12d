/** cli/: the `opentsm` command (ARCHITECTURE.md §2: may import any layer). */
export { run, buildProgram } from './main.ts';
