/**
 * An application moving itself among its application-specific life cycle states (GPC 2.3.1
 * §5.3.1.5, `0xxxx111`; the card OS's `setApplicationState`, GP's GPSystem.setCardContentState):
 * the CardModel's `stageApplicationState` allows it from SELECTABLE or another such state only, for
 * applications only, and stages it with the command's transaction.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex } from '../../src/bytes/index.ts';
import { CardModel } from '../../src/se/state/card-model.ts';
import { MemoryCardStore } from '../../src/se/index.ts';
import { ISD, application as app, ssd } from './keys-fixtures.ts';
import { testCardState } from './helpers.ts';

const APP = 'A0000000041010AA';
const SSD = 'A00000015153534401';

function model(lifecycle: number, sd = false): { m: CardModel; aid: Uint8Array; state: () => number } {
  const base = testCardState();
  const entry = sd ? ssd(SSD, ISD, { lifecycle }) : app(APP, ISD, { lifecycle });
  const m = new CardModel(new MemoryCardStore({ ...base, applications: [...base.applications, entry] }));
  const aid = fromHex(sd ? SSD : APP);
  return { m, aid, state: () => m.state.applications.find((a) => a.aid.length === aid.length && a.aid.every((b, i) => b === aid[i]))!.lifecycle };
}

describe('application-specific life cycle states (GPC 2.3.1 §5.3.1.5)', () => {
  it('SELECTABLE → 0F → 1F, each staged in the transaction and kept on commit, dropped on rollback', () => {
    const { m, aid, state } = model(0x07);
    m.begin();
    assert.equal(m.stageApplicationState(aid, 0x0f), true);
    assert.equal(state(), 0x0f);
    m.rollback();
    assert.equal(state(), 0x07, 'a refused command leaves no state');
    m.begin();
    assert.equal(m.stageApplicationState(aid, 0x0f), true);
    m.commit();
    assert.equal(m.committed.applications.find((a) => a.aid.length === aid.length && a.aid[7] === aid[7])!.lifecycle, 0x0f);
    m.begin();
    assert.equal(m.stageApplicationState(aid, 0x1f), true);
    m.commit();
    assert.equal(state(), 0x1f);
  });

  it('refused: not 0xxxx111, LOCKED (b8), the same state, from INSTALLED or LOCKED, a Security Domain, an unknown AID', () => {
    for (const bad of [0x0b, 0x8f, 0x03, 0x100, -1, 1.5]) {
      const { m, aid, state } = model(0x07);
      m.begin();
      assert.equal(m.stageApplicationState(aid, bad), false, `state ${bad}`);
      assert.equal(state(), 0x07);
    }
    for (const [from, sd] of [[0x07, false], [0x03, false], [0x87, false], [0x07, true], [0x0f, true]] as const) {
      const { m, aid, state } = model(from, sd);
      m.begin();
      const to = from === 0x07 && !sd ? 0x07 : 0x0f;
      assert.equal(m.stageApplicationState(aid, to), false, `from ${from.toString(16)} to ${to.toString(16)}${sd ? ' (SD)' : ''}`);
      assert.equal(state(), from);
    }
    const { m } = model(0x07);
    m.begin();
    assert.equal(m.stageApplicationState(fromHex('A0000000FFFFFF'), 0x0f), false);
  });
});
