/**
 * PKCS#11 v2.40 constants the backend uses (OASIS PKCS #11 Base Specification v2.40, §2–3 and the
 * Current Mechanisms Specification), by their standard values, and the slice of the pkcs11js
 * binding's API it calls. Declared here so the type checker never needs the optional package.
 */

/** Object classes (CKO_*). */
export const CKO = { DATA: 0x0, PUBLIC_KEY: 0x2, PRIVATE_KEY: 0x3, SECRET_KEY: 0x4 } as const;

/** Key types (CKK_*). */
export const CKK = { RSA: 0x0, EC: 0x3, GENERIC_SECRET: 0x10, DES2: 0x14, DES3: 0x15, AES: 0x1f } as const;

/** Attribute types (CKA_*). */
export const CKA = {
  CLASS: 0x0,
  TOKEN: 0x1,
  PRIVATE: 0x2,
  LABEL: 0x3,
  APPLICATION: 0x10,
  VALUE: 0x11,
  KEY_TYPE: 0x100,
  ID: 0x102,
  SENSITIVE: 0x103,
  ENCRYPT: 0x104,
  DECRYPT: 0x105,
  WRAP: 0x106,
  UNWRAP: 0x107,
  SIGN: 0x108,
  VERIFY: 0x10a,
  DERIVE: 0x10c,
  MODULUS: 0x120,
  MODULUS_BITS: 0x121,
  PUBLIC_EXPONENT: 0x122,
  VALUE_LEN: 0x161,
  EXTRACTABLE: 0x162,
  NEVER_EXTRACTABLE: 0x164,
  ALWAYS_SENSITIVE: 0x165,
  MODIFIABLE: 0x170,
  EC_PARAMS: 0x180,
  EC_POINT: 0x181,
  WRAP_WITH_TRUSTED: 0x210,
} as const;

/** Mechanisms (CKM_*). */
export const CKM = {
  RSA_PKCS_KEY_PAIR_GEN: 0x0,
  RSA_X_509: 0x3,
  SHA1_RSA_PKCS: 0x6,
  SHA256_RSA_PKCS: 0x40,
  SHA256_RSA_PKCS_PSS: 0x43,
  DES2_KEY_GEN: 0x130,
  DES3_KEY_GEN: 0x131,
  DES3_ECB: 0x132,
  DES3_CBC: 0x133,
  DES3_CMAC: 0x138,
  SHA256: 0x250,
  SHA256_HMAC: 0x251,
  GENERIC_SECRET_KEY_GEN: 0x350,
  DES3_CBC_ENCRYPT_DATA: 0x1103,
  EC_KEY_PAIR_GEN: 0x1040,
  ECDSA: 0x1041,
  AES_KEY_GEN: 0x1080,
  AES_ECB: 0x1081,
  AES_CBC: 0x1082,
  AES_CMAC: 0x108a,
} as const;

/** Mask generation functions (CKG_*). */
export const CKG = { MGF1_SHA256: 0x2 } as const;

/** Session flags (CKF_*) and user types (CKU_*). */
export const CKF = { RW_SESSION: 0x2, SERIAL_SESSION: 0x4 } as const;
export const CKU = { USER: 0x1 } as const;

/** Return values (CKR_*) the backend tells apart. */
export const CKR = {
  PIN_INCORRECT: 0xa0,
  PIN_LOCKED: 0xa4,
  USER_ALREADY_LOGGED_IN: 0x100,
  CRYPTOKI_ALREADY_INITIALIZED: 0x191,
  ATTRIBUTE_SENSITIVE: 0x11,
  KEY_UNEXTRACTABLE: 0x6a,
  KEY_SIZE_RANGE: 0x62,
  MECHANISM_INVALID: 0x70,
  KEY_FUNCTION_NOT_PERMITTED: 0x68,
} as const;

/** An attribute as pkcs11js takes and returns it. */
export interface Pkcs11Attribute {
  type: number;
  value?: number | boolean | string | Buffer | null;
}

/** A mechanism with its parameter: raw bytes, or one of pkcs11js's parameter structures. */
export interface Pkcs11Mechanism {
  mechanism: number;
  parameter?: Buffer | { type: number; [field: string]: unknown };
}

/** What C_GetTokenInfo returns that we read. */
export interface Pkcs11TokenInfo {
  label: string;
  serialNumber: string;
  model: string;
  manufacturerID: string;
}

/** The pkcs11js `PKCS11` class methods the backend calls (all synchronous forms). */
export interface Pkcs11Api {
  load(path: string): void;
  C_Initialize(): void;
  C_Finalize(): void;
  C_GetSlotList(tokenPresent?: boolean): Buffer[];
  C_GetTokenInfo(slot: Buffer): Pkcs11TokenInfo;
  C_GetMechanismList(slot: Buffer): number[];
  C_OpenSession(slot: Buffer, flags: number): Buffer;
  C_CloseSession(session: Buffer): void;
  C_Login(session: Buffer, userType: number, pin?: string): void;
  C_Logout(session: Buffer): void;
  C_FindObjectsInit(session: Buffer, template: Pkcs11Attribute[]): void;
  C_FindObjects(session: Buffer, maxObjectCount: number): Buffer[];
  C_FindObjectsFinal(session: Buffer): void;
  C_CreateObject(session: Buffer, template: Pkcs11Attribute[]): Buffer;
  C_DestroyObject(session: Buffer, object: Buffer): void;
  C_GetAttributeValue(session: Buffer, object: Buffer, template: Pkcs11Attribute[]): Pkcs11Attribute[];
  C_GenerateKey(session: Buffer, mechanism: Pkcs11Mechanism, template: Pkcs11Attribute[]): Buffer;
  C_GenerateKeyPair(session: Buffer, mechanism: Pkcs11Mechanism, publicTemplate: Pkcs11Attribute[], privateTemplate: Pkcs11Attribute[]): { publicKey: Buffer; privateKey: Buffer };
  C_EncryptInit(session: Buffer, mechanism: Pkcs11Mechanism, key: Buffer): void;
  C_Encrypt(session: Buffer, inData: Buffer, outData: Buffer): Buffer;
  C_DecryptInit(session: Buffer, mechanism: Pkcs11Mechanism, key: Buffer): void;
  C_Decrypt(session: Buffer, inData: Buffer, outData: Buffer): Buffer;
  C_SignInit(session: Buffer, mechanism: Pkcs11Mechanism, key: Buffer): void;
  C_Sign(session: Buffer, inData: Buffer, outData: Buffer): Buffer;
  C_SignFinal(session: Buffer, outData: Buffer): Buffer;
  C_VerifyInit(session: Buffer, mechanism: Pkcs11Mechanism, key: Buffer): void;
  C_Verify(session: Buffer, inData: Buffer, signature: Buffer): boolean;
  C_WrapKey(session: Buffer, mechanism: Pkcs11Mechanism, wrappingKey: Buffer, key: Buffer, wrappedKey: Buffer): Buffer;
  C_DeriveKey(session: Buffer, mechanism: Pkcs11Mechanism, baseKey: Buffer, template: Pkcs11Attribute[]): Buffer;
  C_GenerateRandom(session: Buffer, randomData: Buffer): Buffer;
}

/** The pkcs11js module: the class and the binding-specific parameter-structure tags. */
export interface Pkcs11Module {
  readonly PKCS11: new () => Pkcs11Api;
  readonly CK_PARAMS_AES_CBC: number;
  readonly CK_PARAMS_DES_CBC_ENCRYPT_DATA: number;
  readonly CK_PARAMS_RSA_PSS: number;
}
