/**
 * The SCP81 admin-protocol codecs (GPC Amd B): the exact headers each side sends, messages taken
 * from open implementations that talk to cards, strict refusals of hostile or non-conforming
 * messages, round-trip properties, and arbitrary input ending only in an OtaError.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import {
  ADMIN_PROTOCOL,
  OtaError,
  RESPONSE_CONTENT_TYPE,
  SCRIPT_CONTENT_TYPE,
  SCRIPT_STATUSES,
  adminAnswer,
  agentPost,
  encodeAdminAnswer,
  encodeAgentPost,
  formatTargetedApplication,
  headerFields,
  parseAdminAnswer,
  parseAgentPost,
  parseTargetedApplication,
  type HeaderFields,
} from '../../src/ota/index.ts';

const isCode = (code: string) => (e: unknown) => e instanceof OtaError && e.code === code;
const admin = isCode('ERR_OTA_ADMIN');
const param = isCode('ERR_OTA_PARAM');

/** Parses a raw HTTP head ("Name: value" lines) into received-field form. */
function fields(lines: string): HeaderFields {
  return headerFields(lines.split('\n').filter(Boolean).map((l) => {
    const i = l.indexOf(':');
    return [l.slice(0, i).trim(), l.slice(i + 1).trim()] as const;
  }));
}

const opening = () => agentPost({ uri: '/scp81', from: '//se-id/eid/1234;//aa-id/aid/A000000151/000000', resume: false, report: undefined });

describe('SCP81 codecs: what each side sends', () => {
  it('the opening POST: protocol and agent, no body, no status', () => {
    const req = encodeAgentPost(opening());
    assert.deepEqual(req.headers, [
      ['X-Admin-Protocol', 'globalplatform-remote-admin/1.0'],
      ['X-Admin-From', '//se-id/eid/1234;//aa-id/aid/A000000151/000000'],
    ]);
    assert.equal(req.body.length, 0);
    assert.equal(req.target, '/scp81');
  });

  it('a report POST: the response media type, the status, and the resume flag when resuming', () => {
    const body = fromHex('AF80800101230290000000');
    const req = encodeAgentPost(agentPost({ uri: '/scp81/s/1/0', from: 'agent', resume: true, report: { status: 'ok', body } }));
    assert.deepEqual(req.headers, [
      ['X-Admin-Protocol', ADMIN_PROTOCOL],
      ['X-Admin-From', 'agent'],
      ['Content-Type', 'application/vnd.globalplatform.card-content-mgt-response;version=1.0'],
      ['X-Admin-Script-Status', 'ok'],
      ['X-Admin-Resume', 'true'],
    ]);
    assert.equal(toHex(req.body), toHex(body));
  });

  it('a script answer is 200 with the script media type, Next-URI and target; no script is 204', () => {
    const script = fromHex('AE80220580CAFF21000000');
    const out = encodeAdminAnswer(adminAnswer({ script, nextUri: '/scp81/s/1/0', targetedApplication: fromHex('A0000005591010FFFFFFFF8900000100') }));
    assert.equal(out.status, 200);
    assert.deepEqual(out.headers, [
      ['X-Admin-Protocol', ADMIN_PROTOCOL],
      ['Content-Type', 'application/vnd.globalplatform.card-content-mgt;version=1.0'],
      ['X-Admin-Next-URI', '/scp81/s/1/0'],
      ['X-Admin-Targeted-Application', '//aid/A000000559/1010FFFFFFFF8900000100'],
    ]);
    const end = encodeAdminAnswer(adminAnswer({ script: undefined, nextUri: undefined, targetedApplication: undefined }));
    assert.deepEqual([end.status, end.headers, end.body.length], [204, [['X-Admin-Protocol', ADMIN_PROTOCOL]], 0]);
  });
});

