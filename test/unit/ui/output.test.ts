// Everything printed goes through Output: text from servers must not drive the terminal.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { CodexAuthError } from '../../../src/errors.ts';
import { Output, terminalText } from '../../../src/ui/output.ts';

/** ESC, CSI (0x9b), BEL, CR, NUL, DEL, OSC 52 clipboard writes, bidi overrides: all of them must go. */
const HOSTILE = 'ok\u001b]52;c;cm0gLXJmIH4=\u0007\u001b[2J\u009b31m\r\u0000\u007f\u202edone\nnext';
const CONTROL_BYTES = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

function capture(options: { color?: boolean; json?: boolean } = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const text = { out: '', err: '' };
  stdout.on('data', (chunk: Buffer) => (text.out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (text.err += chunk.toString()));
  const out = new Output({ stdin: new PassThrough(), stdout, stderr }, { env: {}, debug: true, ...options });
  return { out, text };
}

describe('terminal output of remote text', () => {
  it('terminalText removes every control character, and newlines unless they are our layout', () => {
    assert.equal(terminalText(HOSTILE), 'ok]52;c;cm0gLXJmIH4=[2J31mdone next');
    assert.equal(terminalText(HOSTILE, true), 'ok]52;c;cm0gLXJmIH4=[2J31mdone\nnext');
  });

  it('no control byte reaches stdout or stderr through any method, colour off', () => {
    const { out, text } = capture({ color: false });
    out.print(HOSTILE);
    out.info(HOSTILE);
    out.success(HOSTILE);
    out.warn(HOSTILE);
    out.progress('demo', 'registration', HOSTILE);
    out.debug(HOSTILE);
    out.error(new CodexAuthError({ kind: 'registration', step: 'registration', message: HOSTILE, serverSaid: HOSTILE, hint: HOSTILE }));
    assert.doesNotMatch(text.out + text.err, CONTROL_BYTES);
    assert.match(text.err, /^error: client registration: ok.*done next\n {2}server said: ok.*done next\n {2}next: ok.*done next\n$/m, 'an error stays one line per part');
  });

  it('with colour on, only our own colours are escape sequences', () => {
    const { out, text } = capture({ color: true });
    out.warn(`server said ${HOSTILE} ${out.color.bold('bold')}`);
    out.error(new CodexAuthError({ kind: 'token', step: 'refresh', message: HOSTILE, serverSaid: HOSTILE }));
    const withoutOwn = text.err.replace(/\u001b\[(?:1|2|22|31|32|33|39)m/g, '');
    assert.doesNotMatch(withoutOwn, CONTROL_BYTES);
    assert.match(text.err, /\u001b\[33m!\u001b\[39m server said ok/);
    assert.match(text.err, /\u001b\[1mbold\u001b\[22m/);
  });

  it('--json stays valid JSON holding the same text, with no raw control byte', () => {
    const { out, text } = capture({ json: true });
    out.printJson({ serverSaid: HOSTILE });
    assert.doesNotMatch(text.out, CONTROL_BYTES);
    assert.deepEqual(JSON.parse(text.out), { serverSaid: HOSTILE });
  });
});
