/**
 * `opentsm hsm import|generate|list|export|rotate|destroy`: keys in the HSM, known by id, label
 * and KCV. Components and passphrases are typed at no-echo prompts; export and destroy need two
 * custodians (the HSM checks them: dual control).
 */
import { wipe } from '../../bytes/index.ts';
import type { KeyComponentInput } from '../../hsm/index.ts';
import { optional, required, usage, type CalcOptions } from '../calc/input.ts';
import type { CalcResult } from '../calc/result.ts';
import { table } from '../gp/table.ts';
import type { HsmSession } from './context.ts';
import { credentials, custodianNames, readComponent } from './custody.ts';
import { handleResult, keySpecOf } from './spec.ts';

/**
 * `hsm import`: from 2 or 3 components (`--custodian` each; each custodian authenticates, types
 * the component twice and its KCV), or a TR-31 block under a KBPK (`--tr31 BLOCK --kbpk KEY`).
 */
export async function hsmImport(session: HsmSession, o: CalcOptions): Promise<CalcResult> {
  const block = optional(o, 'tr31');
  if (block !== undefined) {
    if (Array.isArray(o.custodian)) throw usage('--tr31 imports a key block under a KBPK; --custodian goes with components');
    const kbpk = await session.key(required(o, 'kbpk', 'the key block protection key (usage K1) the block is wrapped under: its id or label'));
    const label = optional(o, 'label');
    const handle = await session.hsm.importKeyBlock(kbpk.id, block.trim(), { owner: session.ctx.tenant, ...(label === undefined ? {} : { label }) }, session.ctx);
    session.out.err(`imported key ${handle.id} (KCV ${handle.kcv}) from a TR-31 block under ${kbpk.id} (KCV ${kbpk.kcv})`);
    return handleResult(handle);
  }
  if (optional(o, 'kbpk') !== undefined) throw usage('--kbpk goes with --tr31');
  const spec = keySpecOf(o, session.ctx.tenant);
  const names = custodianNames(o, 2, 3);
  const prompter = session.prompter();
  const components: KeyComponentInput[] = [];
  try {
    for (const [i, name] of names.entries()) {
      const [credential] = await credentials(prompter, [name]);
      const component = await readComponent(prompter, `${name}: component ${i + 1} of ${names.length}`, spec.length);
      components.push({ credential: credential!, component, kcv: await prompter.ask(`${name}: KCV of component ${i + 1} (from the form)`) });
    }
    const handle = await session.hsm.importComponents(spec, components, session.ctx);
    session.out.err(`formed key ${handle.id} (KCV ${handle.kcv}) from ${names.length} components: ${names.join(', ')}`);
    return handleResult(handle);
  } finally {
    for (const c of components) wipe(c.component);
  }
}

/** `hsm generate`: a random key inside the HSM. */
export async function hsmGenerate(session: HsmSession, o: CalcOptions): Promise<CalcResult> {
  const handle = await session.hsm.generateKey(keySpecOf(o, session.ctx.tenant), session.ctx);
  session.out.err(`generated key ${handle.id} (KCV ${handle.kcv})`);
  return handleResult(handle);
}

const COLUMNS = ['ID', 'LABEL', 'USAGE', 'ALG', 'LEN', 'MODE', 'EXP', 'VER', 'STATUS', 'KCV'];

/** `hsm list [--usage U] [--label L]`: the tenant's keys (not destroyed ones), as a table or JSON. */
export async function hsmList(session: HsmSession, o: CalcOptions): Promise<void> {
  const usageFilter = optional(o, 'usage');
  const label = optional(o, 'label');
  const keys = await session.hsm.listKeys({ ...(usageFilter === undefined ? {} : { usage: usageFilter.toUpperCase() }), ...(label === undefined ? {} : { label }) }, session.ctx);
  if (o.json === true) {
    session.out.out(JSON.stringify(keys.map(handleResult), null, 2));
    return;
  }
  if (keys.length === 0) {
    session.out.err(`no keys for tenant ${session.ctx.tenant}${usageFilter === undefined && label === undefined ? '' : ' matching the filter'}`);
    return;
  }
  const rows = keys.map((k) => {
    const a = k.attributes;
    return [k.id, a.label ?? '-', a.usage, a.algorithm, String(a.length), a.modeOfUse, a.exportability, String(a.version).padStart(2, '0'), k.status, k.kcv];
  });
  for (const line of table([COLUMNS, ...rows])) session.out.out(line);
}

/** `hsm export --tr31 --kbpk KBPK KEY`: a TR-31 block (B under a TDES KBPK, D under AES); two custodians. */
export async function hsmExport(session: HsmSession, keyRef: string, o: CalcOptions): Promise<CalcResult> {
  if (o.tr31 !== true) throw usage('--tr31: required (the export format: a TR-31 key block under --kbpk)');
  const kbpk = await session.key(required(o, 'kbpk', 'the key block protection key (usage K1) to wrap under: its id or label'));
  const key = await session.key(keyRef);
  const approvals = await credentials(session.prompter(), custodianNames(o, 2, 3));
  const block = await session.hsm.exportKeyBlock(kbpk.id, key.id, approvals, session.ctx);
  session.out.err(`exported key ${key.id} (KCV ${key.kcv}) under ${kbpk.id} (KCV ${kbpk.kcv}), approved by ${approvals.map((a) => a.custodian).join(', ')}`);
  return { keyBlock: block, key: key.id, kcv: key.kcv, kbpk: kbpk.id, kbpkKcv: kbpk.kcv };
}

/** `hsm rotate KEY`: a new version with the same attributes; the old one is retired. */
export async function hsmRotate(session: HsmSession, keyRef: string): Promise<CalcResult> {
  const old = await session.key(keyRef);
  const handle = await session.hsm.rotateKey(old.id, session.ctx);
  session.out.err(`rotated ${old.id} (KCV ${old.kcv}, now retired) to ${handle.id} (KCV ${handle.kcv}, version ${handle.attributes.version})`);
  return { retired: old.id, ...handleResult(handle) };
}

/** `hsm destroy KEY`: irrecoverable; two custodians. */
export async function hsmDestroy(session: HsmSession, keyRef: string, o: CalcOptions): Promise<CalcResult> {
  const key = await session.key(keyRef);
  const approvals = await credentials(session.prompter(), custodianNames(o, 2, 3));
  await session.hsm.destroyKey(key.id, approvals, session.ctx);
  session.out.err(`destroyed key ${key.id} (KCV ${key.kcv}), approved by ${approvals.map((a) => a.custodian).join(', ')}`);
  return { destroyed: key.id, kcv: key.kcv };
}