describe('SCP81 codecs: messages of open implementations', () => {
  it('parses an agent report POST as card-side tools send it (source: a public GP Amd B test client)', () => {
    const post = parseAgentPost({
      method: 'POST',
      target: '/server/adminagent?cmd=2',
      headers: fields(`Host: localhost
X-Admin-Protocol: globalplatform-remote-admin/1.0
X-Admin-From: //se-id/eid/123456;//aa-id/aid/0001020304/05060708090A0B0C0D0E0F
Content-Type: application/vnd.globalplatform.card-content-mgt-response;version=1.0
Content-Length: 6
X-Admin-Script-Status: ok`),
      body: fromHex('AF8090000000'),
    });
    assert.deepEqual([post.uri, post.report?.status, post.resume], ['/server/adminagent?cmd=2', 'ok', false]);
    assert.equal(post.from, '//se-id/eid/123456;//aa-id/aid/0001020304/05060708090A0B0C0D0E0F');
  });

  it('parses a server answer with no space after the colons and a 16-byte targeted AID (source: the same client)', () => {
    const answer = parseAdminAnswer({
      status: 200,
      headers: fields(`X-Admin-Protocol:globalplatform-remote-admin/1.0
X-Admin-Next-URI:/server/adminagent?cmd=3
Content-Type:application/vnd.globalplatform.card-content-mgt;version=1.0
X-Admin-Targeted-Application: //aid/A000000559/1010FFFFFFFF8900000100`),
      body: fromHex('AE80220580CAFF21000000'),
    });
    assert.equal(answer.nextUri, '/server/adminagent?cmd=3');
    assert.equal(toHex(answer.targetedApplication!).toUpperCase(), 'A0000005591010FFFFFFFF8900000100');
    assert.equal(toHex(answer.script!).toUpperCase(), 'AE80220580CAFF21000000');
  });

  it('accepts media types with spaces, case and a quoted version; refuses other types and versions', () => {
    const post = (ct: string) => parseAgentPost({
      method: 'POST',
      target: '/a',
      headers: fields(`X-Admin-Protocol: ${ADMIN_PROTOCOL}\nX-Admin-Script-Status: ok\nContent-Type: ${ct}`),
      body: fromHex('AF00'),
    });
    for (const ok of [RESPONSE_CONTENT_TYPE, 'Application/Vnd.GlobalPlatform.Card-Content-Mgt-Response ; version="1.0"']) post(ok);
    for (const bad of [SCRIPT_CONTENT_TYPE, 'application/vnd.globalplatform.card-content-mgt-response;version=1.1', 'application/vnd.globalplatform.card-content-mgt-response', 'application/vnd.globalplatform.card-content-mgt-response;version=1.0;x=1', 'text/plain', '']) {
      assert.throws(() => post(bad), admin, bad);
    }
  });
});

