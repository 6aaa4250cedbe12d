/**
 * The options that say where a data directory's parts are (context.ts `locationOf`): `--data-dir`,
 * `--lmk-file`, `--db`, each with its OPENTSM_* variable. Every command that opens the software HSM and
 * its store declares them through here, so they read the same everywhere.
 */
import type { Command } from 'commander';

/** Adds `--data-dir`, `--lmk-file` and `--db` to `cmd`. */
export function addLocationOptions(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'the data directory of `opentsm hsm init`: lmk.key and opentsm.db (or env OPENTSM_DATA_DIR)')
    .option('--lmk-file <file>', 'the LMK file, instead of DATA_DIR/lmk.key (or env OPENTSM_LMK_FILE)')
    .option('--db <url>', 'the store: sqlite:FILE or postgres://…, instead of sqlite:DATA_DIR/opentsm.db (or env OPENTSM_DB)');
}
