/**
 * hsm/pkcs11/: the PKCS#11 backend — every key a token object (SoftHSM2 in development and tests,
 * a real HSM in production), loaded through the optional pkcs11js binding (pkcs11-hsm.ts says what
 * runs in the token and what passes through host memory).
 */
export { Pkcs11Hsm } from './pkcs11-hsm.ts';
export { DEFAULT_MODULE_PATH, PKCS11_INSTALL_HINT, PKCS11_PACKAGE } from './binding.ts';
export type { PinSource, Pkcs11HsmOptions } from './options.ts';