describe('SCP81 codecs: strict refusals', () => {
  const base = `X-Admin-Protocol: ${ADMIN_PROTOCOL}\nX-Admin-From: agent`;
  const request = (head: string, body: Uint8Array = new Uint8Array(0), method = 'POST', target = '/a') => parseAgentPost({ method, target, headers: fields(head), body });

  it('agent POSTs that break the protocol', () => {
    const ctype = `Content-Type: ${RESPONSE_CONTENT_TYPE}`;
    const cases: [string, () => unknown][] = [
      ['GET', () => request(base, undefined, 'GET')],
      ['no protocol', () => request('X-Admin-From: agent')],
      ['protocol 1.1.1', () => request('X-Admin-Protocol: globalplatform-remote-admin/1.1.1\nX-Admin-From: agent')],
      ['protocol twice', () => request(`${base}\nX-Admin-Protocol: ${ADMIN_PROTOCOL}`)],
      ['opening without agent', () => request(`X-Admin-Protocol: ${ADMIN_PROTOCOL}`)],
      ['status unknown', () => request(`${base}\nX-Admin-Script-Status: unavailable-se`)],
      ['status twice', () => request(`${base}\nX-Admin-Script-Status: ok\nX-Admin-Script-Status: ok\n${ctype}`, fromHex('AF00'))],
      ['body without status', () => request(`${base}\n${ctype}`, fromHex('AF00'))],
      ['body without type', () => request(`${base}\nX-Admin-Script-Status: ok`, fromHex('AF00'))],
      ['ok without body', () => request(`${base}\nX-Admin-Script-Status: ok`)],
      ['resume yes', () => request(`${base}\nX-Admin-Resume: yes`)],
      ['absolute target', () => request(base, undefined, 'POST', 'https://example.com/a')],
      ['target with space', () => request(base, undefined, 'POST', '/a b')],
      ['target too long', () => request(base, undefined, 'POST', `/${'a'.repeat(1024)}`)],
      ['agent too long', () => request(`X-Admin-Protocol: ${ADMIN_PROTOCOL}\nX-Admin-From: ${'a'.repeat(513)}`)],
      ['agent with control', () => request(`X-Admin-Protocol: ${ADMIN_PROTOCOL}\nX-Admin-From: a\u0001b`)],
      ['body over limit', () => parseAgentPost({ method: 'POST', target: '/a', headers: fields(`${base}\nX-Admin-Script-Status: ok\n${ctype}`), body: new Uint8Array(65) }, { maxResponseBytes: 64 })],
    ];
    for (const [name, run] of cases) assert.throws(run, admin, name);
    // A non-ok status may come without a response script.
    assert.equal(request(`${base}\nX-Admin-Script-Status: unknown-application`).report?.status, 'unknown-application');
  });

  it('server answers that break the protocol', () => {
    const script = fromHex('AE00');
    const stype = `Content-Type: ${SCRIPT_CONTENT_TYPE}`;
    const answer = (status: number, head: string, body: Uint8Array = new Uint8Array(0)) => parseAdminAnswer({ status, headers: fields(head), body }, { maxScriptBytes: 64 });
    const cases: [string, () => unknown][] = [
      ['500', () => answer(500, '')],
      ['302', () => answer(302, 'Location: /x')],
      ['200 without type', () => answer(200, '', script)],
      ['200 response type', () => answer(200, `Content-Type: ${RESPONSE_CONTENT_TYPE}`, script)],
      ['200 empty', () => answer(200, stype)],
      ['200 over limit', () => answer(200, stype, new Uint8Array(65))],
      ['204 with body', () => answer(204, '', script)],
      ['204 with target', () => answer(204, 'X-Admin-Targeted-Application: //aid/A000000151/00')],
      ['wrong protocol', () => answer(204, 'X-Admin-Protocol: globalplatform-remote-admin/2.0')],
      ['absolute next', () => answer(204, 'X-Admin-Next-URI: https://elsewhere.example/x')],
      ['next twice', () => answer(204, 'X-Admin-Next-URI: /a\nX-Admin-Next-URI: /b')],
      ['next with %zz', () => answer(204, 'X-Admin-Next-URI: /a%zz')],
      ['target short RID', () => answer(200, `${stype}\nX-Admin-Targeted-Application: //aid/A0000001/00`, script)],
      ['target odd PIX', () => answer(200, `${stype}\nX-Admin-Targeted-Application: //aid/A000000151/000`, script)],
      ['target long PIX', () => answer(200, `${stype}\nX-Admin-Targeted-Application: //aid/A000000151/${'00'.repeat(12)}`, script)],
      ['target not hex', () => answer(200, `${stype}\nX-Admin-Targeted-Application: //aid/A00000015G/00`, script)],
    ];
    for (const [name, run] of cases) assert.throws(run, admin, name);
    assert.throws(() => answer(500, ''), /answered HTTP 500/);
    // 204 with a Next-URI continues the session; 200 without one is the last script.
    assert.equal(answer(204, 'X-Admin-Next-URI: /next').nextUri, '/next');
    assert.equal(answer(200, stype, script).nextUri, undefined);
  });

  it('our own callers cannot inject headers or build invalid messages', () => {
    const cases: [string, () => unknown][] = [
      ['CRLF in agent', () => encodeAgentPost({ kind: 'agent-post', uri: '/a', from: 'a\r\nX-Evil: 1', resume: false, report: undefined })],
      ['CRLF in uri', () => agentPost({ uri: '/a\r\nX: 1', from: 'a', resume: false, report: undefined })],
      ['bad status', () => agentPost({ uri: '/a', from: 'a', resume: false, report: { status: 'fine' as 'ok', body: fromHex('00') } })],
      ['ok without body', () => agentPost({ uri: '/a', from: 'a', resume: false, report: { status: 'ok', body: new Uint8Array(0) } })],
      ['empty script', () => adminAnswer({ script: new Uint8Array(0), nextUri: undefined, targetedApplication: undefined })],
      ['target without script', () => adminAnswer({ script: undefined, nextUri: '/a', targetedApplication: fromHex('A000000151') })],
      ['short AID', () => formatTargetedApplication(fromHex('A0000001'))],
      ['CRLF in next', () => encodeAdminAnswer({ kind: 'admin-answer', script: undefined, nextUri: '/a\nb', targetedApplication: undefined })],
    ];
    for (const [name, run] of cases) assert.throws(run, param, name);
  });

  it('formats and parses //aid/<RID>/<PIX>', () => {
    assert.equal(formatTargetedApplication(fromHex('A000000151')), '//aid/A000000151/');
    assert.equal(toHex(parseTargetedApplication('//aid/a000000151')), 'A000000151');
    assert.equal(toHex(parseTargetedApplication('//aid/A000000151/5350')).toUpperCase(), 'A0000001515350');
  });
});

