/**
 * A PayloadCipher for tests only (AES-256-GCM under a per-tenant key derived from a fixed test
 * key; HMAC-SHA256 digest). The service's cipher is HSM-backed; none lives in src/.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { PayloadCipher } from '../../../../src/tsm/jobs/index.ts';

const TEST_KEY = Buffer.alloc(32, 0x42);

function tenantKey(tenant: string, label: string): Buffer {
  return createHmac('sha256', TEST_KEY).update(`${label}|${tenant}`).digest();
}

/** Seals with AES-256-GCM (12-byte IV ‖ ciphertext ‖ 16-byte tag), the tenant bound as AAD. */
export const testCipher: PayloadCipher = {
  seal(data, tenant) {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', tenantKey(tenant, 'enc'), iv);
    cipher.setAAD(Buffer.from(tenant));
    const body = Buffer.concat([cipher.update(data), cipher.final()]);
    return Promise.resolve(new Uint8Array(Buffer.concat([iv, body, cipher.getAuthTag()])));
  },
  open(sealed, tenant) {
    const buf = Buffer.from(sealed);
    const decipher = createDecipheriv('aes-256-gcm', tenantKey(tenant, 'enc'), buf.subarray(0, 12));
    decipher.setAAD(Buffer.from(tenant));
    decipher.setAuthTag(buf.subarray(buf.length - 16));
    return Promise.resolve(new Uint8Array(Buffer.concat([decipher.update(buf.subarray(12, buf.length - 16)), decipher.final()])));
  },
  digest(data, tenant) {
    return Promise.resolve(new Uint8Array(createHmac('sha256', tenantKey(tenant, 'mac')).update(data).digest()));
  },
};