const uriArb = fc.stringMatching(/^\/[A-Za-z0-9\-._~/?=&]{0,40}$/);
const valueArb = fc.stringMatching(/^[!-~]([ !-~]{0,60}[!-~])?$/);
const bodyArb = fc.uint8Array({ minLength: 1, maxLength: 300 });
const aidArb = fc.uint8Array({ minLength: 5, maxLength: 16 });

describe('SCP81 codecs: properties', () => {
  it('every agent POST round-trips through its HTTP form', () => {
    fc.assert(
      fc.property(uriArb, fc.option(valueArb, { nil: undefined }), fc.boolean(), fc.option(fc.record({ status: fc.constantFrom(...SCRIPT_STATUSES), body: bodyArb }), { nil: undefined }), (uri, from, resume, report) => {
        const post = agentPost({ uri, from: from ?? (report === undefined ? 'agent' : undefined), resume, report });
        const req = encodeAgentPost(post);
        assert.deepEqual(parseAgentPost({ method: req.method, target: req.target, headers: headerFields(req.headers), body: req.body }), post);
      }),
    );
  });

  it('every server answer round-trips through its HTTP form', () => {
    fc.assert(
      fc.property(fc.option(bodyArb, { nil: undefined }), fc.option(uriArb, { nil: undefined }), fc.option(aidArb, { nil: undefined }), (script, nextUri, aid) => {
        const a = adminAnswer({ script, nextUri, targetedApplication: script === undefined ? undefined : aid });
        const res = encodeAdminAnswer(a);
        const back = parseAdminAnswer({ status: res.status, headers: headerFields(res.headers), body: res.body });
        assert.deepEqual({ ...back, targetedApplication: back.targetedApplication && toHex(back.targetedApplication) }, { ...a, targetedApplication: a.targetedApplication && toHex(a.targetedApplication) });
      }),
    );
  });

  it('arbitrary requests and responses end in a message or an OtaError, never another exception', () => {
    const names = ['x-admin-protocol', 'x-admin-from', 'x-admin-script-status', 'x-admin-resume', 'x-admin-next-uri', 'x-admin-targeted-application', 'content-type'];
    const headersArb = fc.dictionary(fc.constantFrom(...names), fc.array(fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom(ADMIN_PROTOCOL, RESPONSE_CONTENT_TYPE, SCRIPT_CONTENT_TYPE, 'ok', 'true', '/a', '//aid/A000000151/00')), { maxLength: 2 }));
    fc.assert(
      fc.property(fc.string({ maxLength: 6 }), fc.string({ maxLength: 50 }), headersArb, fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 0, max: 600 }), (method, target, headers, body, status) => {
        for (const run of [() => parseAgentPost({ method, target, headers, body }), () => parseAdminAnswer({ status, headers, body })]) {
          try {
            run();
          } catch (e) {
            assert.ok(e instanceof OtaError && e.code === 'ERR_OTA_ADMIN', String(e));
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
